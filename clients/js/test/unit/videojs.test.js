// The video.js plugin, against a stand-in for videojs and its player (video.js itself needs a DOM).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { registerProgressdPlugin } from '../../src/videojs.js';
import { settle, setup } from './fakes.js';

// The parts of video.js 8 the plugin uses: registerPlugin/getPlugin, a player whose methods
// include the basic plugins, tech(), el(), one('dispose').
function fakeVideojs() {
    const plugins = {};
    class Player extends EventTarget {
        constructor(media, { withTech = true } = {}) {
            super();
            this.media = media;
            this.withTech = withTech;
        }
        tech(safety) {
            assert.deepEqual(safety, { IWillNotUseThisInPlugins: true });
            return this.withTech ? { el: () => this.media } : undefined;
        }
        el() {
            return { querySelector: (selector) => (selector.includes('video') ? this.media : null) };
        }
        one(type, handler) {
            this.addEventListener(type, handler, { once: true });
        }
        dispose() {
            this.dispatchEvent(new Event('dispose'));
        }
    }
    const videojs = {
        registerPlugin(name, plugin) {
            plugins[name] = plugin;
            Player.prototype[name] = function (...args) { return plugin.apply(this, args); };
        },
        getPlugin: (name) => plugins[name],
        Player,
        plugins,
    };
    return videojs;
}

test('player.progressd(options) tracks the tech\'s element and returns the tracker', async () => {
    const videojs = fakeVideojs();
    registerProgressdPlugin(videojs);
    registerProgressdPlugin(videojs);  // again: harmless
    const { media, server, options } = setup();
    const player = new videojs.Player(media);
    const tracker = player.progressd(options);
    assert.equal(typeof tracker.sessionId, 'string');
    media.play();
    await media.playFor(2);
    player.dispose();
    await settle();
    assert.deepEqual(server.pings.map((p) => [p.event, p.position_seconds]), [['start', 0], ['update', 2]]);
    media.pause();
    await settle();
    assert.equal(server.pings.length, 2, 'detached at dispose');
});

test('without a tech it finds the <video> in the player\'s element', async () => {
    const videojs = fakeVideojs();
    registerProgressdPlugin(videojs, 'track');
    const { media, server, options } = setup();
    const player = new videojs.Player(media, { withTech: false });
    player.track(options);
    media.play();
    await settle();
    assert.equal(server.pings[0].event, 'start');
});

test('a second call replaces the first tracker', async () => {
    const videojs = fakeVideojs();
    registerProgressdPlugin(videojs);
    const { media, server, options } = setup();
    const player = new videojs.Player(media);
    const first = player.progressd(options);
    const second = player.progressd({ ...options, contentId: 'lesson-2' });
    media.play();
    await settle();
    assert.notEqual(first.sessionId, second.sessionId);
    assert.deepEqual(server.pings.map((p) => [p.content_id, p.event]), [['lesson-2', 'start']]);
});

test('registerProgressdPlugin needs videojs', () => {
    assert.throws(() => registerProgressdPlugin(undefined), TypeError);
});
