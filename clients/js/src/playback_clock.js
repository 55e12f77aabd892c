// Real played time and the ranges actually played, from samples of the media's currentTime.
//
// Time spent is the advance of currentTime while the media really plays (playing, not seeking,
// the document visible), divided by the playback rate and never more than the wall time between
// the two samples. The caller samples *before* it changes a state flag, so the stretch up to an
// event is judged by the state that held during it.

const MAX_SEGMENTS = 100;      // the server's limit per ping
const JUMP_SLACK_SECONDS = 1;  // an advance this much beyond wall time × rate is a seek, not play
const MAX_SECONDS = 1e7;       // the server's bound on positions

function round3(x) {
    return Math.round(x * 1000) / 1000;
}

function clampPosition(x) {
    return Math.min(MAX_SECONDS, Math.max(0, x));
}

export class PlaybackClock {
    /** @param {{now: () => number}} deps  now in milliseconds */
    constructor({ now }) {
        this.now_ = now;
        this.playing = false;
        this.seeking = false;
        this.visible = true;
        this.rate_ = 1;
        this.lastPosition_ = null;
        this.lastWall_ = null;
        this.spent_ = 0;        // seconds since the last take()
        this.segments_ = [];    // [from, to] pairs since the last take()
        this.open_ = null;      // the range play is extending now, if any (also in segments_)
    }

    get counting() {
        return this.playing && !this.seeking && this.visible;
    }

    /** Seconds of real playback since the last take(). */
    get spentSinceTake() {
        return this.spent_;
    }

    /** Nothing played since the last take(). */
    get idle() {
        return this.spent_ === 0 && this.segments_.length === 0;
    }

    setRate(rate) {
        this.rate_ = Number.isFinite(rate) && rate > 0 ? rate : 1;
    }

    /** Records the media's position now; counts the stretch since the previous sample if it was play. */
    sample(position) {
        const wall = this.now_();
        if (!Number.isFinite(position)) return;
        if (this.lastPosition_ !== null && this.counting) {
            const advance = position - this.lastPosition_;
            const wallSeconds = Math.max(0, (wall - this.lastWall_) / 1000);
            const played = advance / this.rate_;
            if (advance > 0 && played <= wallSeconds + JUMP_SLACK_SECONDS) {
                this.spent_ += Math.min(played, wallSeconds);
                this.extend_(this.lastPosition_, position);
            } else if (advance !== 0) {
                // Backwards (a loop, a replay) or a jump no seek event announced: not played.
                this.open_ = null;
            }
        }
        this.lastPosition_ = position;
        this.lastWall_ = wall;
    }

    /** A seek began: whatever lies between the old and the new position was not played. */
    seekTo(position) {
        this.open_ = null;
        this.lastPosition_ = Number.isFinite(position) ? position : null;
        this.lastWall_ = this.now_();
    }

    /** Time spent and segments since the previous take(), then starts counting afresh. */
    take() {
        const timeSpent = round3(this.spent_);
        const segments = this.segments_
            .map(([from, to]) => [round3(clampPosition(from)), round3(clampPosition(to))])
            .filter(([from, to]) => to > from)
            .slice(-MAX_SEGMENTS);
        this.spent_ = 0;
        this.segments_ = [];
        this.open_ = null;
        return { timeSpent, segments };
    }

    extend_(from, to) {
        if (this.open_ && this.open_[1] === from) {
            this.open_[1] = to;
            return;
        }
        this.open_ = [from, to];
        this.segments_.push(this.open_);
    }
}
