// Test and demo media made by ffmpeg at run time (nothing binary is committed): short, low
// resolution VP8 WebM, which Debian's Chromium plays without proprietary codecs.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where made media are kept between runs: $PROGRESSD_MEDIA_DIR, else a folder in the temp dir. */
export function mediaCacheDir() {
  return process.env.PROGRESSD_MEDIA_DIR || path.join(os.tmpdir(), 'progressd-media-cache');
}

/**
 * A WebM of `seconds` seconds showing the lavfi `pattern` (testsrc, testsrc2, smptebars,
 * rgbtestsrc…), with a keyframe every second so seeks land close to where they aim.
 * Resolves to the file's path; a file with the same parameters made before is reused, so several
 * test processes share one encode (written to a temporary name and renamed: never half a file).
 */
export async function makeVideo({ seconds = 24, pattern = 'testsrc', width = 320, height = 180,
                                  fps = 15, dir = mediaCacheDir() } = {}) {
  const key = createHash('sha256').update(JSON.stringify([seconds, pattern, width, height, fps, 2]))
    .digest('hex').slice(0, 12);
  const file = path.join(dir, `${pattern}-${seconds}s-${key}.webm`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const partial = `${file}.${process.pid}.part.webm`;
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `${pattern}=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
    '-c:v', 'libvpx', '-b:v', '300k', '-deadline', 'realtime', '-cpu-used', '16', '-threads', '2',
    '-g', String(fps), '-pix_fmt', 'yuv420p', partial];
  try {
    await run(process.env.FFMPEG || 'ffmpeg', args, { timeout: 120_000 });
    fs.renameSync(partial, file);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw new Error(`ffmpeg could not make ${file}: ${error.stderr || error.message}`);
  }
  return file;
}
