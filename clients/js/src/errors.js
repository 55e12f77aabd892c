// What the SDK hands to onError, and the one place that keeps errors out of the page.

/**
 * An error the SDK reports. `code` says what failed:
 * - 'network'  a request did not get an answer (offline, DNS, CORS, aborted); the pings stay queued
 * - 'http'     an answer the SDK could not use (a 5xx or 429 keeps the pings queued; others drop them)
 * - 'dropped'  the server refused a ping (a 4xx other than 429): it is not sent again
 * - 'token'    getToken threw or returned nothing usable
 * - 'storage'  the queue could not be read from or written to storage
 * - 'resume'   the saved position could not be read
 * - 'callback' an onPing callback threw
 * - 'internal' anything else that went wrong inside an event handler
 * `status` is the HTTP status when there was one, `problem` the server's RFC 9457 body,
 * `ping` the ping concerned, `cause` the underlying error.
 */
export class ProgressdError extends Error {
    constructor(code, message, { status, problem, ping, cause } = {}) {
        super(message);
        this.name = 'ProgressdError';
        this.code = code;
        if (status !== undefined) this.status = status;
        if (problem !== undefined) this.problem = problem;
        if (ping !== undefined) this.ping = ping;
        if (cause !== undefined) this.cause = cause;
    }
}

/**
 * Returns report(error): calls onError, and never lets anything escape — not even an onError that
 * throws, since the page must keep playing whatever the tracker does.
 */
export function makeReporter(onError) {
    return function report(error) {
        if (typeof onError !== 'function') return;
        try {
            const result = onError(error);
            if (result && typeof result.catch === 'function') result.catch(() => {});
        } catch {
            // An onError that throws has nowhere left to report to.
        }
    };
}

/**
 * Wraps a handler (sync or async) so that whatever it throws or rejects with goes to report as a
 * ProgressdError('internal') instead of the page's console or unhandledrejection.
 */
export function guard(report, fn) {
    return function guarded(...args) {
        try {
            const result = fn.apply(this, args);
            if (result && typeof result.then === 'function') {
                return result.then(undefined, (error) => {
                    report(asProgressdError(error));
                });
            }
            return result;
        } catch (error) {
            report(asProgressdError(error));
            return undefined;
        }
    };
}

function asProgressdError(error) {
    if (error instanceof ProgressdError) return error;
    const message = error && error.message ? error.message : String(error);
    return new ProgressdError('internal', message, { cause: error });
}
