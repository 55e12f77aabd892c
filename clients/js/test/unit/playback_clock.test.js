// Time spent counts only real playback; segments are the ranges actually played.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { attach } from '../../src/index.js';
import { PlaybackClock } from '../../src/playback_clock.js';
import { FakeClock, setup, settle } from './fakes.js';

const LONG = { updateIntervalSeconds: 1000 };

test('time spent and segments since the previous ping', async () => {
    const { media, server, options } = setup({ options: LONG });
    attach(media, options);
    media.play();
    await media.playFor(6);
    media.pause();
    await settle();
    const [start, update] = server.pings;
    assert.equal(start.time_spent_delta_seconds, 0);
    assert.deepEqual(start.segments, []);
    assert.equal(update.time_spent_delta_seconds, 6);
    assert.deepEqual(update.segments, [[0, 6]]);
});

test('paused time does not count', async () => {
    const { media, server, clock, options } = setup({ options: LONG });
    attach(media, options);
    media.play();
    await media.playFor(2);
    media.pause();
    await clock.tick(30_000);
    media.fire('timeupdate');
    media.play();
    await media.playFor(1);
    media.pause();
    await settle();
    const updates = server.pings.filter((p) => p.event === 'update');
    assert.deepEqual(updates.map((p) => p.time_spent_delta_seconds), [2, 1]);
    assert.deepEqual(updates[1].segments, [[2, 3]]);
});

test('hidden time does not count', async () => {
    const { media, server, doc, options } = setup({ options: LONG });
    attach(media, options);
    media.play();
    await media.playFor(2);
    doc.hide();
    await media.playFor(5);  // plays on in a background tab
    doc.show();
    await media.playFor(1);
    media.pause();
    await settle();
    const [, hidden, paused] = server.pings;
    assert.equal(hidden.time_spent_delta_seconds, 2);
    assert.equal(paused.time_spent_delta_seconds, 1);
    assert.deepEqual(paused.segments, [[7, 8]]);
});

test('time spent is divided by the playback rate', async () => {
    const { media, server, options } = setup({ options: LONG });
    attach(media, options);
    media.play();
    media.playbackRate = 2;
    media.fire('ratechange');
    await media.playFor(3);  // 6 s of media in 3 s
    media.pause();
    await settle();
    const update = server.pings[1];
    assert.equal(update.position_seconds, 6);
    assert.equal(update.time_spent_delta_seconds, 3);
    assert.deepEqual(update.segments, [[0, 6]]);
});

test('time spent is capped by the wall time elapsed', () => {
    const clock = new FakeClock();
    const played = new PlaybackClock({ now: clock.now });
    played.playing = true;
    played.sample(0);
    clock.time += 1000;
    played.sample(1.8);  // currentTime ran ahead of the wall clock (rate reported wrong)
    const { timeSpent, segments } = played.take();
    assert.equal(timeSpent, 1);
    assert.deepEqual(segments, [[0, 1.8]]);
});

test('a jump no seek event announced is not play', () => {
    const clock = new FakeClock();
    const played = new PlaybackClock({ now: clock.now });
    played.playing = true;
    played.sample(10);
    clock.time += 250;
    played.sample(40);
    clock.time += 250;
    played.sample(40.25);
    const { timeSpent, segments } = played.take();
    assert.equal(timeSpent, 0.25);
    assert.deepEqual(segments, [[40, 40.25]]);
});

test('seeking ahead adds nothing to segments; a seek closes the range', async () => {
    const { media, server, options } = setup({ options: LONG });
    attach(media, options);
    media.play();
    await media.playFor(3);
    media.seek(60);
    await media.playFor(2);
    media.seek(20);
    await media.playFor(1);
    media.pause();
    await settle();
    const pings = server.pings;
    assert.deepEqual(pings.map((p) => p.event), ['start', 'update', 'update', 'update']);
    assert.deepEqual(pings[1].segments, [[0, 3]]);
    assert.deepEqual(pings[2].segments, [[60, 62]]);
    assert.deepEqual(pings[3].segments, [[20, 21]]);
    assert.deepEqual(pings.map((p) => p.time_spent_delta_seconds), [0, 3, 2, 1]);
});

test('time during a seek does not count', async () => {
    const { media, server, clock, options } = setup({ options: LONG });
    attach(media, options);
    media.play();
    await media.playFor(1);
    media.seeking = true;
    media.position = 30;
    media.fire('seeking');
    await clock.tick(5_000);
    media.fire('timeupdate');
    media.seeking = false;
    media.fire('seeked');
    await media.playFor(1);
    media.pause();
    await settle();
    const [, seeked, paused] = server.pings;
    assert.equal(seeked.time_spent_delta_seconds, 1);
    assert.equal(paused.time_spent_delta_seconds, 1);
    assert.deepEqual(paused.segments, [[30, 31]]);
});

test('segments are bounded to 100 per ping, the most recent kept', () => {
    const clock = new FakeClock();
    const played = new PlaybackClock({ now: clock.now });
    played.playing = true;
    for (let i = 0; i < 150; i++) {
        played.seekTo(i * 10);
        clock.time += 1000;
        played.sample(i * 10 + 1);
    }
    const { segments } = played.take();
    assert.equal(segments.length, 100);
    assert.deepEqual(segments[0], [500, 501]);
    assert.deepEqual(segments[99], [1490, 1491]);
});
