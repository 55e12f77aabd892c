// The video.js 8 plugin (registerProgressdPlugin(videojs), player.progressd(options)) in
// Chromium: pings while playing, none while paused, resume after a reload, all read back from
// the server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sleep, startHarness } from './harness.js';

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

test('the video.js plugin reports progress and resumes after a reload', { timeout: 60_000 }, () =>
  h.withPlayer({ updateIntervalSeconds: 1, pagePath: '/test/videojs.html' }, async ({ page, user, contentId, requests }) => {
    assert.equal(typeof await page.evaluate(() => window.tracker.sessionId), 'string', 'progressd() returns the tracker');
    await h.playUntilSpent({ page, user, contentId, to: 3.2, spent: 2, controls: player,
      message: 'time spent of 2 s or more while playing' });
    await player.pause(page);
    const pausedAt = await player.time(page);
    const stored = await h.recordAt(user, contentId, pausedAt, `the pause position ${pausedAt} on the server`);
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
  }));
