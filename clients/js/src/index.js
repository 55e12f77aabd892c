// attach(media, options): the SDK's entry point. Builds the parts (token source, HTTP calls, ping
// queue, event tracker, resume) and hands back the tracker the page holds.

import { Api } from './api.js';
import { ProgressdError, makeReporter } from './errors.js';
import { PingQueue } from './ping_queue.js';
import { resume } from './resume.js';
import { TokenSource } from './token_source.js';
import { Tracker } from './tracker.js';

export { ProgressdError } from './errors.js';
export { jwtExpiryMs } from './token_source.js';

const DEFAULT_UPDATE_INTERVAL_SECONDS = 10;
const DEFAULT_RESUME_NEAR_END_SECONDS = 10;

/**
 * Tracks a media element's playback for progressd. See README.md and index.d.ts for the options.
 * Throws a TypeError only for a missing element, url or contentId; every later error goes to
 * options.onError.
 */
export function attach(media, options = {}) {
    if (!media || typeof media.addEventListener !== 'function') {
        throw new TypeError('progressd attach(): the first argument must be a media element');
    }
    const { url, contentId } = options;
    if (typeof url !== 'string' || url === '') throw new TypeError('progressd attach(): options.url is required');
    if (typeof contentId !== 'string' || contentId === '') {
        throw new TypeError('progressd attach(): options.contentId is required');
    }
    const contextId = options.contextId ?? '';
    const now = options.now ?? Date.now;
    const report = makeReporter(options.onError);
    const sessionId = newSessionId();

    const tokens = new TokenSource({ token: options.token, getToken: options.getToken, now });
    const api = new Api({ url, fetch: options.fetch ?? ((...args) => globalThis.fetch(...args)), tokens });
    const onPing = options.onPing;
    const queue = new PingQueue({
        api,
        storage: options.storage === undefined ? defaultStorage() : options.storage,
        storageKey: options.storageKey ?? `progressd:queue:${url}`,
        sessionId,
        now,
        timers: options.timers ?? { setTimeout: globalThis.setTimeout.bind(globalThis),
                                     clearTimeout: globalThis.clearTimeout.bind(globalThis) },
        random: options.random ?? Math.random,
        report,
        delivered(ping, result) {
            if (typeof onPing !== 'function') return;
            try {
                const returned = onPing(ping, result);
                if (returned && typeof returned.catch === 'function') returned.catch(callbackFailed);
            } catch (error) {
                callbackFailed(error);
            }
        },
    });
    function callbackFailed(error) {
        report(new ProgressdError('callback', `onPing threw: ${error && error.message ? error.message : error}`,
                                  { cause: error }));
    }

    const tracker = new Tracker({
        media,
        fields: pingFields(options, contextId),
        updateIntervalSeconds: positive(options.updateIntervalSeconds, DEFAULT_UPDATE_INTERVAL_SECONDS),
        sessionId,
        queue,
        now,
        win: options.window !== undefined ? options.window : (globalThis.window ?? null),
        doc: options.document !== undefined ? options.document : (globalThis.document ?? null),
        report,
    });

    queue.load();
    tracker.start();
    queue.start();
    const resumed = options.resume === false ? Promise.resolve(null) : resume({
        api,
        tracker,
        media,
        contentId,
        contextId,
        userId: options.userId,
        nearEndSeconds: nonNegative(options.resumeNearEndSeconds, DEFAULT_RESUME_NEAR_END_SECONDS),
        report,
    });

    let detaching = null;
    return {
        sessionId,
        get pending() {
            return queue.pending;
        },
        resumed,
        flush() {
            return queue.flush().catch(report);
        },
        detach() {
            if (detaching === null) {
                detaching = (async () => {
                    try {
                        tracker.detach();
                        await queue.flush();
                    } catch (error) {
                        report(error);
                    } finally {
                        queue.close();
                    }
                })();
            }
            return detaching;
        },
    };
}

// The fields every ping of this tracker carries, as the server names them.
function pingFields(options, contextId) {
    const fields = { content_id: options.contentId, context_id: contextId };
    if (options.collectionId !== undefined && options.collectionId !== null) fields.collection_id = options.collectionId;
    if (options.mimetype !== undefined && options.mimetype !== null) fields.mimetype = options.mimetype;
    if (options.details !== undefined && options.details !== null) fields.details = options.details;
    if (options.userId !== undefined && options.userId !== null) fields.user_id = options.userId;
    return fields;
}

function positive(value, fallback) {
    return Number.isFinite(value) && value > 0 ? value : fallback;
}

function nonNegative(value, fallback) {
    return Number.isFinite(value) && value >= 0 ? value : fallback;
}

function defaultStorage() {
    try {
        return globalThis.localStorage ?? null;
    } catch {
        return null;  // a sandboxed frame may forbid even looking
    }
}

function newSessionId() {
    const crypto = globalThis.crypto;
    if (crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    if (crypto && typeof crypto.getRandomValues === 'function') crypto.getRandomValues(bytes);
    else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
