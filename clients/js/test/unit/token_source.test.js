// Credentials: getToken before the first request, after a 401 (then one retry), and when a JWT is
// about to expire.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { attach, jwtExpiryMs } from '../../src/index.js';
import { FakeFetch, FakeStorage, json, settle, setup } from './fakes.js';

function jwt(claims) {
    const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

// A server that accepts only `valid` tokens (a set the test changes).
function guardedServer(valid) {
    return new FakeFetch((request) => {
        const token = (request.headers.Authorization || '').replace(/^Bearer /, '');
        if (!valid.has(token)) return json(401, { status: 401, title: 'Unauthorized' });
        return FakeFetch.accepting(request);
    });
}

test('jwtExpiryMs reads exp, and null from what is not a JWT', () => {
    assert.equal(jwtExpiryMs(jwt({ sub: 'alice', exp: 1700000100 })), 1700000100000);
    assert.equal(jwtExpiryMs(jwt({ sub: 'alice' })), null);
    assert.equal(jwtExpiryMs('an-api-key'), null);
    assert.equal(jwtExpiryMs('a.b.c'), null);
});

test('getToken is called before the first request when there is no token', async () => {
    const valid = new Set(['t1']);
    const server = guardedServer(valid);
    let calls = 0;
    const { media, options } = setup({ server, options: { token: undefined, getToken: async () => { calls++; return 't1'; } } });
    attach(media, options);
    media.play();
    media.pause();
    await settle();
    assert.equal(calls, 1);
    assert.deepEqual(server.posts.map((r) => r.headers.Authorization), ['Bearer t1', 'Bearer t1']);
});

test('a 401 asks getToken for a new token and retries once', async () => {
    const valid = new Set(['new']);
    const server = guardedServer(valid);
    const tokens = ['new'];
    const { media, errors, delivered, options } = setup({
        server, options: { token: 'old', getToken: () => tokens.shift() } });
    attach(media, options);
    media.play();
    await settle();
    assert.deepEqual(server.posts.map((r) => r.headers.Authorization), ['Bearer old', 'Bearer new']);
    assert.equal(delivered.length, 1);
    assert.equal(errors.length, 0);
});

test('a second 401 drops the ping and reports it', async () => {
    const server = guardedServer(new Set());
    let calls = 0;
    const { media, errors, clock, options } = setup({
        server, options: { token: 'old', getToken: () => `new-${++calls}` } });
    const tracker = attach(media, options);
    media.play();
    await settle();
    assert.equal(server.posts.length, 2);
    assert.equal(calls, 1);
    assert.equal(tracker.pending, 0);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'dropped');
    assert.equal(errors[0].status, 401);
    assert.equal(clock.nextDelay(), null);
});

test('without getToken a 401 is final', async () => {
    const server = guardedServer(new Set());
    const { media, errors, options } = setup({ server, options: { token: 'old' } });
    attach(media, options);
    media.play();
    await settle();
    assert.equal(server.posts.length, 1);
    assert.equal(errors[0].status, 401);
});

test('a JWT whose exp is less than 30 s away is refreshed before the request', async () => {
    const { clock } = setup();
    const start = clock.time / 1000;
    const first = jwt({ sub: 'alice', exp: start + 60 });
    const second = jwt({ sub: 'alice', exp: start + 3600 });
    const server = guardedServer(new Set([first, second]));
    let calls = 0;
    const { media, options } = setup({ clock, server, options: { token: first, updateIntervalSeconds: 1000,
                                                                getToken: () => { calls++; return second; } } });
    attach(media, options);
    media.play();
    await settle();
    assert.equal(calls, 0);
    await media.playFor(31);  // exp is now 29 s away
    media.pause();
    await settle();
    assert.equal(calls, 1);
    assert.deepEqual(server.posts.map((r) => r.headers.Authorization), [`Bearer ${first}`, `Bearer ${second}`]);
});

test('one getToken call serves requests that wait together', async () => {
    const valid = new Set(['t1']);
    const server = guardedServer(valid);
    let calls = 0;
    let release;
    const { media, options } = setup({
        server, options: { token: undefined, resume: true,
                           getToken: () => { calls++; return new Promise((r) => { release = () => r('t1'); }); } } });
    attach(media, options);
    media.play();
    await settle();
    release();
    await settle();
    assert.equal(calls, 1);
    assert.deepEqual(server.requests.map((r) => r.headers.Authorization), ['Bearer t1', 'Bearer t1']);
});

test('a getToken that throws keeps the ping queued and is reported', async () => {
    const valid = new Set(['t1']);
    const server = guardedServer(valid);
    let fail = true;
    const { media, errors, clock, options } = setup({
        server, options: { token: undefined, getToken: () => { if (fail) throw new Error('auth down'); return 't1'; } } });
    const tracker = attach(media, options);
    media.play();
    await settle();
    assert.equal(server.posts.length, 0);
    assert.equal(tracker.pending, 1);
    assert.equal(errors[0].code, 'token');
    assert.match(errors[0].message, /auth down/);
    fail = false;
    await clock.tick(clock.nextDelay());
    assert.equal(tracker.pending, 0);
});

test('a 401 on the keepalive send keeps the pings for a round that can renew the token', async () => {
    const valid = new Set(['fresh']);
    const server = guardedServer(valid);
    const storage = new FakeStorage();
    let calls = 0;
    const { media, win, errors, options } = setup({
        server, storage, options: { token: 'fresh', updateIntervalSeconds: 1000,
                                    getToken: () => { calls++; return 'fresher'; } } });
    const tracker = attach(media, options);
    media.play();
    await media.playFor(2);
    valid.clear();
    valid.add('fresher');  // the token expired while playing
    win.dispatchEvent(new Event('pagehide'));
    await settle();
    const keepalive = server.posts.find((r) => r.keepalive);
    assert.equal(keepalive.headers.Authorization, 'Bearer fresh');
    assert.equal(calls, 1);
    assert.equal(tracker.pending, 0, 'delivered by the round that renewed the token');
    assert.equal(server.posts.at(-1).headers.Authorization, 'Bearer fresher');
    assert.equal(errors.length, 0);
});
