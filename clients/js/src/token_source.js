// The credential for each request: a fixed token, or getToken() — called before the first request
// when there is no token yet, after a 401, and when a JWT's `exp` is less than 30 s away.

import { ProgressdError } from './errors.js';

const REFRESH_BEFORE_EXP_MS = 30_000;

/** The `exp` claim of a JWT in milliseconds, or null when the token is not a JWT with one. */
export function jwtExpiryMs(token) {
    if (typeof token !== 'string') return null;
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
        const claims = JSON.parse(decodeBase64Url(parts[1]));
        return claims && Number.isFinite(claims.exp) ? claims.exp * 1000 : null;
    } catch {
        return null;
    }
}

function decodeBase64Url(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
}

export class TokenSource {
    /** @param {{token?: string, getToken?: () => string|Promise<string>, now: () => number}} options */
    constructor({ token, getToken, now }) {
        this.token_ = typeof token === 'string' && token !== '' ? token : null;
        this.getToken_ = typeof getToken === 'function' ? getToken : null;
        this.now_ = now;
        this.pending_ = null;  // one getToken() call shared by every request waiting for it
    }

    /** The token to use now, without waiting: for a page that is going away. */
    get current() {
        return this.token_;
    }

    /** The token to use, refreshed first when there is none or a JWT is about to expire. */
    async get() {
        if (this.token_ !== null && !this.expiring_(this.token_)) return this.token_;
        if (!this.getToken_) return this.token_;
        return this.refresh_();
    }

    /**
     * After a 401 with `rejected`: a new token from getToken, or null when there is no other one
     * to try (no getToken, or it gave the same token back).
     */
    async renew(rejected) {
        if (!this.getToken_) return null;
        if (this.token_ !== rejected && this.token_ !== null) return this.token_;
        const fresh = await this.refresh_();
        return fresh !== rejected ? fresh : null;
    }

    expiring_(token) {
        const exp = jwtExpiryMs(token);
        return exp !== null && exp - this.now_() < REFRESH_BEFORE_EXP_MS;
    }

    refresh_() {
        if (!this.pending_) {
            this.pending_ = (async () => {
                let fresh;
                try {
                    fresh = await this.getToken_();
                } catch (error) {
                    throw new ProgressdError('token', `getToken failed: ${error && error.message ? error.message : error}`,
                                             { cause: error });
                }
                if (typeof fresh !== 'string' || fresh === '') {
                    throw new ProgressdError('token', 'getToken returned no token');
                }
                this.token_ = fresh;
                return fresh;
            })();
            const clear = () => { this.pending_ = null; };
            this.pending_.then(clear, clear);
        }
        return this.pending_;
    }
}
