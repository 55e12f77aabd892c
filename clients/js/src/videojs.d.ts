// Types of @progressd/player/videojs: the video.js 8 plugin.
import type { AttachOptions, Tracker } from '../index.js';

/** The part of videojs the plugin needs. */
export interface VideojsLike {
    registerPlugin(name: string, plugin: (this: any, ...args: any[]) => unknown): unknown;
    getPlugin?(name: string): unknown;
}

/** The options of player.progressd(): attach()'s, without the element. */
export type ProgressdPluginOptions = AttachOptions;

/**
 * Registers player.progressd(options) (or player[name]) on the given videojs. The plugin tracks
 * the player's media element, returns the Tracker, and detaches when the player is disposed.
 */
export function registerProgressdPlugin(videojs: VideojsLike, name?: string): void;
