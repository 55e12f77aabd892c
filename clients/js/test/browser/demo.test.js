// The demo page (tools/demo) in Chromium: it loads the course from the live API, plays a lesson,
// and after the pings its per-lesson bars, the course aggregate and the continue-watching row
// show what the server says. Saves a screenshot to $PROGRESSD_SCREENSHOT_DIR (else a temp dir).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api } from '../../tools/progressd.js';
import { startDemo } from '../../tools/demo.js';
import { launchBrowser, tempDir, waitFor } from './harness.js';

let demo;
let browser;
let scratch;
before(async () => {
  scratch = tempDir('progressd-demo-test-');
  demo = await startDemo({ dataDir: path.join(scratch, 'data') });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await demo?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** What the page shows: the aggregate's percent and each lesson's, from its data attributes. */
const shown = (page) => page.evaluate(() => ({
  aggregate: Number(document.getElementById('aggregate').dataset.percent),
  lessons: Object.fromEntries([...document.querySelectorAll('#lessons li')]
    .map((li) => [li.dataset.contentId, Number(li.dataset.percent)])),
  continuing: [...document.querySelectorAll('#continue .tile')].map((tile) => tile.dataset.contentId),
  refreshed: Number(document.body.dataset.refreshed || 0),
}));

test('the demo page shows the server\'s progress after playing a lesson', { timeout: 90_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  try {
    const page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
    await page.goto(demo.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 15_000 });
    const first = await shown(page);
    const lessonIds = Object.keys(first.lessons);
    assert.equal(lessonIds.length, 4, 'four lessons from the catalog');
    assert.equal(first.aggregate, 0);
    assert.deepEqual(first.continuing, []);
    const title = await page.textContent('#course-title');
    const course = await api(demo.apiUrl, demo.apiKey, 'GET', `/v1/contents/${demo.courseId}`);
    assert.equal(title, course.body.title);

    // Play the first lesson at 4x for a while, then pause: the pause ping triggers a refresh.
    const lesson = lessonIds[0];
    await page.evaluate(() => {
      const video = document.getElementById('video');
      video.muted = true;
      video.playbackRate = 4;
      return video.play();
    });
    await page.waitForFunction(() => document.getElementById('video').currentTime >= 12, null, { timeout: 20_000 });
    await page.evaluate(() => document.getElementById('video').pause());

    const server = await waitFor(async () => {
      const { body } = await api(demo.apiUrl, demo.apiKey, 'GET',
        `/v1/collections/${demo.courseId}/progress?user_id=${demo.user}`);
      const child = body.children.find((c) => c.content_id === lesson);
      return child.position_seconds >= 11 && body;
    }, { message: 'the paused position on the server' });
    const child = server.children.find((c) => c.content_id === lesson);
    const now = await waitFor(async () => {
      const s = await shown(page);
      return s.lessons[lesson] === Math.round(child.progress_percent) && s;
    }, { message: `lesson bar at ${Math.round(child.progress_percent)} %` });
    assert.ok(child.progress_percent > 20, `lesson progress ${child.progress_percent}`);
    assert.equal(now.aggregate, Math.round(server.progress_percent), 'the aggregate is the server\'s');
    assert.ok(now.aggregate > 0 && now.aggregate < now.lessons[lesson], 'one lesson of four started');
    for (const other of lessonIds.slice(1)) assert.equal(now.lessons[other], 0);
    assert.deepEqual(now.continuing, [lesson], 'the lesson is in the continue-watching row');
    const width = await page.evaluate((id) => parseFloat(
      document.querySelector(`#lessons li[data-content-id="${id}"] .bar i`).style.width), lesson);
    assert.ok(Math.abs(width - child.progress_percent) < 0.5, `bar width ${width} %`);

    // A reload resumes the lesson where the server has it.
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 15_000 });
    const status = await page.textContent('#lesson-status');
    assert.match(status, /^Resumed at 0:1\d$/);

    // Kept after the run (the data dir is not): a temp dir of its own unless one is named.
    const dir = process.env.PROGRESSD_SCREENSHOT_DIR || tempDir('progressd-screenshot-');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'demo.png');
    await page.screenshot({ path: file, fullPage: true });
    process.stdout.write(`# screenshot: ${file}\n`);
  } finally {
    await context.close();
  }
});
