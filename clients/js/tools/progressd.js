// Runs the real progressd for the browser suite and the demo: a temporary (or given) data dir,
// a loopback port picked by the kernel, service API keys, a catalog file, CORS origins. The
// server prints a JSON "ready" line on stderr with the address it listens on; we wait for it.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (clients/js/tools/ is three levels down). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function binary(envName, fallback) {
  const value = process.env[envName] || fallback;
  return path.isAbsolute(value) ? value : path.join(REPO, value);
}

/** progressd and progressctl: $PROGRESSD_BIN / $PROGRESSCTL_BIN, else the default build dir's. */
export function binaries() {
  return {
    progressd: binary('PROGRESSD_BIN', 'build/server/progressd'),
    progressctl: binary('PROGRESSCTL_BIN', 'build/tools/progressctl'),
  };
}

const READY_TIMEOUT_MS = 20_000;

/**
 * Starts progressd. Options: dataDir (default: a new temp dir, removed by stop()), apiKeys
 * (service keys, default ['svc-key-1']), catalog (entries written to a --catalog file),
 * corsOrigins (list for --cors-allow-origins), args (more flags), host (default 127.0.0.1).
 * Resolves to {url, port, dataDir, apiKey, stderr (lines), token(user, ttl), stop()}.
 */
export async function startProgressd({ dataDir, apiKeys = ['svc-key-1'], catalog, corsOrigins = [],
                                       args = [], host = '127.0.0.1', port = 0 } = {}) {
  const { progressd, progressctl } = binaries();
  for (const file of [progressd, progressctl]) {
    try {
      fs.accessSync(file, fs.constants.X_OK);
    } catch {
      throw new Error(`missing binary ${file} (build first: tools/setup --browser build)`);
    }
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'progressd-js-'));
  dataDir = dataDir || path.join(scratch, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const keysFile = path.join(scratch, 'api-keys');
  fs.writeFileSync(keysFile, apiKeys.join('\n') + '\n', { mode: 0o600 });
  const command = ['--listen', `${host}:${port}`, '--data-dir', dataDir, '--api-keys-file', keysFile,
    '--threads', '2', '--drain-seconds', '0'];
  if (catalog) {
    const catalogFile = path.join(scratch, 'catalog.json');
    fs.writeFileSync(catalogFile, JSON.stringify(catalog));
    command.push('--catalog', catalogFile);
  }
  if (corsOrigins.length) command.push('--cors-allow-origins', corsOrigins.join(','));
  command.push(...args);

  // Flags only: no PROGRESSD_* from the caller's environment may configure the server.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PROGRESSD_')));
  const stderr = [];
  let child = null;
  let exited = null;   // resolves when the current process has exited

  async function spawnServer(listenPort) {
    const argv = command.map((arg, i) => (i === 1 ? `${host}:${listenPort}` : arg));
    child = spawn(progressd, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const current = child;
    exited = new Promise((resolve) => current.once('exit', resolve));
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ready line')), READY_TIMEOUT_MS);
      let buffered = '';
      current.stderr.setEncoding('utf8');
      current.stderr.on('data', (chunk) => {
        buffered += chunk;
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          stderr.push(line);
          let event;
          try {
            event = JSON.parse(line);
          } catch {
            continue;
          }
          if (event && event.event === 'ready' && typeof event.listen === 'string') {
            clearTimeout(timer);
            resolve(event.listen);
          }
        }
      });
      current.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code ?? signal})`));
      });
    });
    try {
      const listen = await ready;
      return Number(listen.slice(listen.lastIndexOf(':') + 1));
    } catch (error) {
      current.kill('SIGKILL');
      throw new Error(`progressd did not start: ${error.message}\n${progressd} ${argv.join(' ')}\n` +
                      stderr.slice(-30).join('\n'));
    }
  }

  async function halt() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  let actualPort;
  try {
    actualPort = await spawnServer(port);
  } catch (error) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  const url = `http://${host}:${actualPort}`;

  return {
    url,
    port: actualPort,
    dataDir,
    apiKey: apiKeys[0],
    stderr,
    /** A user JWT for this server's data dir, minted by progressctl. */
    async token(user, ttlSeconds) {
      const tokenArgs = ['token', '--user', user, '--data-dir', dataDir];
      if (ttlSeconds !== undefined) tokenArgs.push('--ttl-seconds', String(ttlSeconds));
      const { stdout } = await run(progressctl, tokenArgs);
      return stdout.trim();
    },
    /** Stops the process (SIGTERM: it flushes), keeping its data: the server is down until start(). */
    halt,
    /** Starts it again after halt(), on the same port and data dir. */
    async start() {
      await spawnServer(actualPort);
    },
    /** SIGTERM, then SIGKILL after 10 s; removes its scratch files (a given data dir stays). */
    async stop() {
      await halt();
      // The scratch dir holds the keys file, the catalog and (unless given) the data dir.
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * A small client for the suite's checks and the demo's setup: JSON over fetch with a bearer
 * credential. Resolves to {status, body} (body parsed when JSON, else text, null when empty).
 */
export async function api(baseUrl, credential, method, pathAndQuery, body) {
  const headers = { Authorization: `Bearer ${credential}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(baseUrl + pathAndQuery, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
