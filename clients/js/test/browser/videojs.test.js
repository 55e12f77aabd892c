// The video.js 8 plugin (registerProgressdPlugin(videojs), player.progressd(options)) in
// Chromium: pings while playing, none while paused, resume after a reload, all read back from
// the server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sleep, startHarness, unique, waitFor } from './harness.js';

let h;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

const player = {
  play: (page) => page.evaluate(() => window.player.play()),
  pause: (page) => page.evaluate(() => window.player.pause()),
  time: (page) => page.evaluate(() => window.player.currentTime()),
  reach: (page, seconds) => page.waitForFunction((s) => window.player.currentTime() >= s, seconds,
    { timeout: 20_000, polling: 50 }),
};

test('the video.js plugin reports progress and resumes after a reload', { timeout: 60_000 }, async () => {
  const user = unique('u');
  const contentId = unique('lesson');
  const context = await h.newContext();
  const requests = h.capturePings(context);
  try {
    const page = await h.openPlayer(context, { user, contentId, updateIntervalSeconds: 1, pagePath: '/test/videojs.html' });
    assert.equal(typeof await page.evaluate(() => window.tracker.sessionId), 'string', 'progressd() returns the tracker');
    await player.play(page);
    await player.reach(page, 3.2);
    await waitFor(async () => (await h.record(user, contentId))?.time_spent_seconds >= 2,
      { message: 'time spent of 2 s or more while playing' });
    await player.pause(page);
    const pausedAt = await player.time(page);
    const stored = await waitFor(async () => {
      const record = await h.record(user, contentId);
      return Math.abs(record.position_seconds - pausedAt) < 0.3 && record;
    }, { message: `the pause position ${pausedAt} on the server` });
    assert.equal(stored.views, 1);
    assert.equal(stored.duration_seconds, 24, 'the media duration is reported');
    const count = requests.length;
    await sleep(1500);
    assert.equal(requests.length, count, 'no ping while paused');
    assert.equal((await h.record(user, contentId)).time_spent_seconds, stored.time_spent_seconds);

    await page.reload();
    await page.waitForFunction(() => window.testReady === true);
    const resumed = await page.evaluate(() => window.tracker.resumed);
    assert.ok(typeof resumed === 'number' && Math.abs(resumed - stored.position_seconds) < 0.5,
      `resumed at ${resumed}, stored ${stored.position_seconds}`);
    await page.waitForFunction((p) => Math.abs(window.player.currentTime() - p) < 0.5, stored.position_seconds,
      { timeout: 10_000 });
  } finally {
    await context.close();
  }
});
