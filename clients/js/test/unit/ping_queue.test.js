// The queue: retry with backoff and Retry-After, the online event, batching with per-ping results,
// refusals, persistence across pages, and the keepalive send when the page goes away.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { attach } from '../../src/index.js';
import { FakeFetch, FakeStorage, json, offline, pingsOf, settle, setup, summaryOf } from './fakes.js';

const LONG = { updateIntervalSeconds: 1000 };

// A server whose answers the test switches: while `down`, every POST gets `down(request)`.
function switchable() {
    const state = { down: null };
    const server = new FakeFetch((request) => (state.down ? state.down(request) : FakeFetch.accepting(request)));
    return { server, state };
}

test('a network error keeps the ping queued and retries it after 1 s, doubling', async () => {
    const { server, state } = switchable();
    state.down = offline;
    const { media, clock, errors, options } = setup({ server, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await settle();
    assert.equal(tracker.pending, 1);
    assert.equal(server.posts.length, 1);
    assert.equal(clock.nextDelay(), 1000);
    await clock.tick(1000);
    assert.equal(server.posts.length, 2);
    assert.equal(clock.nextDelay(), 2000);
    await clock.tick(2000);
    assert.equal(server.posts.length, 3);
    assert.equal(clock.nextDelay(), 4000);
    // Reported once, when the failures began, not at every retry.
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'network');
    assert.equal(errors[0].willRetry, true);
    state.down = null;
    await clock.tick(4000);
    assert.equal(tracker.pending, 0);
    assert.deepEqual(server.pings.map((p) => p.seq), [1, 1, 1, 1]);
    // After a success the backoff starts again from 1 s.
    state.down = offline;
    media.pause();
    await settle();
    assert.equal(clock.nextDelay(), 1000);
});

test('the backoff stops doubling at 60 s and adds up to 25 % jitter', async () => {
    const { server, state } = switchable();
    state.down = () => json(503, { status: 503, title: 'Unavailable' });
    const { media, clock, options } = setup({ server, options: { ...LONG, random: () => 1 } });
    attach(media, options);
    media.play();
    const delays = [];
    for (let i = 0; i < 9; i++) {
        await settle();
        delays.push(clock.nextDelay());
        await clock.tick(clock.nextDelay());
    }
    assert.deepEqual(delays, [1250, 2500, 5000, 10000, 20000, 40000, 75000, 75000, 75000]);
});

test('5xx and 429 keep the ping; Retry-After is honoured', async () => {
    const { server, state } = switchable();
    state.down = () => json(429, { status: 429, title: 'Too many requests' }, { 'Retry-After': '7' });
    const { media, clock, errors, options } = setup({ server, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await settle();
    assert.equal(clock.nextDelay(), 7000);
    assert.equal(errors[0].code, 'http');
    assert.equal(errors[0].status, 429);
    const until = new Date(clock.time + 7000 + 30_000).toUTCString();
    state.down = () => json(503, { status: 503, title: 'Unavailable' }, { 'Retry-After': until });
    await clock.tick(7000);
    assert.equal(server.posts.length, 2);
    assert.equal(clock.nextDelay(), 30_000);
    state.down = null;
    await clock.tick(29_000);
    assert.equal(server.posts.length, 2, 'not before Retry-After');
    await clock.tick(1000);
    assert.equal(server.posts.length, 3);
    assert.equal(tracker.pending, 0);
});

test('pings made while a retry is awaited wait for it, then go in one batch', async () => {
    const { server, state } = switchable();
    state.down = offline;
    const { media, clock, options } = setup({ server, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await media.playFor(0.5);
    media.pause();
    media.seek(40);
    await settle();
    assert.equal(server.posts.length, 1);
    assert.equal(tracker.pending, 3);
    state.down = null;
    await clock.tick(1000);
    const last = server.posts.at(-1);
    assert.equal(last.url, 'https://progress.test/v1/progress/batch');
    assert.deepEqual(last.body.pings.map((p) => [p.event, p.seq]), [['start', 1], ['update', 2], ['update', 3]]);
    assert.equal(tracker.pending, 0);
});

test("the window's online event retries at once", async () => {
    const { server, state } = switchable();
    state.down = offline;
    const { media, clock, win, options } = setup({ server, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await media.playFor(1);
    await clock.tick(1000);
    assert.equal(server.posts.length, 2);
    state.down = null;
    win.dispatchEvent(new Event('online'));
    await settle();
    assert.equal(server.posts.length, 3);
    assert.equal(tracker.pending, 0);
    assert.equal(clock.nextDelay(), null);
});

test('flush() sends at once, whatever the backoff', async () => {
    const { server, state } = switchable();
    state.down = offline;
    const { media, clock, options } = setup({ server, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await settle();
    state.down = null;
    await tracker.flush();
    assert.equal(tracker.pending, 0);
    assert.equal(server.posts.length, 2);
    assert.equal(clock.nextDelay(), null);
});

test('a batch is settled ping by ping: delivered, retried, refused', async () => {
    let round = 0;
    const server = new FakeFetch((request) => {
        if (request.method === 'GET') return json(404, {});
        round += 1;
        if (round === 1) throw new TypeError('Failed to fetch');
        if (request.url.endsWith('/batch') && round === 2) {
            const [a, b, c] = request.body.pings;
            return json(200, { results: [
                { status: 200, progress: summaryOf(a) },
                { status: 503, error: { status: 503, title: 'Unavailable' } },
                { status: 422, error: { status: 422, title: 'Invalid request',
                                        errors: [{ field: 'pings[2].position_seconds', message: 'bad' }] } },
            ] });
        }
        return FakeFetch.accepting(request);
    });
    const { media, clock, errors, delivered, options } = setup({ server, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await media.playFor(0.5);
    media.pause();
    media.seek(30);
    await settle();
    assert.equal(tracker.pending, 3);
    await clock.tick(1000);
    assert.equal(tracker.pending, 1);
    assert.deepEqual(delivered.map((d) => d.ping.seq), [1]);
    assert.equal(delivered[0].result.content_id, 'lesson-1');
    const dropped = errors.filter((e) => e.code === 'dropped');
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0].status, 422);
    assert.equal(dropped[0].ping.seq, 3);
    assert.equal(dropped[0].problem.errors[0].field, 'pings[2].position_seconds');
    await clock.tick(clock.nextDelay());
    assert.equal(tracker.pending, 0);
    assert.deepEqual(delivered.map((d) => d.ping.seq), [1, 2]);
    const last = server.posts.at(-1);
    assert.equal(last.url, 'https://progress.test/v1/progress');
    assert.equal(last.body.seq, 2);
});

test('another 4xx drops the ping and reports it; the queue goes on', async () => {
    const server = new FakeFetch((request) => (request.body && request.body.seq === 1
        ? json(422, { type: 'https://progressd.dev/problems/validation', title: 'Invalid request', status: 422,
                      detail: 'content_id must be an id' })
        : FakeFetch.accepting(request)));
    const { media, clock, errors, delivered, options } = setup({ server, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await settle();
    assert.equal(tracker.pending, 0);
    assert.equal(clock.nextDelay(), null);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'dropped');
    assert.equal(errors[0].status, 422);
    assert.equal(errors[0].ping.seq, 1);
    assert.match(errors[0].message, /content_id must be an id/);
    media.pause();
    await settle();
    assert.deepEqual(delivered.map((d) => d.ping.seq), [2]);
});

test('a 413 on a batch halves it', async () => {
    const { server, state } = switchable();
    state.down = offline;
    const { media, clock, options } = setup({ server, options: LONG });
    const tracker = attach(media, options);
    media.play();
    for (let i = 0; i < 7; i++) media.seek(i * 10);
    await settle();
    assert.equal(tracker.pending, 8);
    state.down = (request) => (request.url.endsWith('/batch') && request.body.pings.length > 4
        ? json(413, { status: 413, title: 'Body too large' })
        : FakeFetch.accepting(request));
    await clock.tick(1000);
    assert.equal(tracker.pending, 0);
    const sizes = server.posts.slice(1).map((r) => pingsOf(r).length);
    assert.deepEqual(sizes, [8, 4, 4]);
    assert.deepEqual(server.pings.slice(1).filter((p, i, all) => all.findIndex((q) => q.seq === p.seq) === i)
        .map((p) => p.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('the queue survives the page: the next attach sends it, each ping once, same seq', async () => {
    const storage = new FakeStorage();
    const first = setup({ storage, server: new FakeFetch(offline), options: LONG });
    const gone = attach(first.media, first.options);
    first.media.play();
    await first.media.playFor(2);
    first.media.pause();
    await settle();
    assert.equal(gone.pending, 2);
    const saved = JSON.parse(storage.getItem('progressd:queue:https://progress.test'));
    assert.deepEqual(saved.pings.map((p) => p.seq), [1, 2]);
    first.win.dispatchEvent(new Event('pagehide'));  // the page is closed; its timers die with it
    await settle();

    const second = setup({ storage, options: LONG });
    const next = attach(second.media, second.options);
    await settle();
    assert.equal(next.pending, 0);
    const pings = second.server.pings;
    assert.deepEqual(pings.map((p) => [p.session_id, p.seq, p.event]),
                     [[gone.sessionId, 1, 'start'], [gone.sessionId, 2, 'update']]);
    assert.equal(storage.getItem('progressd:queue:https://progress.test'), null);

    // A third page finds nothing left to send.
    const third = setup({ storage, options: LONG });
    attach(third.media, third.options);
    await settle();
    assert.equal(third.server.posts.length, 0);
});

test('a detached tracker leaves its unsent pings to the next attach', async () => {
    const storage = new FakeStorage();
    const first = setup({ storage, server: new FakeFetch(offline), options: LONG });
    const gone = attach(first.media, first.options);
    first.media.play();
    await settle();
    await gone.detach();
    const posts = first.server.posts.length;
    await first.clock.tick(120_000);
    assert.equal(first.server.posts.length, posts, 'no retries after detach');

    const second = setup({ storage, options: LONG });
    attach(second.media, second.options);
    await settle();
    assert.deepEqual(second.server.pings.map((p) => [p.seq, p.event]), [[1, 'start'], [2, 'update']]);
});

test('two live trackers sharing a storage key keep each other\'s pings', async () => {
    const storage = new FakeStorage();
    const a = setup({ storage, server: new FakeFetch(offline), options: LONG });
    const b = setup({ storage, server: new FakeFetch(offline), options: { ...LONG, contentId: 'lesson-2' } });
    const ta = attach(a.media, a.options);
    const tb = attach(b.media, b.options);
    a.media.play();
    b.media.play();
    await settle();
    const saved = () => JSON.parse(storage.getItem('progressd:queue:https://progress.test')).pings;
    assert.deepEqual(saved().map((p) => p.content_id).sort(), ['lesson-1', 'lesson-2']);
    // b does not take over a's pings (a is alive and sending them itself).
    assert.equal(ta.pending, 1);
    assert.equal(tb.pending, 1);
    b.server.handler = FakeFetch.accepting;
    await tb.flush();
    assert.deepEqual(saved().map((p) => p.content_id), ['lesson-1']);
});

test('null storage: nothing saved, the queue works in memory', async () => {
    const { server, state } = switchable();
    state.down = offline;
    const { media, clock, options } = setup({ server, storage: null, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await settle();
    assert.equal(tracker.pending, 1);
    state.down = null;
    await clock.tick(1000);
    assert.equal(tracker.pending, 0);
});

test('a storage that throws is reported once and the queue goes on', async () => {
    const storage = new FakeStorage();
    storage.setItem = () => { throw new Error('QuotaExceededError'); };
    const { media, errors, server, options } = setup({ storage, options: LONG });
    attach(media, options);
    media.play();
    media.pause();
    await settle();
    assert.equal(errors.filter((e) => e.code === 'storage').length, 1);
    assert.equal(server.pings.length, 2);
});

test('a damaged stored queue is ignored', async () => {
    const storage = new FakeStorage();
    storage.setItem('progressd:queue:https://progress.test', '{not json');
    const { media, errors, server, options } = setup({ storage, options: LONG });
    attach(media, options);
    media.play();
    await settle();
    assert.equal(errors.length, 0);
    assert.equal(server.pings.length, 1);
});

test('storageKey chooses where the queue is kept', async () => {
    const storage = new FakeStorage();
    const { media, options } = setup({ storage, server: new FakeFetch(offline),
                                       options: { ...LONG, storageKey: 'mine' } });
    attach(media, options);
    media.play();
    await settle();
    assert.equal(JSON.parse(storage.getItem('mine')).pings.length, 1);
    assert.equal(storage.map.size, 1);
});

test('pagehide queues an update, saves it and sends the queue with keepalive', async () => {
    const { server, state } = switchable();
    const storage = new FakeStorage();
    const { media, win, options } = setup({ server, storage, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await media.playFor(3);
    state.down = () => new Promise(() => {});  // the page is gone before any answer
    win.dispatchEvent(new Event('pagehide'));
    assert.equal(tracker.pending, 1);
    const saved = JSON.parse(storage.getItem('progressd:queue:https://progress.test')).pings;
    assert.deepEqual(saved.map((p) => [p.event, p.seq, p.position_seconds]), [['update', 2, 3]]);
    const last = server.posts.at(-1);
    assert.equal(last.keepalive, true);
    assert.equal(last.body.seq, 2);
    assert.equal(last.headers.Authorization, 'Bearer api-key-1');
});

test('going hidden sends with keepalive; the answer empties the queue if the page lives', async () => {
    const { media, doc, win, server, options } = setup({ options: LONG });
    const tracker = attach(media, options);
    media.play();
    await media.playFor(2);
    doc.hide();
    await settle();
    assert.equal(tracker.pending, 0);
    // pagehide right after, with nothing played since: no second update.
    win.dispatchEvent(new Event('pagehide'));
    await settle();
    assert.deepEqual(server.pings.map((p) => [p.event, p.seq]), [['start', 1], ['update', 2]]);
    assert.equal(server.posts[1].keepalive, true);
});

test('pagehide sends several queued pings as one keepalive batch', async () => {
    const { server, state } = switchable();
    state.down = offline;
    const { media, win, options } = setup({ server, options: LONG });
    attach(media, options);
    media.play();
    await media.playFor(1);
    media.seek(20);
    await media.playFor(1);
    win.dispatchEvent(new Event('pagehide'));
    await settle();
    const last = server.posts.at(-1);
    assert.equal(last.keepalive, true);
    assert.equal(last.url, 'https://progress.test/v1/progress/batch');
    assert.deepEqual(last.body.pings.map((p) => p.seq), [1, 2, 3]);
});

test('a keepalive send that fails while the page lives on is retried', async () => {
    const { server, state } = switchable();
    const { media, doc, clock, errors, options } = setup({ server, options: LONG });
    const tracker = attach(media, options);
    media.play();
    await media.playFor(2);
    state.down = offline;
    doc.hide();  // only a tab switch
    await settle();
    assert.equal(tracker.pending, 1);
    assert.equal(errors[0].code, 'network');
    state.down = null;
    await clock.tick(clock.nextDelay());
    assert.equal(tracker.pending, 0);
    assert.deepEqual(server.pings.map((p) => [p.seq, p.event]), [[1, 'start'], [2, 'update'], [2, 'update']]);
});
