// The browser suite's shared setup: a real progressd (temp data dir, loopback port 0, CORS for the
// test pages' origin), a static server for the pages, the SDK's sources, video.js and media made by
// ffmpeg, and a headless Chromium driven by playwright-core. The pages are served as
// http://localhost:P while progressd answers on http://127.0.0.1:Q, so every API call is
// cross-origin, as on a real site.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStaticServer } from '../../tools/static_server.js';
import { makeVideo, mediaCacheDir } from '../../tools/media.js';
import { api, startProgressd } from '../../tools/progressd.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const JS_ROOT = path.resolve(HERE, '..', '..');

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
  // Pages of the suite play in windows nobody looks at: they must not be throttled as hidden.
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** The media every player test uses: 24 s, so a few seconds of play is a small, known share. */
export const VIDEO_SECONDS = 24;

/** Debian's Chromium (or $CHROMIUM_BIN), headless, with a fresh profile. */
export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export function unique(prefix) {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Polls `check` (sync or async) until it returns a truthy value; that value, or throws. */
export async function waitFor(check, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${message} (last: ${
      last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts everything one test file needs. `catalog` (optional) is loaded by progressd.
 * Returns the harness object; call close() in the file's after().
 */
export async function startHarness({ catalog } = {}) {
  const videoFile = await makeVideo({ seconds: VIDEO_SECONDS });
  const mounts = {
    '/test': path.join(HERE, 'pages'),
    '/src': path.join(JS_ROOT, 'src'),
    '/demo': path.join(JS_ROOT, 'demo'),
    '/vendor/video.js': path.join(JS_ROOT, 'node_modules', 'video.js', 'dist'),
    '/media': mediaCacheDir(),
  };
  const pages = await startStaticServer(mounts);
  const pageOrigin = `http://localhost:${pages.port}`;
  let server;
  let browser;
  try {
    server = await startProgressd({ catalog, corsOrigins: [pageOrigin] });
    browser = await launchBrowser();
  } catch (error) {
    await server?.stop();
    await pages.close();
    throw error;
  }
  const harness = {
    server,
    browser,
    pageOrigin,
    // The same static server under another origin, one progressd does not allow.
    otherOrigin: `http://127.0.0.1:${pages.port}`,
    mediaPath: `/media/${path.basename(videoFile)}`,

    /** A service-key request to progressd: {status, body}. */
    api(method, pathAndQuery, body) {
      return api(server.url, server.apiKey, method, pathAndQuery, body);
    },

    /** The server's record of `user` on `contentId` (GET /v1/progress/{id}), or null on 404. */
    async record(user, contentId, contextId = '') {
      const query = new URLSearchParams({ user_id: user, context_id: contextId });
      const { status, body } = await harness.api('GET', `/v1/progress/${encodeURIComponent(contentId)}?${query}`);
      if (status === 404) return null;
      if (status !== 200) throw new Error(`GET progress answered ${status}: ${JSON.stringify(body)}`);
      return body;
    },

    /** A fresh browser context (own storage, own network state). */
    newContext() {
      return browser.newContext({ viewport: { width: 1000, height: 700 } });
    },

    /**
     * Opens the plain SDK test page in `context`: `options` go to attach() (url and token filled
     * in), `page` options: playbackRate, origin (default pageOrigin), path (default player.html).
     * The config survives reloads (an init script of the page). Resolves to the page once
     * window.tracker exists.
     */
    async openPlayer(context, { user, contentId, playbackRate = 1, origin = pageOrigin,
                                pagePath = '/test/player.html', ...options }) {
      const token = await server.token(user);
      const page = await context.newPage();
      const config = { url: server.url, token, contentId, media: harness.mediaPath, playbackRate, options };
      await page.addInitScript((value) => { window.PROGRESSD_TEST = value; }, config);
      page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
      await page.goto(origin + pagePath);
      await page.waitForFunction(() => window.testReady === true, null, { timeout: 10_000 });
      return page;
    },

    /**
     * Runs `run({ user, contentId, context, requests })` with a fresh user and content id (or the
     * ones given), a fresh context and its pings captured (`capturePings`); the context is closed
     * afterwards, whatever happened. Resolves to what `run` resolves to.
     */
    async withContext({ user = unique('u'), contentId = unique('lesson') } = {}, run) {
      const context = await harness.newContext();
      const requests = harness.capturePings(context);
      try {
        return await run({ user, contentId, context, requests });
      } finally {
        await context.close();
      }
    },

    /**
     * `withContext`, with the test page opened in the context first (`openPlayer` with `options`,
     * user and contentId filled in): `run({ page, user, contentId, context, requests })`.
     */
    withPlayer(options, run) {
      return harness.withContext(options, async (fixture) => run({
        ...fixture,
        page: await harness.openPlayer(fixture.context, { ...options, user: fixture.user, contentId: fixture.contentId }),
      }));
    },

    /** Polls the server's record of `user` on `contentId` until `accept(record)`; that record. */
    recordWhen(user, contentId, accept, { message = 'the record on the server', ...options } = {}) {
      return waitFor(async () => {
        const record = await harness.record(user, contentId);
        return record && accept(record) && record;
      }, { message, ...options });
    },

    /** The server's record once its position is `seconds` (within 0.3 s), as after a pause there. */
    recordAt(user, contentId, seconds, message = `the position ${seconds} on the server`) {
      return harness.recordWhen(user, contentId, (record) => Math.abs(record.position_seconds - seconds) < 0.3,
        { message });
    },

    /**
     * Plays `page` from where it is to `to` s of media, then waits for the server's record to show
     * `spent` s or more of time spent; that record. `controls` drive the player (default `media`,
     * the plain <video>).
     */
    async playUntilSpent({ page, user, contentId, to, spent, message, controls = media }) {
      await controls.play(page);
      await controls.reach(page, to);
      return harness.recordWhen(user, contentId, (record) => record.time_spent_seconds >= spent,
        { message: message || `time spent of ${spent} s or more on the server` });
    },

    /**
     * Records every ping request the pages of `context` send to progressd: entries
     * {pings: [ping…], status (null while in flight), failed (the error text, if it failed),
     * failedAt (when, in ms)}.
     */
    capturePings(context) {
      const seen = [];
      const byRequest = new Map();
      const ours = (request) => request.method() === 'POST' && request.url().startsWith(server.url) &&
        /\/v1\/progress(\/batch)?$/.test(new URL(request.url()).pathname);
      context.on('request', (request) => {
        if (!ours(request)) return;
        let body = null;
        try {
          body = JSON.parse(request.postData() || 'null');
        } catch {
          body = null;
        }
        const entry = { pings: body && Array.isArray(body.pings) ? body.pings : [body], status: null, failed: null };
        seen.push(entry);
        byRequest.set(request, entry);
      });
      context.on('requestfinished', async (request) => {
        const entry = byRequest.get(request);
        if (entry) entry.status = (await request.response().catch(() => null))?.status() ?? null;
      });
      context.on('requestfailed', (request) => {
        const entry = byRequest.get(request);
        if (!entry) return;
        entry.failed = request.failure()?.errorText || 'failed';
        entry.failedAt = Date.now();
      });
      return seen;
    },

    /**
     * Waits until every captured request has its answer or its failure (the events come a little
     * after the page's fetch resolves).
     */
    settled(requests, timeout = 5_000) {
      return waitFor(() => requests.every((r) => r.status !== null || r.failed), {
        timeout, message: 'every captured ping request answered or failed' });
    },

    async close() {
      await browser?.close().catch(() => {});
      await server?.stop();
      await pages.close();
    },
  };
  return harness;
}

// --- in-page helpers (run through page.evaluate) ----------------------------------------------

export const media = {
  play: (page) => page.evaluate(() => document.querySelector('video').play()),
  pause: (page) => page.evaluate(() => document.querySelector('video').pause()),
  time: (page) => page.evaluate(() => document.querySelector('video').currentTime),
  seek: (page, seconds) => page.evaluate((s) => new Promise((resolve) => {
    const video = document.querySelector('video');
    video.addEventListener('seeked', () => resolve(video.currentTime), { once: true });
    video.currentTime = s;
  }), seconds),
  /** Waits until the video has played to at least `seconds`. */
  reach: (page, seconds, timeout = 20_000) => page.waitForFunction(
    (s) => document.querySelector('video').currentTime >= s, seconds, { timeout, polling: 50 }),
  pending: (page) => page.evaluate(() => window.tracker.pending),
};

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
