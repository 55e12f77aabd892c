// Stand-ins for what the SDK meets in a browser: a media element, fetch, storage, the page, and a
// clock whose timers run only when a test moves time on.

export class FakeClock {
    constructor(start = 1_700_000_000_000) {
        this.time = start;
        this.timers = new Map();
        this.nextId = 1;
        this.now = () => this.time;
        this.timerApi = {
            setTimeout: (fn, ms) => {
                const id = this.nextId++;
                this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
                return id;
            },
            clearTimeout: (id) => { this.timers.delete(id); },
        };
    }

    /** The delay of the earliest pending timer, or null. */
    nextDelay() {
        let earliest = null;
        for (const { at } of this.timers.values()) if (earliest === null || at < earliest) earliest = at;
        return earliest === null ? null : earliest - this.time;
    }

    /** Moves time on by ms, running each timer that falls due (and what it starts) in order. */
    async tick(ms) {
        const end = this.time + ms;
        for (;;) {
            await settle();
            let due = null;
            for (const [id, timer] of this.timers) {
                if (timer.at <= end && (due === null || timer.at < due[1].at)) due = [id, timer];
            }
            if (due === null) break;
            this.timers.delete(due[0]);
            this.time = Math.max(this.time, due[1].at);
            due[1].fn();
        }
        this.time = end;
        await settle();
    }
}

/** Lets every pending promise chain (fetch answers, their bodies) run to its end. */
export async function settle() {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeMedia extends EventTarget {
    constructor({ clock, duration = 100 } = {}) {
        super();
        this.clock = clock;
        this.position = 0;
        this.duration = duration;
        this.paused = true;
        this.ended = false;
        this.seeking = false;
        this.playbackRate = 1;
        this.readyState = 4;
        this.seeks = [];  // positions the SDK set
    }

    get currentTime() {
        return this.position;
    }

    // What the SDK does to resume: the browser answers with seeking, then seeked.
    set currentTime(value) {
        this.seeks.push(value);
        this.position = value;
        this.seeking = true;
        this.fire('seeking');
        queueMicrotask(() => {
            this.seeking = false;
            this.fire('seeked');
        });
    }

    fire(type) {
        this.dispatchEvent(new Event(type));
    }

    play() {
        this.paused = false;
        this.ended = false;
        this.fire('play');
        this.fire('playing');
    }

    pause() {
        this.paused = true;
        this.fire('pause');
    }

    /** Plays for `seconds` of wall time in steps of 250 ms, as a browser's timeupdate does. */
    async playFor(seconds, { step = 0.25 } = {}) {
        let left = seconds;
        while (left > 1e-9) {
            const dt = Math.min(step, left);
            left -= dt;
            this.position = Math.min(this.duration, this.position + dt * this.playbackRate);
            await this.clock.tick(dt * 1000);
            this.fire('timeupdate');
        }
        await settle();
    }

    /** The user drags the playhead. */
    seek(to) {
        this.seeking = true;
        this.position = to;
        this.fire('seeking');
        this.fire('timeupdate');
        this.seeking = false;
        this.fire('seeked');
    }

    reachEnd() {
        this.position = this.duration;
        this.ended = true;
        this.fire('timeupdate');
        this.paused = true;
        this.fire('pause');
        this.fire('ended');
    }
}

export class FakeStorage {
    constructor() {
        this.map = new Map();
    }
    getItem(key) {
        return this.map.has(key) ? this.map.get(key) : null;
    }
    setItem(key, value) {
        this.map.set(key, String(value));
    }
    removeItem(key) {
        this.map.delete(key);
    }
}

export class FakeDocument extends EventTarget {
    constructor() {
        super();
        this.visibilityState = 'visible';
    }
    hide() {
        this.visibilityState = 'hidden';
        this.dispatchEvent(new Event('visibilitychange'));
    }
    show() {
        this.visibilityState = 'visible';
        this.dispatchEvent(new Event('visibilitychange'));
    }
}

/** A JSON answer. */
export function json(status, body, headers = {}) {
    return new Response(status === 204 ? null : JSON.stringify(body),
                        { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

/** A summary as POST /v1/progress answers it. */
export function summaryOf(ping) {
    return { content_id: ping.content_id, context_id: ping.context_id, status: 1, progress_percent: 1,
             position_seconds: ping.position_seconds, time_spent_seconds: 1, completed: false };
}

/**
 * fetch that records each request and answers with `handler(request)`; by default a server that
 * accepts every ping and has no record to resume. A handler may throw to act as a network error.
 */
export class FakeFetch {
    constructor(handler = FakeFetch.accepting) {
        this.handler = handler;
        this.requests = [];
        this.fetch = async (url, init = {}) => {
            const request = {
                url,
                method: init.method ?? 'GET',
                headers: init.headers ?? {},
                keepalive: init.keepalive === true,
                body: init.body === undefined ? undefined : JSON.parse(init.body),
            };
            this.requests.push(request);
            return this.handler(request);
        };
    }

    static accepting(request) {
        if (request.method === 'GET') return json(404, { status: 404, title: 'Not found' });
        if (request.url.endsWith('/v1/progress/batch')) {
            return json(200, { results: request.body.pings.map((p) => ({ status: 200, progress: summaryOf(p) })) });
        }
        return json(200, summaryOf(request.body));
    }

    /** Every ping sent so far, in order, from single and batch requests alike. */
    get pings() {
        return this.requests.filter((r) => r.method === 'POST').flatMap((r) => pingsOf(r));
    }

    get posts() {
        return this.requests.filter((r) => r.method === 'POST');
    }
}

export function pingsOf(request) {
    if (request.url.endsWith('/v1/progress/batch')) return request.body.pings;
    return [request.body];
}

/** A network that is down: fetch rejects as browsers do. */
export function offline() {
    throw new TypeError('Failed to fetch');
}

/** Options for attach() wired to the fakes; `overrides` win. */
export function setup(overrides = {}) {
    const clock = overrides.clock ?? new FakeClock();
    const media = overrides.media ?? new FakeMedia({ clock });
    const server = overrides.server ?? new FakeFetch();
    const storage = overrides.storage === undefined ? new FakeStorage() : overrides.storage;
    const win = new EventTarget();
    const doc = new FakeDocument();
    const errors = [];
    const delivered = [];
    const options = {
        url: 'https://progress.test',
        token: 'api-key-1',
        contentId: 'lesson-1',
        fetch: server.fetch,
        now: clock.now,
        timers: clock.timerApi,
        random: () => 0,
        storage,
        window: win,
        document: doc,
        resume: false,
        onError: (error) => errors.push(error),
        onPing: (ping, result) => delivered.push({ ping, result }),
        ...overrides.options,
    };
    return { clock, media, server, storage, win, doc, errors, delivered, options };
}
