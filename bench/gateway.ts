/**
 * What the bench and its experiments need to run our gateway and the fake upstream: their entry points and
 * environment, a database, the load's user, and waiting for a process to serve or to stop. One place, so that a
 * change to what the gateway needs to start is made once.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** Our gateway's entry point in a checkout, built. */
export const OUR_MAIN = 'dist/apps/api/apps/api/src/main.js';
/**
 * The Node flags our gateway runs with in `root`'s checkout: those of its `npm run start:prod`, which the image runs
 * too. The bench measures the gateway as it is deployed, and a compared build (BENCH_COMPARE_BUILD) with its own.
 */
export function ourNodeArgs(root = '.'): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...rest] = (scripts?.['start:prod'] ?? '').trim().split(/\s+/);
  if (command !== 'node' || rest.at(-1) !== OUR_MAIN) throw new Error(`${root}: start:prod does not run node ${OUR_MAIN}`);
  return rest.slice(0, -1);
}

/** The fake upstream's entry point in this checkout, built. */
export const FAKE_MAIN = 'dist/apps/fake-llm/apps/fake-llm/src/main.js';

/**
 * `script` in a new Node process with `env` (and PATH) alone, on `core` when one is given: `taskset` replaces itself
 * with Node, so the child's pid is the script's. Its stderr is ours; its stdout is dropped unless `stdout` is 'pipe'
 * (then the caller must read it, or the child blocks once the pipe is full). An exit with an error code is reported.
 */
export function startNode(script: string, env: Record<string, string>, core?: string, args: string[] = [], nodeArgs: string[] = [], stdout: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const [command, ...prefix] = core === undefined ? [process.execPath] : ['taskset', '-c', core, process.execPath];
  const child = spawn(command!, [...prefix, ...nodeArgs, script, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', stdout, 'inherit'] });
  child.on('exit', (code) => {
    if (code) console.error(`${script} exited with ${code}`);
  });
  // A spawn that fails (taskset missing, say) is reported here instead of crashing the harness; its waitFor fails.
  child.on('error', (error) => console.error(`${script} could not start: ${error.message}`));
  return child;
}

/** This process, all its threads, on `core`: the load client's place beside the fake upstream. */
export function pinThisProcess(core: string): void {
  spawnSync('taskset', ['-a', '-cp', core, String(process.pid)], { stdio: 'ignore' });
}

/** The fake upstream's environment: it listens on `port` of the loopback address. */
export const fakeUpstreamEnv = (port: number): Record<string, string> => ({ FAKE_LLM_PORT: String(port), FAKE_LLM_HOST: '127.0.0.1' });

/**
 * The environment of the relay or a floor (`bench/relay.mjs`, `bench/floor/`), in production mode: it listens on
 * `port` and relays the fake upstream on `upstreamPort`.
 */
export const floorEnv = (port: number, upstreamPort: number): Record<string, string> => ({
  RELAY_PORT: String(port),
  RELAY_UPSTREAM: `http://127.0.0.1:${upstreamPort}`,
  NODE_ENV: 'production',
});

/**
 * Our gateway's environment under load, in production mode on `port`, with its files in `dataDir`: every throttle
 * and per-user cap out of the load's way, one user opening every stream. Its database: PostgreSQL at `databaseUrl`,
 * with a pool of 20 connections (the bench's setting since it first ran on PostgreSQL; the default is 10), else
 * PGlite in `dataDir`.
 */
function gatewayEnv(port: number, dataDir: string, databaseUrl?: string): Record<string, string> {
  return {
    ...(databaseUrl ? { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '20' } : { PGLITE_DATA_DIR: `${dataDir}/pglite` }),
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    DATA_DIR: dataDir,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0001',
    ENCRYPTION_KEY: 'ab'.repeat(32),
    // Production refuses public metrics; the bench never scrapes them.
    METRICS_TOKEN: 'bench-metrics-token',
    UPSTREAM_ALLOW_HTTP: 'true',
    ALLOWED_UPSTREAM_HOSTS: '127.0.0.1',
    THROTTLE_STREAM_LIMIT: '1000000',
    THROTTLE_DEFAULT_LIMIT: '1000000',
    // The full run outlasts the default 15 minutes, and the bench user's token is taken once at the start.
    JWT_EXPIRES_IN: '12h',
    // One load-test user opens every stream: the per-user cap on running replies would refuse the held levels.
    CHAT_MAX_CONCURRENT_PER_USER: '100000',
    // Native turns continue sessions (chatTurns): with one earlier message read, the history sent upstream is
    // the question alone (a history does not start with a reply), the same request every subject sends, instead
    // of up to 40 earlier messages whose size would follow the replies of whichever figure ran before.
    CHAT_HISTORY_MAX_MESSAGES: '2',
    // A new session's title comes from a small model of its own, as a deployment would set it: one delta, not
    // paced, so a new session's stream stays open after `done` only as long as the title request takes.
    TITLE_MODEL: 'openai/fake:deltas=1',
  };
}

/**
 * Registers a new user on the gateway at `base` (its `/api` root) and points its OpenAI provider at the fake
 * upstream on `fakePort`; the user's access token.
 */
async function signUp(base: string, fakePort: number): Promise<string> {
  const json = { 'content-type': 'application/json' };
  const registered = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email: `bench-${Date.now()}@example.com`, password: 'bench-password' }),
  });
  if (registered.status !== 201) throw new Error(`could not sign up: ${await registered.text()}`);
  const { accessToken } = (await registered.json()) as { accessToken: string };
  const saved = await fetch(`${base}/providers/openai`, {
    method: 'PUT',
    headers: { ...json, authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ apiKey: 'sk-bench-key', baseUrl: `http://127.0.0.1:${fakePort}/v1` }),
  });
  if (saved.status !== 200) throw new Error(`could not configure the provider: ${await saved.text()}`);
  return accessToken;
}

/** The PostgreSQL server on which the bench and its experiments make their throw-away databases: a role that may create them. */
export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A throw-away database's name: `name`, then when and for which port, so that no two runs share one. */
export const throwAwayName = (name: string, port: number): string => `${name}_${Date.now()}_${port}`;

/** A new database `name` on PG_ADMIN_URL's server: its URL, and `drop`, which drops it with whatever is still connected. */
export async function createThrowAwayDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const asAdmin = async (statement: string) => {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(statement);
    } finally {
      await admin.end();
    }
  };
  await asAdmin(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => asAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** How `startOurGateway` runs our gateway. */
export interface OurGatewayOptions {
  port: number;
  /** The fake upstream's port: the load user's OpenAI provider points at it. */
  fakePort: number;
  /** PostgreSQL: a throw-away database on PG_ADMIN_URL's server; PGlite: in the gateway's own folder. */
  database: 'pglite' | 'postgres';
  /** What its database and folder are named after, so that a leftover of a failed run names its tool (default: bench). */
  name?: string;
  /** The checkout whose build runs (default: this one). */
  root?: string;
  /** Node's flags; default: those of `root`'s start:prod, as the gateway is deployed. */
  nodeArgs?: string[];
  /** The core it is pinned to, if any (by the default `launch`). */
  core?: string;
  /**
   * Starts its process, given its entry point, environment and Node flags; default: `startNode` on `core`. For a
   * gateway run under another program (valgrind) or with its output read.
   */
  launch?: (main: string, env: Record<string, string>, nodeArgs: string[]) => ChildProcess;
  /** More environment, given the gateway's own folder (e.g. for a file it writes there). */
  env?: (dataDir: string) => Record<string, string>;
}

/** Our gateway, started and signed up to by `startOurGateway`. */
export interface OurGateway {
  child: ChildProcess;
  /** Where it listens (`http://127.0.0.1:<port>`): its `/v1` routes and its `/api` root are under it. */
  base: string;
  /** The load user's access token. */
  token: string;
  /** Its own folder (DATA_DIR, and PGlite's), removed by `close`. */
  dataDir: string;
  /** Stops it (`stop`, first with `signal`), then drops its database and removes its folder. */
  close: (signal?: StopSignal) => Promise<void>;
}

/** What a start has made so far, each recorded as soon as it exists, so that `undo` can take back exactly that. */
export interface Made {
  child?: ChildProcess;
  database?: { drop: () => Promise<void> };
  dataDir?: string;
}

/** Stops the process (`stop`, first with `signal`), then drops the database; the folder is removed whatever fails before it. */
export async function undo(made: Made, signal?: StopSignal): Promise<void> {
  try {
    if (made.child) await stop(made.child, signal);
    await made.database?.drop();
  } finally {
    if (made.dataDir) rmSync(made.dataDir, { recursive: true, force: true });
  }
}

/**
 * Runs a start's `steps`, which record in `made` what they make (and close with `undo(made)`); if a step fails,
 * what the steps before it made is undone and the step's own error is thrown (a failure to undo is only reported).
 */
export async function undoneIfFailed<T>(steps: (made: Made) => Promise<T>): Promise<T> {
  const made: Made = {};
  try {
    return await steps(made);
  } catch (error) {
    await undo(made).catch((undoing: unknown) => console.error(`could not undo a failed start: ${undoing}`));
    throw error;
  }
}

/**
 * Our gateway under load (gatewayEnv) in a new folder of its own and on a database of its own, serving, with the
 * load user signed up. If any step fails, what the steps before it made is undone before the error is thrown.
 */
export function startOurGateway(options: OurGatewayOptions): Promise<OurGateway> {
  const { port, fakePort, name = 'bench', root = '.', nodeArgs = ourNodeArgs(root), core, env = () => ({}), launch = (main, environment, flags) => startNode(main, environment, core, [], flags) } = options;
  return undoneIfFailed(async (made) => {
    const database = options.database === 'postgres' ? await createThrowAwayDatabase(throwAwayName(name, port)) : undefined;
    made.database = database;
    const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
    made.dataDir = dataDir;
    const child = launch(join(root, OUR_MAIN), { ...gatewayEnv(port, dataDir, database?.url), ...env(dataDir) }, nodeArgs);
    made.child = child;
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/api/health`, child);
    return { child, base, token: await signUp(`${base}/api`, fakePort), dataDir, close: (signal) => undo(made, signal) };
  });
}

/** Resolves once `url` answers at all; fails if `child` exits first or after two minutes. */
export async function waitFor(url: string, child: ChildProcess): Promise<void> {
  // Two minutes: a gateway starting on one core of a busy machine has taken more than 30 s.
  for (let i = 0; i < 1200 && child.exitCode === null; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${url} did not come up`);
}

/**
 * How a process is asked to stop: SIGTERM lets our gateway finish its running replies (up to its shutdown grace);
 * SIGKILL, for one whose streams never end or are not worth draining, does not wait for them.
 */
export type StopSignal = 'SIGTERM' | 'SIGKILL';

/** `signal` (SIGTERM), then SIGKILL after 15 s; resolves once `child` has exited (at once if it already has). */
export async function stop(child: ChildProcess, signal: StopSignal = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill(signal);
  // Cleared once it has exited: a pending timer kept the bench alive 15 s after its last figure.
  const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(kill);
}
