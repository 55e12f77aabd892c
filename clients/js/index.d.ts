// Types of @progressd/player. The wire types are named after docs/openapi.json's components.

/** What a ping says happened (components.schemas.PingEvent). */
export type PingEvent = 'start' | 'update' | 'end' | 'complete';

/** One observation of the player: the body of POST /v1/progress (components.schemas.ProgressPing). */
export interface ProgressPing {
    content_id: string;
    /** '' for organic use. */
    context_id?: string;
    collection_id?: string;
    /** Only with a service key. */
    user_id?: string;
    position_seconds?: number;
    /** Sent only when the media's duration is finite. */
    duration_seconds?: number;
    progress_percent?: number;
    /** Real playback since the previous ping of the session, 0–3600. */
    time_spent_delta_seconds?: number;
    event?: PingEvent;
    session_id?: string;
    /** 1, 2, 3… per session; a retried ping keeps its seq. */
    seq?: number;
    /** When the ping was made, ms since the epoch. */
    ts?: number;
    mimetype?: string;
    details?: Record<string, unknown>;
    /** The [from, to] ranges actually played since the previous ping, at most 100. */
    segments?: Array<[number, number]>;
}

/** The body of POST /v1/progress/batch (components.schemas.BatchRequest). */
export interface BatchRequest {
    pings: ProgressPing[];
}

/** A record's state after a ping: what a ping answers (components.schemas.ProgressSummary). */
export interface ProgressSummary {
    content_id: string;
    context_id: string;
    /** 0 not started, 1 in progress, 2 completed. */
    status: 0 | 1 | 2;
    progress_percent: number;
    position_seconds: number;
    time_spent_seconds: number;
    completed: boolean;
}

/** One bad field of a request: a path into the body (components.schemas.FieldError). */
export interface FieldError {
    field: string;
    message: string;
}

/** An RFC 9457 problem: every error progressd answers (components.schemas.Problem). */
export interface Problem {
    type: string;
    title: string;
    status: number;
    detail: string;
    errors: FieldError[];
}

/** One ping's outcome in a batch (components.schemas.BatchResult). */
export type BatchResult =
    | { status: 200; progress: ProgressSummary }
    | { status: number; error: Problem };

/** The answer to POST /v1/progress/batch (components.schemas.BatchResponse). */
export interface BatchResponse {
    results: BatchResult[];
}

/** The full record: GET /v1/progress/{content_id} (components.schemas.ProgressRecord). */
export interface ProgressRecord {
    user_id: string;
    context_id: string;
    content_id: string;
    record_id: string;
    status: 0 | 1 | 2;
    completed: boolean;
    progress_percent: number;
    watched_percent: number;
    hidden: boolean;
    position_seconds: number;
    duration_seconds: number | null;
    time_spent_seconds: number;
    views: number;
    first_accessed_at: number | null;
    last_accessed_at: number | null;
    updated_at: number | null;
    completed_at: number | null;
    mimetype: string | null;
    details: Record<string, unknown> | null;
}

/** The part of an HTMLMediaElement the SDK uses. */
export interface MediaLike extends EventTarget {
    currentTime: number;
    readonly duration: number;
    readonly paused: boolean;
    readonly ended: boolean;
    readonly seeking: boolean;
    readonly playbackRate: number;
    readonly readyState: number;
}

/** The part of the Web Storage API the SDK uses. */
export interface StorageLike {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
}

export type ProgressdErrorCode =
    | 'network' | 'http' | 'dropped' | 'token' | 'storage' | 'resume' | 'callback' | 'internal';

/** What onError receives. */
export class ProgressdError extends Error {
    constructor(code: ProgressdErrorCode, message: string,
                extra?: { status?: number; problem?: Problem; ping?: ProgressPing; cause?: unknown });
    name: 'ProgressdError';
    /**
     * network: no answer (offline, CORS…), pings kept; http: an unusable answer (5xx/429 keep the
     * pings); dropped: the server refused a ping, which is not sent again; token: getToken failed;
     * storage: the queue could not be saved or read; resume: the record could not be read;
     * callback: onPing threw; internal: anything else inside an event handler.
     */
    readonly code: ProgressdErrorCode;
    /** The HTTP status, when there was an answer. */
    readonly status?: number;
    /** The server's problem document, when it sent one. */
    readonly problem?: Problem;
    /** The ping concerned ('dropped'). */
    readonly ping?: ProgressPing;
    /** True on the first failure of a run of them, whose pings stay queued and are retried. */
    willRetry?: boolean;
}

export interface AttachOptions {
    /** progressd's base URL, e.g. 'https://progress.example.com'. */
    url: string;
    /** A JWT or an API key. */
    token?: string;
    /**
     * Called before the first request when there is no token, after a 401 (the request is then
     * retried once), and when a JWT's `exp` is less than 30 s away.
     */
    getToken?: () => string | Promise<string>;
    contentId: string;
    /** Default '' (organic use). */
    contextId?: string;
    /** Sent as collection_id. */
    collectionId?: string;
    /** Only with a service key: sent as user_id, and on the resume read. */
    userId?: string;
    /** Seconds of actual playback between periodic 'update' pings. Default 10. */
    updateIntervalSeconds?: number;
    /** Read the record and seek to its position once the metadata is loaded. Default true. */
    resume?: boolean;
    /** No resume when the position is within this many seconds of the end. Default 10. */
    resumeNearEndSeconds?: number;
    /** Where the queue is saved. Default globalThis.localStorage; null: not saved. */
    storage?: StorageLike | null;
    /** Default 'progressd:queue:' + url. */
    storageKey?: string;
    /** Passed through on every ping. */
    mimetype?: string;
    /** Passed through on every ping (at most 4 KiB as JSON). */
    details?: Record<string, unknown>;
    /** Every error after attach() returned; never thrown into the page. */
    onError?: (error: ProgressdError) => void;
    /** After the server acknowledged a ping: its summary (null when it answered 204). */
    onPing?: (ping: ProgressPing, result: ProgressSummary | null) => void;
    /** Default globalThis.fetch. */
    fetch?: typeof fetch;
    /** Milliseconds since the epoch. Default Date.now. */
    now?: () => number;
    /** For tests: the timers retries wait on. Default globalThis.setTimeout/clearTimeout. */
    timers?: { setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (handle: unknown) => void };
    /** For tests: 0 ≤ x < 1 for the backoff's jitter. Default Math.random. */
    random?: () => number;
    /** For tests: where pagehide and online arrive. Default globalThis.window; null: not listened to. */
    window?: EventTarget | null;
    /** For tests: where visibilitychange arrives. Default globalThis.document; null: always visible. */
    document?: (EventTarget & { visibilityState: string }) | null;
}

export interface Tracker {
    /** New per attach(). */
    readonly sessionId: string;
    /** Pings queued and not yet acknowledged. */
    readonly pending: number;
    /** Tries to deliver the queue now, whatever the backoff; resolves when that try has ended. */
    flush(): Promise<void>;
    /** The position the resume seeked to, or null when it did not. Never rejects. */
    readonly resumed: Promise<number | null>;
    /** Sends the last position ('update'), removes every listener; unsent pings stay saved. */
    detach(): Promise<void>;
}

/**
 * Tracks a media element's playback for progressd. Throws a TypeError only when the element,
 * url or contentId is missing; every later error goes to onError.
 */
export function attach(media: MediaLike, options: AttachOptions): Tracker;

/** The `exp` claim of a JWT in milliseconds, or null when the token is not a JWT with one. */
export function jwtExpiryMs(token: string): number | null;
