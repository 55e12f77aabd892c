#!/usr/bin/env node
// The demo: a small course page on the player SDK, against a real progressd. Starts progressd
// (a demo data dir, CORS for the page's origin, a catalog of one course with four lessons, a
// service API key), makes the lessons' media with ffmpeg, mints a user token, and serves the page.
// `tools/demo` builds first and runs this; `startDemo` is also what the browser suite's demo test
// runs. Usage: node tools/demo.js [--port N] [--api-port N] [--data-dir DIR] [--fresh]
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeVideo, mediaCacheDir } from './media.js';
import { startProgressd } from './progressd.js';
import { startStaticServer } from './static_server.js';

const JS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const DEMO_USER = 'demo-learner';
export const COURSE_ID = 'course-patterns';

// One course, four lessons; each lesson's video is the test pattern it is about.
const LESSONS = [
  { id: 'lesson-testsrc', title: 'Reading a test card', pattern: 'testsrc', seconds: 30,
    description: 'Colour bars, a moving gradient and a frame counter: what each part of the card checks.' },
  { id: 'lesson-smpte', title: 'SMPTE colour bars', pattern: 'smptebars', seconds: 40,
    description: 'The classic broadcast bars, and how a monitor is lined up against them.' },
  { id: 'lesson-rgb', title: 'RGB channels', pattern: 'rgbtestsrc', seconds: 35,
    description: 'Red, green and blue on their own: spotting a swapped or missing channel.' },
  { id: 'lesson-motion', title: 'Motion and scaling', pattern: 'testsrc2', seconds: 45,
    description: 'Moving shapes that show dropped frames, tearing and scaler artefacts.' },
];

function catalog(mediaNames) {
  return [
    { id: COURSE_ID, type: 'course', title: 'Broadcast Test Patterns',
      children: LESSONS.map((l) => l.id),
      attributes: { description: 'A four-lesson tour of the pictures engineers use to check a video chain.' } },
    ...LESSONS.map((lesson, i) => ({
      id: lesson.id, type: 'lesson', title: lesson.title, duration_seconds: lesson.seconds, parent_id: COURSE_ID,
      attributes: { description: lesson.description, media_url: `/media/${mediaNames[i]}`, media_type: 'video/webm' },
    })),
  ];
}

/**
 * Starts the whole demo. Options: dataDir (default: progressd-demo/data in the temp dir, kept
 * between runs so progress survives), fresh (wipe it first), port (the page's, default free),
 * apiPort (progressd's, default free). Resolves to {url, apiUrl, apiKey, token, user, courseId,
 * close()}.
 */
export async function startDemo({ dataDir, fresh = false, port = 0, apiPort = 0, log = () => {} } = {}) {
  const home = dataDir ? path.dirname(path.resolve(dataDir)) : path.join(os.tmpdir(), 'progressd-demo');
  dataDir = dataDir ? path.resolve(dataDir) : path.join(home, 'data');
  if (fresh) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });

  log('making the lessons\' media with ffmpeg (cached after the first run)…');
  const files = [];
  for (const lesson of LESSONS) {
    files.push(await makeVideo({ seconds: lesson.seconds, pattern: lesson.pattern, width: 640, height: 360, fps: 24 }));
  }

  // The page's port must be known before progressd starts (its CORS list names the origin).
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'progressd-demo-page-'));
  const pages = await startStaticServer({
    '/': path.join(JS_ROOT, 'demo'),
    '/src': path.join(JS_ROOT, 'src'),
    '/media': mediaCacheDir(),
    '/runtime': runtime,
  }, { port });
  const url = `http://localhost:${pages.port}/`;
  const origin = `http://localhost:${pages.port}`;

  const keyFile = path.join(home, 'api-key');
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, `demo-${randomBytes(12).toString('hex')}\n`, { mode: 0o600 });
  const apiKey = fs.readFileSync(keyFile, 'utf8').trim();
  let server;
  try {
    server = await startProgressd({ dataDir, apiKeys: [apiKey], catalog: catalog(files.map((f) => path.basename(f))),
      corsOrigins: [origin], port: apiPort });
  } catch (error) {
    await pages.close();
    fs.rmSync(runtime, { recursive: true, force: true });
    throw error;
  }
  const token = await server.token(DEMO_USER, 12 * 3600);
  // What the page needs to talk to progressd, served beside it (a demo: the token is meant to be seen).
  fs.writeFileSync(path.join(runtime, 'config.json'),
    JSON.stringify({ api: server.url, token, user: DEMO_USER, courseId: COURSE_ID }, null, 2));

  return {
    url, apiUrl: server.url, apiKey, token, user: DEMO_USER, courseId: COURSE_ID, dataDir,
    async close() {
      await pages.close();
      await server.stop();
      fs.rmSync(runtime, { recursive: true, force: true });
    },
  };
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--port') options.port = Number(value());
    else if (arg === '--api-port') options.apiPort = Number(value());
    else if (arg === '--data-dir') options.dataDir = value();
    else if (arg === '--fresh') options.fresh = true;
    else if (arg === '-h' || arg === '--help') options.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`demo: ${error.message} (see --help)`);
    process.exit(2);
  }
  if (options.help) {
    console.log(`Usage: tools/demo [--port N] [--api-port N] [--data-dir DIR] [--fresh]
  --port N       the demo page's port (default: a free one)
  --api-port N   progressd's port (default: a free one)
  --data-dir D   progressd's data dir (default: ${path.join(os.tmpdir(), 'progressd-demo', 'data')}; kept between runs)
  --fresh        start with no progress (empties the data dir)`);
    return;
  }
  const demo = await startDemo({ ...options, log: (line) => console.log(line) });
  console.log(`
progressd demo
  open        ${demo.url}
  progressd   ${demo.apiUrl}   (data in ${demo.dataDir})
  user token  (${demo.user}, 12 h) in ${demo.url}runtime/config.json
  API key     ${demo.apiKey}
  try         curl -s -H 'Authorization: Bearer ${demo.apiKey}' '${demo.apiUrl}/v1/collections/${demo.courseId}/progress?user_id=${demo.user}'
Ctrl-C stops both servers.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`demo: ${error.message}`);
    process.exit(1);
  });
}
