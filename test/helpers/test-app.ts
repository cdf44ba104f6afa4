import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** The built server: e2e suites run the production artifact (`npm run build` happens before `npm test`). */
export const MAIN_JS = resolve('dist/apps/api/apps/api/src/main.js');
const REPORT_LISTENING = resolve('test/helpers/report-listening.mjs');
/**
 * Node's on-disk cache of compiled modules (Node 22.1 and later; Node 20 ignores the variable), shared by every
 * server a run starts: a run starts over a hundred, each of which compiled the same modules again (with the cache,
 * a start took 7 % less CPU on Node 24). Node writes each entry to a temporary file and renames it, so servers
 * that exit together do not corrupt it.
 */
const COMPILE_CACHE = resolve('.cache/node-compile-cache');
/**
 * V8 flags of the servers a run starts. `--liftoff-only`: V8 first compiles WebAssembly with its baseline
 * compiler and recompiles the functions that run hot with its optimizing one; PGlite's Postgres runs enough at
 * start-up that the recompiling took 2 s of CPU on background threads per server (Node 24; 0.8 s on Node 20),
 * paid back only by a server that lives longer than a suite's. With the flag, five e2e suites took 22 % less jest
 * time and 26 % less CPU. Production keeps V8's default; the benchmark runs it. PostgreSQL servers run no
 * WebAssembly: the flag changes nothing there.
 */
const SERVER_NODE_FLAGS = ['--liftoff-only'];

export const TEST_ENV = {
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
  ENCRYPTION_KEY: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  LOG_LEVEL: 'warn',
  // Suites open many streams quickly; the limit itself is tested with its own setting in throttling.e2e-spec.
  THROTTLE_STREAM_LIMIT: '10000',
  CHAT_MAX_CONCURRENT_PER_USER: '1000',
  // Suites expect a new session's title to be the first words of its message and count the upstream's requests;
  // generated titles have their own suite (titles.e2e-spec).
  TITLE_GENERATION: 'false',
};

export interface TestApp {
  /** http://127.0.0.1:PORT */
  url: string;
  db: TestDatabase;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  http(): ReturnType<typeof request>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops the server and drops its database (unless told to keep it for a restart). */
  close(options?: { dropDatabase?: boolean }): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** The port a server started with PORT=0 was given, as report-listening.mjs tells it. */
function boundPort(child: ChildProcess): Promise<number> {
  return new Promise((done) => {
    const onMessage = (message: unknown) => {
      const port = (message as { listening?: unknown } | null)?.listening;
      if (typeof port !== 'number') return;
      child.off('message', onMessage);
      done(port);
    };
    child.on('message', onMessage);
  });
}

async function waitUntilServing(listening: Promise<number>, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  void listening.then((bound) => (port = bound));
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server exited with ${child.exitCode}:\n${output()}`);
    if (port !== undefined) {
      const url = `http://127.0.0.1:${port}`;
      try {
        await fetch(`${url}/api/auth/me`);
        return url;
      } catch {
        // Bound but not answering yet.
      }
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`The server did not start within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts the real server with TEST_ENV plus `env`, against a fresh database unless given one, on `env.PORT` when a
 * suite must know the port beforehand (a redirect URI registered elsewhere), else on a free one.
 */
export async function bootTestApp(env: Record<string, string> = {}, database?: TestDatabase, startTimeoutMs?: number): Promise<TestApp> {
  const db = database ?? (await createTestDatabase());
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-test-'));
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...(env.PORT ? [MAIN_JS] : ['--import', REPORT_LISTENING, MAIN_JS])], {
    env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: COMPILE_CACHE, ...TEST_ENV, DATA_DIR: dataDir, ...db.env, ...env, PORT: env.PORT ?? '0' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const listening = env.PORT ? Promise.resolve(Number(env.PORT)) : boundPort(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': its output is read to the end by then (a test reads what it printed while stopping). Its data
  // directory goes with it, however it was stopped: no later server is given the same one.
  const exited = new Promise<number | null>((done) =>
    child.once('close', (code) => {
      rmSync(dataDir, { recursive: true, force: true });
      done(code);
    }),
  );
  let url: string;
  try {
    url = await waitUntilServing(listening, child, () => output, startTimeoutMs);
  } catch (error) {
    // A server that never served is stopped here, or it outlives the suite: one that printed its configuration
    // error and then hung in `process.exit` (Node's exit-time deadlock, nodejs/node#54918) stayed up for good.
    child.kill('SIGKILL');
    throw error;
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    url,
    db,
    process: child,
    output: () => output,
    http: () => request(url),
    stop,
    async close({ dropDatabase = true } = {}) {
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await stop();
      clearTimeout(killer);
      if (dropDatabase) await db.drop();
    },
  };
}
