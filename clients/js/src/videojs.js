// A video.js 8 plugin over attach(): player.progressd(options) tracks the player's media element
// and detaches when the player is disposed. video.js is passed in, never imported, so that the
// SDK itself depends on nothing.

import { attach } from './index.js';

const trackers = new WeakMap();  // player → its tracker, so that a second call replaces the first

/**
 * Registers the plugin (as `name`, 'progressd' by default) with the given videojs. Registering
 * again is harmless.
 */
export function registerProgressdPlugin(videojs, name = 'progressd') {
    if (!videojs || typeof videojs.registerPlugin !== 'function') {
        throw new TypeError('registerProgressdPlugin(videojs): pass the videojs function');
    }
    if (typeof videojs.getPlugin === 'function' && videojs.getPlugin(name) === progressdPlugin) return;
    videojs.registerPlugin(name, progressdPlugin);
}

/** player.progressd(options): the same options as attach(), without the element; returns the tracker. */
function progressdPlugin(options = {}) {
    const player = this;
    const previous = trackers.get(player);
    if (previous) previous.detach();
    const media = mediaElementOf(player);
    if (!media) throw new TypeError('progressd: this player has no media element to track');
    const tracker = attach(media, options);
    trackers.set(player, tracker);
    player.one('dispose', () => {
        if (trackers.get(player) === tracker) trackers.delete(player);
        tracker.detach();
    });
    return tracker;
}

function mediaElementOf(player) {
    let tech = null;
    try {
        tech = player.tech({ IWillNotUseThisInPlugins: true });
    } catch {
        // No tech yet: look in the player's element instead.
    }
    const techEl = tech && typeof tech.el === 'function' ? tech.el() : null;
    if (techEl && typeof techEl.addEventListener === 'function' && 'currentTime' in techEl) return techEl;
    const root = typeof player.el === 'function' ? player.el() : null;
    return root && typeof root.querySelector === 'function' ? root.querySelector('video, audio') : null;
}
