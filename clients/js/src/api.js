// The HTTP calls the SDK makes to progressd, with the bearer token and the one retry after a 401.

import { ProgressdError } from './errors.js';

export class Api {
    /**
     * @param {{url: string, fetch: typeof fetch, tokens: import('./token_source.js').TokenSource}} deps
     */
    constructor({ url, fetch, tokens }) {
        this.base_ = String(url).replace(/\/+$/, '');
        this.fetch_ = fetch;
        this.tokens_ = tokens;
    }

    /** POST /v1/progress with one ping, or /v1/progress/batch with several. */
    postPings(pings) {
        return this.request_('POST', ...pingTarget(pings));
    }

    /**
     * The same, started synchronously with the token at hand and `keepalive: true`, so that it
     * outlives a page being unloaded (no await may come before fetch() is called).
     */
    postPingsKeepalive(pings) {
        const [path, body] = pingTarget(pings);
        return this.send_('POST', path, body, this.tokens_.current, true);
    }

    /** The record of a content in a context (and for a user, with a service key); null when 404. */
    async getRecord(contentId, contextId, userId) {
        const query = new URLSearchParams({ context_id: contextId });
        if (userId !== undefined && userId !== null) query.set('user_id', userId);
        const path = `/v1/progress/${encodeURIComponent(contentId)}?${query}`;
        const response = await this.request_('GET', path, undefined);
        if (response.status === 404) return null;
        if (response.status !== 200) throw httpError(response, `GET ${path} answered ${response.status}`);
        return response.body;
    }

    async request_(method, path, body) {
        const token = await this.tokens_.get();
        const response = await this.send_(method, path, body, token, false);
        if (response.status !== 401) return response;
        // A rejected token: ask for a new one and try once more; a second 401 is the answer.
        const fresh = await this.tokens_.renew(token);
        if (fresh === null) return response;
        return this.send_(method, path, body, fresh, false);
    }

    send_(method, path, body, token, keepalive) {
        const headers = {};
        if (token) headers.Authorization = `Bearer ${token}`;
        const init = { method, headers };
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
            init.body = body;
        }
        if (keepalive) init.keepalive = true;
        let pending;
        try {
            pending = Promise.resolve(this.fetch_(this.base_ + path, init));
        } catch (error) {
            pending = Promise.reject(error);
        }
        return pending.then(readResponse, (error) => {
            throw new ProgressdError('network', `${method} ${path} failed: ${error && error.message ? error.message : error}`,
                                     { cause: error });
        });
    }
}

function pingTarget(pings) {
    if (pings.length === 1) return ['/v1/progress', JSON.stringify(pings[0])];
    return ['/v1/progress/batch', JSON.stringify({ pings })];
}

async function readResponse(response) {
    let body = null;
    try {
        const text = await response.text();
        if (text !== '') body = JSON.parse(text);
    } catch {
        // A body that is not JSON (a proxy's error page) is no answer to read.
    }
    return { status: response.status, headers: response.headers, body };
}

/** A ProgressdError('http') for an answer, carrying its problem document when it has one. */
export function httpError(response, message) {
    const problem = response.body && typeof response.body === 'object' ? response.body : undefined;
    const detail = problem && (problem.detail || problem.title);
    return new ProgressdError('http', detail ? `${message}: ${detail}` : message,
                              { status: response.status, problem });
}

/** Milliseconds a Retry-After header asks to wait (delta-seconds or an HTTP date), or null. */
export function retryAfterMs(headers, nowMs) {
    const value = headers && typeof headers.get === 'function' ? headers.get('Retry-After') : null;
    if (value === null || value === undefined) return null;
    const text = String(value).trim();
    if (/^\d+$/.test(text)) return Number(text) * 1000;
    const date = Date.parse(text);
    return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}
