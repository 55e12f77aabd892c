// The page going away delivers the last position: closing the tab (pagehide, with the
// beforeunload/unload sequence a user's close runs) and navigating elsewhere. Periodic pings
// are made rare here, so only the going-away ping can bring the server to the last position.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { media, startHarness } from './harness.js';

let h;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

function playThenLeave(leave) {
  return h.withPlayer({ updateIntervalSeconds: 600 }, async ({ page, user, contentId }) => {
    await media.play(page);
    await h.recordWhen(user, contentId, (record) => record.views === 1, { message: 'the start ping' });
    await media.reach(page, 4);
    const started = await h.record(user, contentId);
    assert.ok(started.position_seconds < 2, `only the start ping so far (position ${started.position_seconds})`);
    const last = await media.time(page);
    await leave(page);
    const record = await h.recordWhen(user, contentId, (r) => r.position_seconds >= last - 0.05,
      { message: `a position of at least ${last} s on the server` });
    assert.ok(record.position_seconds < last + 1, `position ${record.position_seconds}, left at ${last}`);
    assert.ok(Math.abs(record.time_spent_seconds - record.position_seconds) <= 1,
      `time spent ${record.time_spent_seconds} s for the ${record.position_seconds} s played`);
  });
}

test('closing the page delivers the last position', { timeout: 60_000 }, async () => {
  await playThenLeave((page) => page.close({ runBeforeUnload: true }));
});

test('navigating away delivers the last position', { timeout: 60_000 }, async () => {
  await playThenLeave((page) => page.goto(`${h.pageOrigin}/test/blank.html`));
});
