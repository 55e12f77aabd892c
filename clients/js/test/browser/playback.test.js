// The SDK on a plain <video> in Chromium against a real progressd: pings while playing and none
// while paused, seeking ahead not counted as watched, resume after a reload. Every claim is
// checked on the server's record (GET /v1/progress/{id}), not only on what the page says.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { media, sleep, startHarness, unique, VIDEO_SECONDS } from './harness.js';

let h;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

test('pings arrive while playing and stop while paused', { timeout: 60_000 }, () =>
  h.withPlayer({ updateIntervalSeconds: 1 }, async ({ page, user, contentId, requests }) => {
    const playing = await h.playUntilSpent({ page, user, contentId, to: 3.2, spent: 2,
      message: 'time spent of 2 s or more on the server while playing' });
    assert.equal(playing.views, 1, 'one start ping, one view');

    await media.pause(page);
    const pausedAt = await media.time(page);
    await h.recordAt(user, contentId, pausedAt, `the pause position ${pausedAt} on the server`);
    // A ping sent just before the pause also lands within recordAt's 0.3 s: the pause's own ping
    // may still be on its way (the tracker sends one request at a time). Measured from when every
    // ping sent so far has been answered, so only what follows the pause is compared.
    await sleep(300);
    await h.settled(requests);
    const paused = await h.record(user, contentId);
    const requestsWhenPaused = requests.length;
    await sleep(2500);
    const later = await h.record(user, contentId);
    assert.equal(requests.length, requestsWhenPaused, 'no ping while paused');
    assert.equal(later.time_spent_seconds, paused.time_spent_seconds, 'time spent stays while paused');
    assert.equal(later.position_seconds, paused.position_seconds);

    await h.playUntilSpent({ page, user, contentId, to: pausedAt + 2.2, spent: paused.time_spent_seconds + 1.5,
      message: 'time spent growing again after play' });
    await media.pause(page);
    const end = await media.time(page);
    const final = await h.recordAt(user, contentId, end, 'the second pause position on the server');
    // Played from 0 at rate 1 with one pause: time spent is the media time played.
    assert.ok(Math.abs(final.time_spent_seconds - end) <= 1,
      `time spent ${final.time_spent_seconds} s should be about the ${end} s played`);

    const sessionId = await page.evaluate(() => window.tracker.sessionId);
    await h.settled(requests);
    const pings = requests.flatMap((r) => r.pings);
    assert.ok(requests.every((r) => r.status === 200), `every ping answered 200: ${requests.map((r) => r.status)}`);
    assert.ok(pings.every((p) => p.session_id === sessionId), 'every ping carries the tracker\'s session id');
    const seqs = pings.map((p) => p.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'seq runs 1, 2, 3… once each, in order');
    assert.equal(pings[0].event, 'start');
    assert.ok(pings.filter((p) => p.event === 'start').length === 1, 'one start');
    assert.ok(pings.length >= 5, `periodic updates while playing (${pings.length} pings)`);
  }));

test('seeking ahead does not count as watched', { timeout: 60_000 }, () =>
  h.withPlayer({ updateIntervalSeconds: 1 }, async ({ page, user, contentId }) => {
    await media.play(page);
    await media.reach(page, 4);
    const jumpFrom = await media.time(page);
    const jumpTo = VIDEO_SECONDS - 3;
    await media.seek(page, jumpTo);
    await page.waitForFunction(() => document.querySelector('video').ended, null, { timeout: 15_000 });
    const record = await h.recordWhen(user, contentId, (r) => r.position_seconds >= VIDEO_SECONDS - 0.5,
      { message: 'the end position on the server' });
    const played = jumpFrom + (VIDEO_SECONDS - jumpTo);
    const expected = (100 * played) / VIDEO_SECONDS;
    assert.ok(record.progress_percent >= 97, `progress follows the position: ${record.progress_percent}`);
    assert.ok(Math.abs(record.watched_percent - expected) <= 8,
      `watched_percent ${record.watched_percent} should be about the ${expected.toFixed(1)} % really played`);
    assert.ok(record.time_spent_seconds <= played + 1, `time spent ${record.time_spent_seconds} s, played ${played} s`);
  }));

test('a reload resumes at the stored position', { timeout: 60_000 }, () =>
  h.withPlayer({ updateIntervalSeconds: 1, playbackRate: 2 }, async ({ page, user, contentId }) => {
    assert.equal(await page.evaluate(() => window.tracker.resumed), null, 'nothing to resume the first time');
    await media.play(page);
    await media.reach(page, 8);
    await media.pause(page);
    const pausedAt = await media.time(page);
    const stored = await h.recordAt(user, contentId, pausedAt, 'the pause position on the server');
    // At 2x, 8 s of media take 4 s: time spent is wall time played, not media time.
    assert.ok(Math.abs(stored.time_spent_seconds - pausedAt / 2) <= 1,
      `time spent ${stored.time_spent_seconds} s for ${pausedAt} s of media at 2x`);

    await page.reload();
    await page.waitForFunction(() => window.testReady === true);
    const resumed = await page.evaluate(() => window.tracker.resumed);
    assert.ok(typeof resumed === 'number' && Math.abs(resumed - stored.position_seconds) < 0.5,
      `resumed at ${resumed}, stored ${stored.position_seconds}`);
    await page.waitForFunction((p) => {
      const video = document.querySelector('video');
      return video.readyState >= 1 && Math.abs(video.currentTime - p) < 0.5;
    }, stored.position_seconds, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => document.querySelector('video').paused), true, 'resume does not start playback');
  }));

test('no resume near the end', { timeout: 30_000 }, async () => {
  const user = unique('u');
  const contentId = unique('lesson');
  const ping = await h.api('POST', '/v1/progress', {
    user_id: user, content_id: contentId, position_seconds: VIDEO_SECONDS - 4, duration_seconds: VIDEO_SECONDS,
  });
  assert.equal(ping.status, 200);
  await h.withPlayer({ user, contentId }, async ({ page }) => {
    assert.equal(await page.evaluate(() => window.tracker.resumed), null, 'within resumeNearEndSeconds of the end');
    await page.waitForFunction(() => document.querySelector('video').readyState >= 1);
    await sleep(300);
    assert.equal(await media.time(page), 0);
  });
});
