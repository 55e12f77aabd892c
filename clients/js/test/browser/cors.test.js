// CORS as a browser enforces it: progressd runs with --cors-allow-origins naming only the test
// pages' origin (http://localhost:P). The same pages served as http://127.0.0.1:P are another
// origin: their requests must be refused by the browser (fetch rejects with a TypeError), and
// the server's state must not change. The allowed origin doing the same is the control.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { media, sleep, startHarness } from './harness.js';

let h;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

/**
 * From a blank page of `origin` in `context`: POST one ping for `user` with a bearer token; what
 * came back, or the error's name.
 */
async function postPing(context, origin, user, contentId) {
  const page = await context.newPage();
  await page.goto(`${origin}/test/blank.html`);
  return page.evaluate(async ({ url, token, contentId }) => {
    try {
      const response = await fetch(`${url}/v1/progress`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ content_id: contentId, position_seconds: 5, duration_seconds: 24 }),
      });
      return { status: response.status, body: await response.json() };
    } catch (error) {
      return { error: error.name, message: error.message };
    }
  }, { url: h.server.url, token: await h.server.token(user), contentId });
}

test('the allowed origin reads progressd\'s answers', { timeout: 30_000 }, () =>
  h.withContext({}, async ({ context, user, contentId }) => {
    const answer = await postPing(context, h.pageOrigin, user, contentId);
    assert.equal(answer.status, 200, JSON.stringify(answer));
    assert.equal(answer.body.position_seconds, 5);
    assert.equal((await h.record(user, contentId)).position_seconds, 5);
  }));

test('a page on an origin not in the list cannot call progressd', { timeout: 30_000 }, () =>
  h.withContext({}, async ({ context, user, contentId }) => {
    const answer = await postPing(context, h.otherOrigin, user, contentId);
    assert.equal(answer.error, 'TypeError', `fetch must reject: ${JSON.stringify(answer)}`);
    assert.equal(await h.record(user, contentId), null, 'the server has no record');

    // The SDK on that origin: it plays, its pings never land.
    const player = await h.openPlayer(context, { user, contentId, updateIntervalSeconds: 1, origin: h.otherOrigin });
    await media.play(player);
    await media.reach(player, 2.5);
    await sleep(500);
    assert.ok(await media.pending(player) >= 1, 'the refused pings stay queued');
    assert.equal(await h.record(user, contentId), null, 'still no record');
  }));

test('preflights: 204 with the allow headers for the listed origin, 403 for another', async () => {
  const ask = (origin) => fetch(`${h.server.url}/v1/progress`, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type' },
  });
  const allowed = await ask(h.pageOrigin);
  assert.equal(allowed.status, 204);
  assert.equal(allowed.headers.get('access-control-allow-origin'), h.pageOrigin);
  assert.match(allowed.headers.get('access-control-allow-methods') || '', /POST/i);
  assert.match(allowed.headers.get('access-control-allow-headers') || '', /authorization/i);
  const refused = await ask(h.otherOrigin);
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
});
