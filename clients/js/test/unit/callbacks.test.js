// Nothing the SDK meets — a throwing callback, a broken element, a failing fetch — escapes into
// the page: it goes to onError, and onError's own failures go nowhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { attach } from '../../src/index.js';
import { FakeFetch, offline, settle, setup } from './fakes.js';

// Fails the test if anything reaches the process's last-resort handlers.
function watchEscapes() {
    const escaped = [];
    const onError = (error) => escaped.push(error);
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
    return {
        escaped,
        stop() {
            process.off('uncaughtException', onError);
            process.off('unhandledRejection', onError);
        },
    };
}

test('an onPing that throws or rejects is reported as a callback error', async () => {
    const watch = watchEscapes();
    let calls = 0;
    const { media, errors, options } = setup({ options: {
        onPing: () => { calls++; if (calls === 1) throw new Error('boom'); return Promise.reject(new Error('later')); },
    } });
    attach(media, options);
    media.play();
    await settle();
    media.pause();
    await settle();
    watch.stop();
    assert.equal(calls, 2);
    assert.deepEqual(errors.map((e) => [e.code, e.cause.message]), [['callback', 'boom'], ['callback', 'later']]);
    assert.deepEqual(watch.escaped, []);
});

test('an onError that throws is swallowed', async () => {
    const watch = watchEscapes();
    const { media, options } = setup({ server: new FakeFetch(offline), options: {
        onError: () => { throw new Error('handler broken'); },
        onPing: () => { throw new Error('boom'); },
    } });
    const tracker = attach(media, options);
    media.play();
    await settle();
    await tracker.flush();
    await tracker.detach();
    watch.stop();
    assert.deepEqual(watch.escaped, []);
});

test('an element that throws in an event handler: reported, not thrown', async () => {
    const watch = watchEscapes();
    const { media, errors, options } = setup();
    attach(media, options);
    Object.defineProperty(media, 'currentTime', { get() { throw new Error('element broken'); } });
    media.play();
    media.fire('timeupdate');
    await settle();
    watch.stop();
    assert.ok(errors.length >= 2);
    assert.ok(errors.every((e) => e.code === 'internal' && e.message === 'element broken'));
    assert.deepEqual(watch.escaped, []);
});

test('a fetch that throws synchronously counts as a network error', async () => {
    const watch = watchEscapes();
    const { media, errors, options } = setup({ options: { fetch: () => { throw new TypeError('blocked'); } } });
    const tracker = attach(media, options);
    media.play();
    await settle();
    watch.stop();
    assert.equal(tracker.pending, 1);
    assert.equal(errors[0].code, 'network');
    assert.deepEqual(watch.escaped, []);
});

test('without onError nothing escapes either', async () => {
    const watch = watchEscapes();
    const { media, options } = setup({ server: new FakeFetch(offline), options: { onError: undefined } });
    attach(media, options);
    media.play();
    await settle();
    watch.stop();
    assert.deepEqual(watch.escaped, []);
});

test('attach throws a TypeError for a missing element, url or contentId', () => {
    const { media, options } = setup();
    assert.throws(() => attach(null, options), TypeError);
    assert.throws(() => attach(media, { ...options, url: undefined }), TypeError);
    assert.throws(() => attach(media, { ...options, contentId: '' }), TypeError);
});
