// The pings on their way to the server: kept in order, saved to storage whenever they change,
// sent one by one or in batches, retried with backoff on a network error, 5xx or 429 (honouring
// Retry-After, and at once when the browser comes back online), dropped on any other 4xx.
// A ping leaves the queue only when the server has answered for it; since the server drops a
// repeated (session_id, seq), sending a ping twice is harmless and losing one is not.

import { ProgressdError } from './errors.js';
import { httpError, retryAfterMs } from './api.js';

const MAX_QUEUED = 1000;            // beyond this the oldest ping is dropped (the batch limit, too)
const MAX_BATCH = 100;              // pings per request: well under the server's body limit
const KEEPALIVE_BYTES = 60_000;     // browsers refuse keepalive bodies beyond 64 KiB in flight
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
const BACKOFF_JITTER = 0.25;        // up to 25 % added, so that clients do not retry in step
const RETRY_AFTER_MAX_MS = 3_600_000;
const STORAGE_VERSION = 1;

// Sessions of trackers alive in this page. A new tracker adopts the stored pings of any other
// session (a previous page's), and leaves alone those another live tracker is still sending.
const liveSessions = new Set();

const keyOf = (ping) => `${ping.session_id}\n${ping.seq}`;

function isRetriable(status) {
    return status === 408 || status === 429 || status >= 500;
}

function isSuccess(status) {
    return status >= 200 && status < 300;
}

export class PingQueue {
    /**
     * @param {object} deps
     * @param {import('./api.js').Api} deps.api
     * @param {Storage|null} deps.storage
     * @param {string} deps.storageKey
     * @param {string} deps.sessionId
     * @param {() => number} deps.now
     * @param {{setTimeout: Function, clearTimeout: Function}} deps.timers
     * @param {() => number} deps.random
     * @param {(error: Error) => void} deps.report
     * @param {(ping: object, result: object|null) => void} deps.delivered
     */
    constructor({ api, storage, storageKey, sessionId, now, timers, random, report, delivered }) {
        this.api_ = api;
        this.storage_ = storage;
        this.storageKey_ = storageKey;
        this.sessionId_ = sessionId;
        this.now_ = now;
        this.timers_ = timers;
        this.random_ = random;
        this.report_ = report;
        this.delivered_ = delivered;
        this.items_ = [];
        this.adopted_ = new Set();     // keys of pings taken over from storage
        this.running_ = null;          // the round of sending under way
        this.timer_ = null;            // the retry waiting to happen
        this.failures_ = 0;            // consecutive failed rounds
        this.batchSize_ = MAX_BATCH;
        this.storageReported_ = false;
        this.closed_ = false;
        liveSessions.add(sessionId);
    }

    get pending() {
        return this.items_.length;
    }

    /** Takes over the pings a previous page left in storage. Returns how many. */
    load() {
        for (const ping of this.readStored_()) {
            if (liveSessions.has(ping.session_id) || this.adopted_.has(keyOf(ping))) continue;
            this.adopted_.add(keyOf(ping));
            this.items_.push(ping);
        }
        return this.items_.length;
    }

    /** Queues a ping and sends it, unless a retry is being waited for. */
    add(ping) {
        this.hold(ping);
        if (this.timer_ === null) this.run_();
    }

    /** Queues and saves a ping without sending it (sendKeepalive follows). */
    hold(ping) {
        this.items_.push(ping);
        while (this.items_.length > MAX_QUEUED) {
            const oldest = this.items_.shift();
            this.report_(new ProgressdError('dropped', `queue full: dropped the oldest ping (seq ${oldest.seq})`,
                                            { ping: oldest }));
        }
        this.save();
    }

    /** Sends what load() took over from storage. */
    start() {
        if (this.items_.length > 0) this.run_();
    }

    /** Sends now, whatever backoff or Retry-After said; resolves once this round has ended. */
    flush() {
        this.cancelTimer_();
        return this.run_();
    }

    /** The browser says it is online again: no reason to wait for the backoff. */
    online() {
        if (this.timer_ === null) return;
        this.cancelTimer_();
        this.run_();
    }

    /**
     * The page is going away: the queue is already saved; send as much of it as a keepalive
     * request may carry. What it delivers leaves the queue if the page lives to read the answer;
     * otherwise the next page sends it again and the server recognises the repeat.
     */
    sendKeepalive() {
        this.save();
        if (this.closed_ || this.items_.length === 0) return;
        const chunk = [];
        let bytes = 16;
        for (const ping of this.items_.slice(0, MAX_BATCH)) {
            bytes += JSON.stringify(ping).length + 1;
            if (chunk.length > 0 && bytes > KEEPALIVE_BYTES) break;
            chunk.push(ping);
        }
        // If the page lives on (it was only hidden), a failure is retried as any other.
        const idle = () => this.timer_ === null && this.running_ === null;
        this.api_.postPingsKeepalive(chunk).then(
            (response) => {
                if (response.status === 401) {
                    // The token at hand was stale: a normal round can ask getToken for another.
                    if (idle()) this.run_();
                    return;
                }
                const outcome = this.settle_(chunk, response);
                if (outcome.retry && idle()) this.retryLater_(outcome.waitMs, outcome.error);
            },
            (error) => {
                if (idle()) this.retryLater_(null, error);
            });
    }

    /** Stops sending; what is queued stays in storage for the next page. */
    close() {
        this.closed_ = true;
        this.cancelTimer_();
        this.release();
    }

    /** Lets a tracker attached later in this page take over what this one leaves in storage. */
    release() {
        liveSessions.delete(this.sessionId_);
    }

    /** Writes the queue to storage, keeping the pings other live trackers have saved there. */
    save() {
        if (!this.storage_) return;
        try {
            const others = this.readStored_().filter(
                (ping) => ping.session_id !== this.sessionId_ && !this.adopted_.has(keyOf(ping)));
            const pings = others.concat(this.items_);
            if (pings.length === 0) this.storage_.removeItem(this.storageKey_);
            else this.storage_.setItem(this.storageKey_, JSON.stringify({ v: STORAGE_VERSION, pings }));
        } catch (error) {
            this.storageFailed_(error);
        }
    }

    readStored_() {
        if (!this.storage_) return [];
        let text;
        try {
            text = this.storage_.getItem(this.storageKey_);
        } catch (error) {
            this.storageFailed_(error);
            return [];
        }
        if (text === null || text === undefined) return [];
        try {
            const stored = JSON.parse(text);
            if (!stored || stored.v !== STORAGE_VERSION || !Array.isArray(stored.pings)) return [];
            return stored.pings.filter((ping) => ping && typeof ping === 'object' && ping.session_id !== undefined);
        } catch {
            return [];  // not ours, or damaged: the next save replaces it
        }
    }

    storageFailed_(error) {
        // Reported once: a full or forbidden storage stays so, and the queue works in memory.
        if (this.storageReported_) return;
        this.storageReported_ = true;
        this.report_(new ProgressdError('storage', `cannot use storage: ${error && error.message ? error.message : error}`,
                                        { cause: error }));
    }

    run_() {
        if (this.closed_) return Promise.resolve();
        if (this.running_ === null) {
            this.running_ = this.round_().finally(() => { this.running_ = null; });
        }
        return this.running_;
    }

    // Sends the queue in order, a batch at a time, until it is empty or a request must be retried.
    async round_() {
        while (!this.closed_ && this.items_.length > 0) {
            const chunk = this.items_.slice(0, this.batchSize_);
            let response;
            try {
                response = await this.api_.postPings(chunk);
            } catch (error) {
                this.retryLater_(null, error);
                return;
            }
            const outcome = this.settle_(chunk, response);
            if (outcome.retry) {
                this.retryLater_(outcome.waitMs, outcome.error);
                return;
            }
        }
        this.failures_ = 0;
    }

    // Applies an answer to the pings it was for: delivered ones and refused ones leave the queue.
    settle_(chunk, response) {
        const before = this.items_.length;
        const outcome = this.apply_(chunk, response);
        if (this.items_.length !== before) this.save();
        return outcome;
    }

    apply_(chunk, response) {
        const { status } = response;
        if (chunk.length > 1 && status === 413 && this.batchSize_ > 1) {
            this.batchSize_ = Math.max(1, Math.floor(chunk.length / 2));
            return { retry: false };
        }
        if (isRetriable(status)) {
            return { retry: true, waitMs: retryAfterMs(response.headers, this.now_()),
                     error: httpError(response, `progressd answered ${status}`) };
        }
        if (!isSuccess(status)) {
            for (const ping of chunk) this.refused_(ping, status, response.body);
            return { retry: false };
        }
        if (chunk.length === 1) {
            this.delivered_now_(chunk[0], response.body);
            return { retry: false };
        }
        const results = response.body && Array.isArray(response.body.results) ? response.body.results : null;
        if (!results || results.length !== chunk.length) {
            return { retry: true, waitMs: null,
                     error: new ProgressdError('http', 'the batch answer has no result per ping', { status }) };
        }
        let retry = false;
        chunk.forEach((ping, i) => {
            const result = results[i] || {};
            const pingStatus = Number(result.status);
            if (isSuccess(pingStatus)) this.delivered_now_(ping, result.progress === undefined ? null : result.progress);
            else if (isRetriable(pingStatus)) retry = true;
            else this.refused_(ping, pingStatus, result.error);
        });
        return retry ? { retry, waitMs: null, error: new ProgressdError('http', 'some pings of a batch must be retried') }
                     : { retry };
    }

    delivered_now_(ping, result) {
        if (!this.remove_(ping)) return;  // already settled by another request (a keepalive send)
        this.delivered_(ping, result);
    }

    refused_(ping, status, problem) {
        if (!this.remove_(ping)) return;
        const base = httpError({ status, body: problem }, `progressd refused ping seq ${ping.seq} with ${status}`);
        this.report_(new ProgressdError('dropped', base.message, { status, problem: base.problem, ping }));
    }

    remove_(ping) {
        const key = keyOf(ping);
        const index = this.items_.findIndex((item) => keyOf(item) === key);
        if (index < 0) return false;
        this.items_.splice(index, 1);
        return true;
    }

    retryLater_(waitMs, error) {
        this.failures_ += 1;
        // Reported when a run of failures begins, not at every retry of a long outage.
        if (error && this.failures_ === 1) {
            error.willRetry = true;
            this.report_(error);
        }
        if (this.closed_) return;
        const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.failures_ - 1))
            * (1 + BACKOFF_JITTER * this.random_());
        const delay = Math.max(backoff, Math.min(waitMs ?? 0, RETRY_AFTER_MAX_MS));
        this.cancelTimer_();
        this.timer_ = this.timers_.setTimeout(() => {
            this.timer_ = null;
            this.run_();
        }, delay);
    }

    cancelTimer_() {
        if (this.timer_ === null) return;
        this.timers_.clearTimeout(this.timer_);
        this.timer_ = null;
    }
}
