// Media events → pings: which event sends what, with which seq and fields.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { attach } from '../../src/index.js';
import { setup, settle } from './fakes.js';

test('start at the first playing, update at pause, end at ended; seq counts from 1', async () => {
    const { media, server, options } = setup();
    const tracker = attach(media, options);
    media.play();
    await media.playFor(3);
    media.pause();
    await settle();
    media.play();
    await media.playFor(2);
    media.reachEnd();
    await settle();

    const pings = server.pings;
    assert.deepEqual(pings.map((p) => p.event), ['start', 'update', 'end']);
    assert.deepEqual(pings.map((p) => p.seq), [1, 2, 3]);
    assert.ok(pings.every((p) => p.session_id === tracker.sessionId));
    assert.equal(pings[1].position_seconds, 3);
    assert.equal(pings[2].position_seconds, 100);
    assert.equal(tracker.pending, 0);
});

test('a ping carries the fields of the native API', async () => {
    const { media, server, clock, options } = setup({
        options: { contextId: 'batch-7', collectionId: 'course-1', mimetype: 'video/mp4',
                   details: { quality: '720p' }, userId: 'alice' },
    });
    attach(media, options);
    media.play();
    await settle();
    const [request] = server.posts;
    assert.equal(request.url, 'https://progress.test/v1/progress');
    assert.equal(request.headers.Authorization, 'Bearer api-key-1');
    assert.equal(request.headers['Content-Type'], 'application/json');
    const ping = request.body;
    assert.equal(ping.content_id, 'lesson-1');
    assert.equal(ping.context_id, 'batch-7');
    assert.equal(ping.collection_id, 'course-1');
    assert.equal(ping.mimetype, 'video/mp4');
    assert.deepEqual(ping.details, { quality: '720p' });
    assert.equal(ping.user_id, 'alice');
    assert.equal(ping.event, 'start');
    assert.equal(ping.position_seconds, 0);
    assert.equal(ping.duration_seconds, 100);
    assert.equal(ping.time_spent_delta_seconds, 0);
    assert.equal(ping.ts, clock.time);
    assert.deepEqual(ping.segments, []);
});

test('organic use sends context_id "" and leaves out what was not given', async () => {
    const { media, server, options } = setup();
    media.duration = Infinity;  // a live stream
    attach(media, options);
    media.play();
    await settle();
    const ping = server.pings[0];
    assert.equal(ping.context_id, '');
    for (const field of ['collection_id', 'mimetype', 'details', 'user_id', 'duration_seconds']) {
        assert.equal(field in ping, false, field);
    }
});

test('an update after every updateIntervalSeconds of actual playback', async () => {
    const { media, server, options } = setup({ options: { updateIntervalSeconds: 5 } });
    attach(media, options);
    media.play();
    await media.playFor(12);
    assert.deepEqual(server.pings.map((p) => p.event), ['start', 'update', 'update']);
    const [, first, second] = server.pings;
    assert.equal(first.position_seconds, 5);
    assert.equal(first.time_spent_delta_seconds, 5);
    assert.equal(second.position_seconds, 10);
    // Paused time and hidden time are not playback: no update falls due.
    media.pause();
    await media.clock.tick(60_000);
    assert.equal(server.pings.length, 4);
});

test('a seek sends an update at the new position', async () => {
    const { media, server, options } = setup();
    attach(media, options);
    media.play();
    await media.playFor(2);
    media.seek(50);
    await settle();
    assert.deepEqual(server.pings.map((p) => [p.event, p.seq, p.position_seconds]),
                     [['start', 1, 0], ['update', 2, 50]]);
});

test('playing again after the end is a new start', async () => {
    const { media, server, options } = setup({ options: { updateIntervalSeconds: 1000 } });
    attach(media, options);
    media.play();
    await media.playFor(1);
    media.reachEnd();
    media.position = 0;
    media.play();
    await settle();
    assert.deepEqual(server.pings.map((p) => p.event), ['start', 'end', 'start']);
    assert.deepEqual(server.pings.map((p) => p.seq), [1, 2, 3]);
});

test('attached to media already playing: that is the start', async () => {
    const { media, server, options } = setup();
    media.paused = false;
    media.position = 12;
    attach(media, options);
    await settle();
    assert.deepEqual(server.pings.map((p) => [p.event, p.position_seconds]), [['start', 12]]);
});

test('nothing is sent before the user plays or seeks', async () => {
    const { media, server, options, win, doc } = setup();
    const tracker = attach(media, options);
    media.fire('timeupdate');
    win.dispatchEvent(new Event('pagehide'));
    doc.hide();
    await tracker.detach();
    assert.equal(server.posts.length, 0);
});

test('detach sends the last position and stops listening', async () => {
    const { media, server, options } = setup();
    const tracker = attach(media, options);
    media.play();
    await media.playFor(4);
    await tracker.detach();
    assert.deepEqual(server.pings.map((p) => [p.event, p.position_seconds]), [['start', 0], ['update', 4]]);
    assert.equal(server.pings[1].time_spent_delta_seconds, 4);
    media.pause();
    media.seek(10);
    media.reachEnd();
    await settle();
    assert.equal(server.pings.length, 2);
    // A second detach is the same one.
    await tracker.detach();
    assert.equal(server.pings.length, 2);
});

test('each attach is a new session whose seq starts at 1', async () => {
    const { media, server, options } = setup();
    const first = attach(media, options);
    media.play();
    await settle();
    await first.detach();
    media.pause();
    const second = attach(media, options);
    media.play();
    await settle();
    assert.notEqual(first.sessionId, second.sessionId);
    const pings = server.pings;
    assert.deepEqual(pings.map((p) => [p.session_id, p.seq, p.event]), [
        [first.sessionId, 1, 'start'], [first.sessionId, 2, 'update'], [second.sessionId, 1, 'start']]);
});
