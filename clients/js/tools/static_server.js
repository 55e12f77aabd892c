// A small static file server for the browser suite and the demo: a few URL prefixes mapped to
// folders, GET and HEAD only, with byte ranges (a <video> element seeks by asking for a range,
// and without 206 answers Chromium cannot seek at all). Node's standard library only.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
  '.map': 'application/json',
};

// The file under one of the mounts that the URL path names, or null. A path that climbs out of
// its mount ('..', encoded or not) names nothing.
function resolve(mounts, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (decoded !== prefix && !decoded.startsWith(prefix.endsWith('/') ? prefix : prefix + '/')) continue;
    const root = path.resolve(mounts[prefix]);
    let file = path.resolve(root, '.' + decoded.slice(prefix.length).replace(/^\/*/, '/'));
    if (file !== root && !file.startsWith(root + path.sep)) return null;
    try {
      if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    } catch {
      return null;
    }
    return file;
  }
  return null;
}

// Parses a single "bytes=a-b" range against a size: [start, end] inclusive, 'bad' when it cannot
// be satisfied, null when absent or of a form we do not serve (then the whole file is sent).
function parseRange(header, size) {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header || '');
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start;
  let end;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start > end || start >= size ? 'bad' : [start, end];
}

function serve(mounts, request, response) {
  const urlPath = new URL(request.url, 'http://x').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  const file = resolve(mounts, urlPath);
  let stat;
  try {
    stat = file && fs.statSync(file);
  } catch {
    stat = null;
  }
  if (!stat || !stat.isFile()) {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  const headers = {
    'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-store',
  };
  const range = parseRange(request.headers.range, stat.size);
  if (range === 'bad') {
    response.writeHead(416, { ...headers, 'Content-Range': `bytes */${stat.size}` }).end();
    return;
  }
  const [start, end] = range || [0, stat.size - 1];
  headers['Content-Length'] = String(stat.size === 0 ? 0 : end - start + 1);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${stat.size}`;
  response.writeHead(range ? 206 : 200, headers);
  if (request.method === 'HEAD' || stat.size === 0) {
    response.end();
    return;
  }
  const stream = fs.createReadStream(file, { start, end });
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

/**
 * Starts serving `mounts` ({'/prefix': '/abs/folder', ...}; the longest matching prefix wins, a
 * folder answers its index.html) on host:port (port 0: a free one).
 * Resolves to {port, url, close()}; `url` is http://host:port.
 */
export async function startStaticServer(mounts, { host = '127.0.0.1', port = 0 } = {}) {
  const server = http.createServer((request, response) => serve(mounts, request, response));
  // Media requests are long-lived; closing must not wait for a paused video's open range.
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolvePromise);
  });
  const actualPort = server.address().port;
  return {
    port: actualPort,
    url: `http://${host}:${actualPort}`,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}
