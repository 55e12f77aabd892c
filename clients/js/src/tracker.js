// Media, page and network events → pings: start at the first `playing`, update every
// updateIntervalSeconds of real playback and at pause and seeked, end at ended, and an update
// sent with keepalive when the page goes away.

import { guard } from './errors.js';
import { PlaybackClock } from './playback_clock.js';

const MAX_SECONDS = 1e7;
const MAX_TIME_SPENT = 3600;  // the server's bound on one ping's time_spent_delta_seconds
const HAVE_METADATA = 1;
const HAVE_FUTURE_DATA = 3;

function round3(x) {
    return Math.round(x * 1000) / 1000;
}

function seconds(x) {
    return round3(Math.min(MAX_SECONDS, Math.max(0, x)));
}

export class Tracker {
    /**
     * @param {object} deps
     * @param {HTMLMediaElement} deps.media
     * @param {object} deps.fields     what every ping carries: content_id, context_id, and the optional ones
     * @param {number} deps.updateIntervalSeconds
     * @param {string} deps.sessionId
     * @param {import('./ping_queue.js').PingQueue} deps.queue
     * @param {() => number} deps.now
     * @param {EventTarget|null} deps.win       where pagehide and online arrive
     * @param {Document|null} deps.doc         where visibilitychange arrives
     * @param {(error: Error) => void} deps.report
     */
    constructor({ media, fields, updateIntervalSeconds, sessionId, queue, now, win, doc, report }) {
        this.media_ = media;
        this.fields_ = fields;
        this.interval_ = updateIntervalSeconds;
        this.sessionId_ = sessionId;
        this.queue_ = queue;
        this.now_ = now;
        this.win_ = win;
        this.doc_ = doc;
        this.report_ = report;
        this.clock_ = new PlaybackClock({ now });
        this.seq_ = 0;
        this.started_ = false;        // a start was sent and no end since
        this.lastPosition_ = null;    // position_seconds of the last ping
        this.resumeSeeking_ = false;  // the seek under way is the resume's, not the user's
        this.userSeeked_ = false;
        this.listeners_ = [];
        this.onDetach_ = null;       // ends a wait for metadata
        this.detached_ = false;
    }

    /** Whether the user has moved the playhead (the resume then leaves it alone). */
    get userSeeked() {
        return this.userSeeked_;
    }

    get detached() {
        return this.detached_;
    }

    start() {
        const media = this.media_;
        this.clock_.setRate(media.playbackRate);
        this.clock_.visible = !this.hidden_();
        this.clock_.sample(this.position_());
        this.listen_(media, 'playing', () => this.onPlaying_());
        this.listen_(media, 'pause', () => this.onPause_());
        this.listen_(media, 'seeking', () => this.onSeeking_());
        this.listen_(media, 'seeked', () => this.onSeeked_());
        this.listen_(media, 'ended', () => this.onEnded_());
        this.listen_(media, 'timeupdate', () => this.onTimeupdate_());
        this.listen_(media, 'ratechange', () => this.onRatechange_());
        if (this.doc_) this.listen_(this.doc_, 'visibilitychange', () => this.onVisibilityChange_());
        if (this.win_) {
            this.listen_(this.win_, 'pagehide', (event) => this.onPageHide_(event));
            this.listen_(this.win_, 'online', () => this.queue_.online());
        }
        // Attached to media that already plays: that play is the start.
        if (!media.paused && !media.ended && media.readyState >= HAVE_FUTURE_DATA) this.onPlaying_();
    }

    /** Resolves true once the media knows its duration, false if detached first. */
    whenMetadata() {
        if (this.detached_) return Promise.resolve(false);
        if (this.media_.readyState >= HAVE_METADATA) return Promise.resolve(true);
        return new Promise((resolve) => {
            const done = (ok) => {
                this.unlisten_(entry);
                this.onDetach_ = null;
                resolve(ok);
            };
            const entry = this.listen_(this.media_, 'loadedmetadata', () => done(true));
            this.onDetach_ = () => done(false);
        });
    }

    /** Moves the playhead for the resume, without the update a user's seek sends. */
    seekForResume(position) {
        this.resumeSeeking_ = true;
        this.media_.currentTime = position;
    }

    /** The last update (when this session has played), then no more listening. */
    detach() {
        if (this.detached_) return;
        if (this.seq_ > 0) this.ping_('update');
        this.detached_ = true;
        for (const entry of this.listeners_.slice()) this.unlisten_(entry);
        if (this.onDetach_) this.onDetach_();
    }

    onPlaying_() {
        this.clock_.sample(this.position_());
        this.clock_.playing = true;
        if (this.started_) return;
        this.started_ = true;
        this.ping_('start');
    }

    onPause_() {
        this.clock_.sample(this.position_());
        this.clock_.playing = false;
        // At the end the browser pauses just before `ended`, whose ping says the same and more.
        if (!this.media_.ended) this.ping_('update');
    }

    onSeeking_() {
        // currentTime is already the target: the stretch since the last sample is not known to be
        // play, and is left out.
        this.clock_.seekTo(this.position_());
        this.clock_.seeking = true;
        if (!this.resumeSeeking_) this.userSeeked_ = true;
    }

    onSeeked_() {
        this.clock_.seekTo(this.position_());
        this.clock_.seeking = false;
        if (this.resumeSeeking_) {
            this.resumeSeeking_ = false;
            return;
        }
        this.ping_('update');
    }

    onEnded_() {
        this.clock_.sample(this.position_());
        this.clock_.playing = false;
        this.ping_('end');
        this.started_ = false;  // playing again is a new view
    }

    onTimeupdate_() {
        this.clock_.sample(this.position_());
        if (this.started_ && this.clock_.spentSinceTake >= this.interval_) this.ping_('update');
    }

    onRatechange_() {
        this.clock_.sample(this.position_());
        this.clock_.setRate(this.media_.playbackRate);
    }

    onVisibilityChange_() {
        this.clock_.sample(this.position_());
        const hidden = this.hidden_();
        this.clock_.visible = !hidden;
        if (hidden) this.leave_();
    }

    onPageHide_(event) {
        this.clock_.sample(this.position_());
        this.leave_();
        // Unloaded for good (not kept in the back/forward cache): this session sends no more.
        if (!event || !event.persisted) this.queue_.release();
    }

    // The page may be going away: record where the user is, save, and send what can be sent.
    leave_() {
        this.clock_.sample(this.position_());
        const moved = this.lastPosition_ !== seconds(this.position_()) || !this.clock_.idle;
        if (this.seq_ > 0 && moved) this.ping_('update', { send: false });
        this.queue_.sendKeepalive();
    }

    ping_(event, { send = true } = {}) {
        const position = this.position_();
        this.clock_.sample(position);
        const { timeSpent, segments } = this.clock_.take();
        const ping = {
            ...this.fields_,
            event,
            position_seconds: seconds(position),
            time_spent_delta_seconds: Math.min(MAX_TIME_SPENT, timeSpent),
            session_id: this.sessionId_,
            seq: ++this.seq_,
            ts: Math.round(this.now_()),
            segments,
        };
        const duration = this.media_.duration;
        if (Number.isFinite(duration)) ping.duration_seconds = seconds(duration);
        this.lastPosition_ = ping.position_seconds;
        if (send) this.queue_.add(ping);
        else this.queue_.hold(ping);
    }

    position_() {
        const t = this.media_.currentTime;
        return Number.isFinite(t) ? t : 0;
    }

    hidden_() {
        return Boolean(this.doc_) && this.doc_.visibilityState === 'hidden';
    }

    listen_(target, type, handler) {
        const entry = { target, type, listener: guard(this.report_, handler) };
        target.addEventListener(type, entry.listener);
        this.listeners_.push(entry);
        return entry;
    }

    unlisten_(entry) {
        entry.target.removeEventListener(entry.type, entry.listener);
        const index = this.listeners_.indexOf(entry);
        if (index >= 0) this.listeners_.splice(index, 1);
    }
}
