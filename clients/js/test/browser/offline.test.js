// The offline queue in Chromium: pings made while the network is down are kept, sent when it is
// back (at once, on the window's `online` event), and a page reloaded while offline leaves them in
// localStorage for the next page. "Each once" is checked twice: no (session_id, seq) is answered
// 200 more than once, and the server's time spent is exactly the sum of the distinct pings' deltas
// (and about the time really played), views 1.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { media, startHarness, waitFor } from './harness.js';

let h;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

const key = (ping) => `${ping.session_id}#${ping.seq}`;

/** The distinct pings among captured requests, and how often each was answered 200. */
function tally(requests) {
  const distinct = new Map();
  const delivered = new Map();
  for (const request of requests) {
    for (const ping of request.pings) {
      distinct.set(key(ping), ping);
      if (request.status === 200) delivered.set(key(ping), (delivered.get(key(ping)) || 0) + 1);
    }
  }
  return { distinct, delivered };
}

/** The captured requests in one line each, for failure messages. */
const log = (requests) => requests.map((r) => `${r.status ?? r.failed}: ${r.pings.map((p) =>
  `${p.session_id.slice(0, 8)}#${p.seq} ${p.event} @${p.position_seconds} +${p.time_spent_delta_seconds}`).join(', ')}`)
  .join('\n');

/**
 * Takes `context` offline, plays `page` `seconds` further and pauses, then waits until `queued`
 * or more pings wait in the SDK's queue; the media time it paused at.
 */
async function playOffline(context, page, seconds, queued, message) {
  await context.setOffline(true);
  const offlineFrom = await media.time(page);
  await media.reach(page, offlineFrom + seconds);
  await media.pause(page);
  const pausedAt = await media.time(page);
  await waitFor(async () => (await media.pending(page)) >= queued, { message });
  return pausedAt;
}

function assertEachDeliveredOnce(requests, record) {
  const { distinct, delivered } = tally(requests);
  for (const [k, count] of delivered) assert.equal(count, 1, `ping ${k} delivered ${count} times:\n${log(requests)}`);
  for (const k of distinct.keys()) assert.ok(delivered.has(k), `ping ${k} was never delivered:\n${log(requests)}`);
  const sum = [...distinct.values()].reduce((total, ping) => total + ping.time_spent_delta_seconds, 0);
  assert.ok(Math.abs(record.time_spent_seconds - sum) < 0.01,
    `server time spent ${record.time_spent_seconds} = the distinct pings' deltas ${sum}`);
  assert.equal(record.views, 1, 'one view');
  // Retried pings keep their seq: per session the seqs are 1..n without a gap.
  const bySession = new Map();
  for (const ping of distinct.values()) bySession.set(ping.session_id, [...(bySession.get(ping.session_id) || []), ping.seq]);
  for (const [session, seqs] of bySession) {
    seqs.sort((a, b) => a - b);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `session ${session} seqs ${seqs}`);
  }
}

test('pings made offline are delivered once when the network is back', { timeout: 60_000 }, () =>
  h.withPlayer({ updateIntervalSeconds: 1 }, async ({ page, user, contentId, context, requests }) => {
    const online = await h.playUntilSpent({ page, user, contentId, to: 2.2, spent: 1,
      message: 'pings delivered before going offline' });

    const pausedAt = await playOffline(context, page, 3.5, 3, 'three or more pings queued offline');
    const whileOffline = await h.record(user, contentId);
    assert.ok(whileOffline.time_spent_seconds <= online.time_spent_seconds + 1.5,
      'nothing (but perhaps one ping in flight at the switch) reached the server while offline');
    assert.ok(requests.some((r) => r.failed), 'the browser tried and failed while offline');

    // Just after the third or a later failed try the backoff waits 4 s or more (1, 2, 4… s, jitter
    // only adds), so a delivery within 1.5 s of coming back can only be the `online` event's doing.
    await waitFor(() => {
      const failures = requests.filter((r) => r.failed);
      return failures.length >= 3 && Date.now() - Math.max(...failures.map((r) => r.failedAt)) < 300;
    }, { timeout: 20_000, interval: 20, message: 'a third or later failed try, just now' });
    const back = Date.now();
    await context.setOffline(false);
    await waitFor(async () => (await media.pending(page)) === 0, { timeout: 5_000, message: 'the queue sent on `online`' });
    const took = Date.now() - back;
    assert.ok(took < 1500, `the queue was sent ${took} ms after the network came back, not at once`);
    const record = await h.recordAt(user, contentId, pausedAt, 'the pause position on the server');
    assert.ok(Math.abs(record.time_spent_seconds - pausedAt) <= 1,
      `time spent ${record.time_spent_seconds} s should be about the ${pausedAt} s played, not doubled`);
    await h.settled(requests);
    assertEachDeliveredOnce(requests, record);
  }));

test('a reload while offline delivers the queue on the next page', { timeout: 60_000 }, () =>
  h.withPlayer({ updateIntervalSeconds: 1 }, async ({ page, user, contentId, context, requests }) => {
    const firstSession = await page.evaluate(() => window.tracker.sessionId);
    await media.play(page);
    await media.reach(page, 1.5);
    await h.recordWhen(user, contentId, (record) => record.views === 1, { message: 'the start ping' });

    const pausedAt = await playOffline(context, page, 3, 2, 'pings queued offline');
    const stale = await h.record(user, contentId);
    assert.ok(stale.position_seconds < pausedAt - 1, 'the server has not seen the offline part');

    // The reload fails to load (offline): the old page is gone, its queue only in localStorage.
    // Chromium sends the keepalive request of a page being unloaded from the browser process,
    // past the context's emulated offline state and request interception, so the server itself is
    // down meanwhile: that request fails for real, as it would on a dead network.
    await h.server.halt();
    const beforeReload = requests.length;
    await page.reload().catch(() => {});
    await context.setOffline(false);
    await h.server.start();
    await page.goto(`${h.pageOrigin}/test/player.html`);
    await page.waitForFunction(() => window.testReady === true);
    const secondSession = await page.evaluate(() => window.tracker.sessionId);
    assert.notEqual(secondSession, firstSession);

    const record = await h.recordAt(user, contentId, pausedAt, `the offline position ${pausedAt} delivered by the next page`);
    await waitFor(async () => (await media.pending(page)) === 0, { message: 'the next page\'s queue empty' });
    assert.ok(Math.abs(record.time_spent_seconds - pausedAt) <= 1,
      `time spent ${record.time_spent_seconds} s should be about the ${pausedAt} s played`);
    const late = requests.slice(beforeReload)
      .filter((r) => r.status === 200 && r.pings.some((p) => p.session_id === firstSession));
    assert.ok(late.length > 0, 'the next page sent the last page\'s pings');
    await h.settled(requests);
    assertEachDeliveredOnce(requests, await h.record(user, contentId));
  }));
