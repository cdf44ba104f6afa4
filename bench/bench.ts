/**
 * `npm run bench` (about an hour on 2 cores: 57 minutes with the build on 2026-12-06) and `npm run bench:quick`
 * (about 4).
 *
 * Follows shared/BENCH-METHOD: our gateway, Portkey's, a minimal Node relay and the floor subjects (bench/floor/: the
 * least a gateway that reads each delta must do, in plain Node and in a minimal Nest app) are measured side by side
 * in one run against the same fake upstream, and the client also calls the upstream directly. Each gateway runs
 * pinned to core 1; the fake upstream and this process, the load client, share core 0. Subjects are interleaved round by
 * round, direct first in each round. Writes bench/results/<time>.json and bench/results/latest(-quick).md.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type CpuProfile, cpuByLayer, FEATURE_LAYERS, LAYERS, layerExcess } from './cpu-layers.js';
import { BUSY_WINDOW_MS, busiest, type CpuSample, sampleCpu } from './busiest-window.js';
import { type CostSplit, costSplit } from './cost-split.js';
import { createThrowAwayDatabase, FAKE_MAIN, fakeUpstreamEnv, floorEnv, OUR_MAIN, ourNodeArgs, PG_ADMIN_URL, pinThisProcess, startNode, startOurGateway, stop, throwAwayName, undo, undoneIfFailed, waitFor } from './gateway.js';
import { coreBusyMs, cpuCounter, procStat, rssOf, SCHEDSTAT } from './process-cpu.js';
import { atLeastShare, HELD_MAX_GAP_P99_MS, HELD_MIN_OPEN_SHARE, HELD_PACE_MS, HELD_REPLY_DELTAS, heldFigure, type HeldLevelRun, heldRuns, isHeld } from './held-level.js';
import { agent, gaps, isOpenAiDelta, isOpenAiEnd, percentile, relayedDeltas, runStreams, type StreamTiming, type Target, total, ttft } from './sse-load.js';

const QUICK = process.argv.includes('--quick');
/**
 * A targeted run, for an experiment's before and after: `BENCH_SUBJECTS` names the subjects run beside direct (by
 * key: `native-postgres`, `v1-pglite`, `portkey`, `relay`, `floor-nest-sse-stored`, ...), `BENCH_FIGURES` the
 * figures (`memory`, `atOne`, `atOneInBlocks`, `profile`, `turn`, `paced<streams>` at any level, `long200`, `burst`, `saturation`,
 * `held`).
 * Its report goes to `latest-targeted.md`, never over the full run's.
 */
const ONLY_SUBJECTS = process.env.BENCH_SUBJECTS?.split(',');
const ONLY_FIGURES = process.env.BENCH_FIGURES?.split(',');
/**
 * An experiment's settings, each of which makes the run a targeted one:
 * - `BENCH_OURS_ENV`: a JSON object of our gateway's variables, e.g. {"GENERATION_RETENTION_MS":"1000"};
 * - `BENCH_OURS_NODE_ARGS`: Node and V8 flags for our gateway, after those of its `npm run start:prod`, e.g.
 *   `--memory-reducer` to undo `--no-memory-reducer`;
 * - `BENCH_ROUNDS`: rounds of each paced level and of the burst;
 * - `BENCH_ROUND_IDLE_MS`: an idle before each of those rounds and before each trial of the held levels. A run of
 *   every subject leaves each gateway idle 15-20 s between its paced rounds and some 2 minutes between its held
 *   trials; a targeted run of two subjects, a few seconds;
 * - `BENCH_PROFILE_ROUNDS=1`: a CPU profile of each of those rounds of our gateway and the floors, saved beside the
 *   report: the profile of a slow round itself;
 * - `BENCH_COMPARE_BUILD`: the root of another checkout of this repository, built. Each route of ours chosen also
 *   runs from that build, on a gateway of its own, as one more subject interleaved with the rest: two builds
 *   compared in the same run (full runs of one build at different hours of this shared machine differ by up to 28 %);
 * - `BENCH_DELTAS`: the deltas of each reply wherever a figure does not set its own (c=1, its warm-ups and profile,
 *   the paced levels and their profile, the burst); 64 by default.
 */
const EXPERIMENT_SETTINGS = ['BENCH_OURS_ENV', 'BENCH_OURS_NODE_ARGS', 'BENCH_ROUNDS', 'BENCH_ROUND_IDLE_MS', 'BENCH_PROFILE_ROUNDS', 'BENCH_COMPARE_BUILD', 'BENCH_DELTAS'] as const;
const EXPERIMENT: Partial<Record<(typeof EXPERIMENT_SETTINGS)[number], string>> = Object.fromEntries(
  EXPERIMENT_SETTINGS.filter((name) => process.env[name]).map((name) => [name, process.env[name]!]),
);
/** A setting that must be a whole number of at least `min`: `BENCH_ROUNDS=abc` would otherwise run no round at all. */
function wholeNumber(name: 'BENCH_ROUNDS' | 'BENCH_ROUND_IDLE_MS' | 'BENCH_DELTAS', min: number): number | undefined {
  const value = EXPERIMENT[name];
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new Error(`${name} must be a whole number of at least ${min}, not ${value}`);
  return number;
}
const PACED_ROUNDS = wholeNumber('BENCH_ROUNDS', 1);
const ROUND_IDLE_MS = wholeNumber('BENCH_ROUND_IDLE_MS', 0) ?? 0;
if (![undefined, '1'].includes(EXPERIMENT.BENCH_PROFILE_ROUNDS)) throw new Error('BENCH_PROFILE_ROUNDS is 1 or unset');
const PROFILE_ROUNDS = EXPERIMENT.BENCH_PROFILE_ROUNDS === '1';
const OURS_NODE_ARGS = EXPERIMENT.BENCH_OURS_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
/** Parsed here, once: a malformed object stops the run before any gateway starts, as the settings above do. */
const OURS_ENV = EXPERIMENT.BENCH_OURS_ENV ? (JSON.parse(EXPERIMENT.BENCH_OURS_ENV) as Record<string, string>) : {};
const COMPARED = EXPERIMENT.BENCH_COMPARE_BUILD && comparedBuild(EXPERIMENT.BENCH_COMPARE_BUILD);
const TARGETED = ONLY_SUBJECTS !== undefined || ONLY_FIGURES !== undefined || Object.keys(EXPERIMENT).length > 0;
const runs = (figure: string) => !ONLY_FIGURES || ONLY_FIGURES.includes(figure);
const chosen = (key: string) => key === 'direct' || !ONLY_SUBJECTS || ONLY_SUBJECTS.includes(key);
const DELTAS = wholeNumber('BENCH_DELTAS', 1) ?? 64;
const PACE_MS = 20;
const FAKE_PORT = 4610;
const FIRST_GATEWAY_PORT = 4620;
/**
 * Requests each subject serves before figure 1 is measured. A server runs warm: V8 optimises the per-request code
 * over thousands of requests (CPU per chat turn still fell by a third between 1,000 and 5,000 here). They are sent
 * 8 at a time, which optimises the same code in less time (Portkey sleeps 25 ms in every reply).
 */
const WARM_UP_REQUESTS = QUICK ? 200 : 5000;
const WARM_UP_CONCURRENCY = 8;
/**
 * Then each subject's requests one at a time, figure 1's own load. Eight at a time does not optimise all of it: on
 * 2026-12-04, after the 5,000, stored `/v1` at c=1 still spent 0.4-1.0 ms a request on V8's helper threads
 * (compiling, collecting) over its first 1,000 requests, against 0.04-0.16 after them; its main thread fell from
 * 1.34-1.58 ms to 1.29-1.37. The small floors settle within 200. Every subject gets the same requests.
 */
const WARM_UP_AT_ONE_REQUESTS = QUICK ? 0 : 1200;
/** The figures measured at c=1, which that second warm-up is for (a targeted run of others skips it). */
const AT_ONE_FIGURES = ['atOne', 'atOneInBlocks', 'profile', 'turn'];
/** Figure 2: paced streams open at once, each level its own rounds; and, in the full run, 100 arriving at once. */
const PACED_LEVELS = ONLY_FIGURES
  ? ONLY_FIGURES.flatMap((figure) => (/^paced\d+$/.test(figure) ? [Number(figure.slice('paced'.length))] : []))
  : QUICK
    ? [100, 200]
    : [100, 200, 1000];
const BURST = 100;
/** RSS per open stream: this many open together, one delta a second each. */
const MEMORY_STREAMS = QUICK ? 300 : 1000;
const MEMORY_DELTAS = QUICK ? 4 : 10;
/** Open streams held at 10 deltas a second: levels rise until a subject does not hold one. */
const HELD_LEVELS = QUICK ? [300] : [500, 1000, 1500, 2000, 3000, 4000, 5000];
const HELD_DELTAS = QUICK ? 10 : HELD_REPLY_DELTAS;
/**
 * Trials of each held level, subjects interleaved, judged on their median p99 gap (BENCH-METHOD: medians of several
 * rounds). One trial's verdict is a coin flip near a gateway's limit: with 1,000 streams open, three pauses of the
 * event loop over 200 ms put 1 % of the gaps over it, and single-trial runs of the same build held 500 and 1,500.
 */
const HELD_TRIALS = QUICK ? 1 : 3;
/**
 * The gateway under test gets core 1 to itself; the fake upstream and the load client share core 0, so a
 * gateway's figures are not set by how the scheduler shares the cores with the harness.
 */
const PINNED = cpus().length >= 2;
const GATEWAY_CORE = '1';
const CLIENT_CORE = '0';

const PORTKEY_DIR = 'bench/peers/portkey';
const PORTKEY_PACKAGE = join(PORTKEY_DIR, 'node_modules/@portkey-ai/gateway');

type Db = 'pglite' | 'postgres';
const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const median = (values: number[]) => percentile(values, 50);
const began = performance.now();
const startedAt = new Date().toISOString();
/** What kind of run this is, in its files' names: `latest<variant>.md`, and its report and profiles. */
const VARIANT = `${QUICK ? '-quick' : ''}${TARGETED ? '-targeted' : ''}`;
const RUN_ID = `${startedAt.replace(/[:.]/g, '-')}${VARIANT}`;
const log = (message: string) => console.error(`[${Math.round((performance.now() - began) / 1000)} s] ${message}`);

/** Preloaded into the processes whose CPU the bench profiles by layer (figure 1's breakdown). */
const PROFILER = ['--import', './bench/profile-on-signal.mjs'];

/** The compared build (BENCH_COMPARE_BUILD): its root, and its commit as its subjects' labels name it. */
function comparedBuild(root: string): { root: string; name: string } {
  if (!existsSync(join(root, OUR_MAIN))) throw new Error(`BENCH_COMPARE_BUILD: no build at ${join(root, OUR_MAIN)} (npm run build there)`);
  const git = (...args: string[]) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' }).stdout.trim();
  const commit = git('rev-parse', '--short', 'HEAD') || root;
  return { root, name: git('status', '--porcelain') ? `${commit} with changes` : commit };
}

/** `script` pinned to `core` where the bench pins (PINNED). */
const start = (script: string, env: Record<string, string>, core: string, args: string[] = [], nodeArgs: string[] = []): ChildProcess =>
  startNode(script, env, PINNED ? core : undefined, args, nodeArgs);

/** The CPU time (ms) each process spends from now until the returned function is called. */
function cpuSince(...pids: number[]): () => number[] {
  const counters = pids.map(cpuCounter);
  return () => counters.map((counter) => counter().totalMs);
}

/**
 * A gateway's CPU per relayed delta over the fake upstream's for the same deltas. The upstream's work per delta
 * is fixed, so this ratio holds still while this shared machine's speed drifts (CPU per delta alone has varied 2x
 * between runs of the same build).
 */
const perUpstreamCpu = (gatewayCpuMs: number, upstreamCpuMs: number) => round(gatewayCpuMs / upstreamCpuMs, 1);

/** Portkey from the registry, at the version and with the dependencies its committed lockfile pins. */
function installPortkey(): string {
  const pinned = (JSON.parse(readFileSync(join(PORTKEY_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@portkey-ai/gateway'];
  const installed = () => existsSync(join(PORTKEY_PACKAGE, 'package.json')) && (JSON.parse(readFileSync(join(PORTKEY_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
  if (installed() !== pinned) {
    console.error(`installing @portkey-ai/gateway ${pinned} into ${PORTKEY_DIR}`);
    // Its only install script is patch-package, for patches its published package does not carry.
    const npm = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: PORTKEY_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
    if (npm.status !== 0 || installed() !== pinned) throw new Error(`could not install @portkey-ai/gateway ${pinned}`);
  }
  return pinned!;
}

/** A relaying process under test, pinned to the gateway's core. */
interface Server {
  child: ChildProcess;
  port: number;
  /** Our gateway's access token for the bench user. */
  token: string;
  /**
   * Our gateway's chat sessions that no request is continuing at the moment. A native request takes one (or, with
   * none free, starts a new session) and gives it back when its stream has ended well: a session takes one reply
   * at a time.
   */
  freeSessions: string[];
  /** Where its CPU profile is written (our gateway and the floors: see PROFILER); none for the others. */
  profileFile?: string;
  close(): Promise<void>;
}

let nextPort = FIRST_GATEWAY_PORT;

/** A new PostgreSQL database of a floor's own on the bench's server (BENCH_PG_ADMIN_URL), dropped by `drop`. */
const createFloorDatabase = (port: number) => createThrowAwayDatabase(throwAwayName('bench_floor', port));

/**
 * Our gateway on a database of its own, from this checkout's build or, given `root`, another checkout's (the
 * compared build: Node resolves its packages from its own directory, so it loads its own).
 */
async function startOurs(db: Db, root = '.'): Promise<Server> {
  const port = nextPort++;
  const profileFile = (dataDir: string) => join(dataDir, 'profile.json');
  const gateway = await startOurGateway({
    port,
    fakePort: FAKE_PORT,
    database: db,
    root,
    nodeArgs: [...PROFILER, ...ourNodeArgs(root), ...OURS_NODE_ARGS],
    core: PINNED ? GATEWAY_CORE : undefined,
    env: (dataDir) => ({ BENCH_PROFILE_FILE: profileFile(dataDir), ...OURS_ENV }),
  });
  return { child: gateway.child, port, token: gateway.token, freeSessions: [], profileFile: profileFile(gateway.dataDir), close: gateway.close };
}

/** Portkey as its README runs it (`node build/start-server.js`), without the log UI a production run leaves out. */
async function startPortkey(): Promise<Server> {
  const port = nextPort++;
  const child = start(join(PORTKEY_PACKAGE, 'build/start-server.js'), { NODE_ENV: 'production' }, GATEWAY_CORE, [`--port=${port}`, '--headless']);
  await waitFor(`http://127.0.0.1:${port}/`, child);
  return { child, port, token: '', freeSessions: [], close: () => stop(child) };
}

/**
 * The relay, or a floor subject (`bench/floor/`, `withProfiler`): a script of ours serving the fake upstream's routes.
 * `storedOn`: given a database of its own, on PostgreSQL (`FLOOR_DATABASE_URL`) or PGlite (`FLOOR_PGLITE_DIR`).
 */
function startScript(script: string, env: Record<string, string> = {}, withProfiler = false, storedOn?: Db): Promise<Server> {
  const port = nextPort++;
  return undoneIfFailed(async (made) => {
    const database = storedOn === 'postgres' ? await createFloorDatabase(port) : undefined;
    made.database = database;
    const dataDir = withProfiler || storedOn ? mkdtempSync(join(tmpdir(), 'bench-floor-')) : undefined;
    made.dataDir = dataDir;
    const profileFile = withProfiler ? join(dataDir!, 'profile.json') : undefined;
    const child = start(
      script,
      {
        ...floorEnv(port, FAKE_PORT),
        ...env,
        ...(profileFile && { BENCH_PROFILE_FILE: profileFile }),
        ...(database && { FLOOR_DATABASE_URL: database.url }),
        ...(storedOn === 'pglite' && { FLOOR_PGLITE_DIR: join(dataDir!, 'pglite') }),
      },
      GATEWAY_CORE,
      [],
      withProfiler ? PROFILER : [],
    );
    made.child = child;
    // Any answer will do: the floors have no route for it.
    await waitFor(`http://127.0.0.1:${port}/v1/models`, child);
    return { child, port, token: '', freeSessions: [], profileFile, close: () => undo(made) };
  });
}

/**
 * `native-new-session`: our chat route with a new session each request, whose first turn also asks the upstream
 * for its title (measured at c=1 only, beside the native route's turns in continuing sessions).
 */
type Kind = 'direct' | 'native' | 'native-new-session' | 'v1' | 'v1-unstored' | 'portkey' | 'relay' | FloorKind;
/** The floor subjects: what any gateway that reads the deltas must do, in plain Node and in a minimal Nest app. */
type FloorKind = 'floor-node' | 'floor-nest' | 'floor-nest-app' | 'floor-nest-stored' | 'floor-nest-sse' | 'floor-nest-sse-stored';
/**
 * `stored`: run beside our gateway on each database of the run, on a database of its own of the same kind: the floor
 * of our stored turns (`/v1`, native) there. Its key and label name the database (`storedFloor`). `experiment`: run
 * only when `BENCH_SUBJECTS` names it, never in a full run (`floor-nest-app`, the `res.write` floor with every module
 * our `AppModule` imports loaded and none of it used: what the size of our code costs each delta; bench/README.md,
 * "Where the last microseconds of a delta go").
 */
const FLOORS: { kind: FloorKind; label: string; script: string; env?: Record<string, string>; stored?: boolean; experiment?: boolean }[] = [
  { kind: 'floor-node', label: 'floor: node:http', script: 'bench/floor/node-http.mjs' },
  { kind: 'floor-nest', label: 'floor: Nest + Express, res.write', script: 'bench/floor/nest.mjs', env: { FLOOR_WRITER: 'write' } },
  { kind: 'floor-nest-stored', label: 'floor: Nest + Express, res.write, turn stored', script: 'bench/floor/nest.mjs', env: { FLOOR_WRITER: 'write' }, stored: true },
  { kind: 'floor-nest-sse', label: 'floor: Nest @Sse()', script: 'bench/floor/nest.mjs', env: { FLOOR_WRITER: 'sse' } },
  { kind: 'floor-nest-sse-stored', label: 'floor: Nest @Sse(), turn stored', script: 'bench/floor/nest.mjs', env: { FLOOR_WRITER: 'sse' }, stored: true },
  { kind: 'floor-nest-app', label: 'floor: Nest + Express, res.write, our modules loaded', script: 'bench/floor/nest.mjs', env: { FLOOR_WRITER: 'write', FLOOR_LOAD_APP: '1' }, experiment: true },
];
/**
 * Each of our routes beside the floor built the same way: the native route is `@Sse()`, `/v1` writes its own
 * response. Each stored route is beside the same floor storing its turn as it does, on the same database
 * (`STORED_FLOOR_OF`).
 */
const FLOOR_OF: Partial<Record<Kind, FloorKind>> = { native: 'floor-nest-sse', v1: 'floor-nest', 'v1-unstored': 'floor-nest' };
const STORED_FLOOR_OF: Partial<Record<Kind, FloorKind>> = { native: 'floor-nest-sse-stored', v1: 'floor-nest-stored' };
/**
 * A stored floor's subject on `db`. On PostgreSQL its key is the floor's kind alone, as in the runs from before the
 * floors stored on PGlite too (their reports still render), and on PGlite the kind and `-pglite`, as our keys end.
 */
const storedFloor = (floor: (typeof FLOORS)[number], db: Db) =>
  db === 'postgres'
    ? { key: floor.kind, label: `${floor.label} on PostgreSQL` }
    : { key: `${floor.kind}-pglite`, label: `${floor.label} on PGlite` };
/** The database a subject of ours or a stored floor runs on, by its key (above). */
const dbOfKey = (key: string): Db => (key.endsWith('-pglite') ? 'pglite' : 'postgres');

/** One column of the report: a way of reaching the upstream. Ours has three routes on one gateway per database. */
interface Subject {
  key: string;
  label: string;
  kind: Kind;
  /** Starts a process for this subject alone, where it shares `server` (the memory figure needs a heap nothing else has grown). */
  launch?: () => Promise<Server>;
  /** The process the figures run through; none for direct. */
  server?: Server;
}

const model = (deltas: number, delayMs: number) => (delayMs ? `fake:deltas=${deltas},delay=${delayMs}` : `fake:deltas=${deltas}`);

/** The request a client sends each subject: the same OpenAI chat completion, except on our native chat route. */
function targetOf(subject: Subject, server: Server | undefined, deltas: number, delayMs: number): Target {
  const openAi = (url: string, headers: Record<string, string>, extra: Record<string, unknown> = {}, modelPrefix = ''): Target => ({
    url,
    headers,
    body: () => ({ model: `${modelPrefix}${model(deltas, delayMs)}`, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'bench' }], ...extra }),
    isDelta: isOpenAiDelta,
    isEnd: isOpenAiEnd,
  });
  const at = (path: string) => `http://127.0.0.1:${server?.port ?? FAKE_PORT}${path}`;
  const ours = { authorization: `Bearer ${server?.token}` };
  switch (subject.kind) {
    case 'direct':
    case 'relay':
    case 'floor-node':
    case 'floor-nest':
    case 'floor-nest-app':
    case 'floor-nest-stored':
      return openAi(at('/v1/chat/completions'), { authorization: 'Bearer bench-key' });
    case 'floor-nest-sse':
    case 'floor-nest-sse-stored':
      // Nest's `@Sse()` writes events, not OpenAI's `[DONE]`: the floor ends with `event: done`.
      return { ...openAi(at('/v1/chat/completions'), {}), isEnd: (event) => event === 'done' };
    case 'portkey':
      // Portkey's way to an OpenAI-compatible host of one's own: the provider's format, the host's base URL.
      return openAi(at('/v1/chat/completions'), {
        authorization: 'Bearer bench-key',
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `http://127.0.0.1:${FAKE_PORT}/v1`,
      });
    case 'v1':
      return openAi(at('/v1/chat/completions'), ours, {}, 'openai/');
    case 'v1-unstored':
      // `store: false`: the same relay with nothing written, which is what the other gateways do.
      return openAi(at('/v1/chat/completions'), ours, { store: false }, 'openai/');
    case 'native':
    case 'native-new-session':
      return chatTurns(at('/api/chat/stream'), ours, server!.freeSessions, deltas, delayMs, subject.kind === 'native-new-session');
  }
}

/**
 * Turns on our chat route. Each continues a free session of `sessions` (its latest message read: see
 * CHAT_HISTORY_MAX_MESSAGES in startOurs) or, with none free or `newSession`, starts one, whose id comes in its
 * `session` event; a stream that ended well gives its session back. A new
 * session's first turn also asks the upstream for the session's title, after `done`, and the stream stays open
 * for the `title` event: a feature of new sessions only, which the `native-new-session` figure measures.
 */
function chatTurns(url: string, headers: Record<string, string>, sessions: string[], deltas: number, delayMs: number, newSession: boolean): Target {
  const continued = new Map<number, string>();
  return {
    url,
    headers,
    body: (i) => {
      const sessionId = newSession ? undefined : sessions.pop();
      if (sessionId) continued.set(i, sessionId);
      return { message: 'bench', provider: 'openai', model: model(deltas, delayMs), ...(sessionId && { sessionId }) };
    },
    isDelta: (event, data) => event === 'message' && typeof (JSON.parse(data) as { content?: string }).content === 'string',
    isEnd: (event) => event === 'done',
    onEvent: (i, event, data) => {
      if (event === 'session' && !continued.has(i)) continued.set(i, (JSON.parse(data) as { sessionId: string }).sessionId);
    },
    released: (i, ok) => {
      const sessionId = continued.get(i);
      continued.delete(i);
      // A failed turn's session may still be replying: it is left out.
      if (ok && sessionId) sessions.push(sessionId);
    },
  };
}

/**
 * Our chat route's free sessions made up to `count` before a level of that many streams, by turns that start one
 * each (one delta), so that the level's turns all continue sessions.
 */
async function openSessions(subject: Subject, server: Server | undefined, count: number) {
  if (subject.kind !== 'native' || !server || server.freeSessions.length >= count) return;
  const missing = count - server.freeSessions.length;
  log(`starting ${missing} sessions for ${subject.label}`);
  const runs = await runStreams(targetOf({ ...subject, kind: 'native-new-session' }, server, 1, 0), missing, Math.min(missing, 50));
  // The level's turns that find no free session start their own.
  if (errorCount(runs)) log(`${errorCount(runs)} of them failed: ${firstError(runs)}`);
}

const target = (subject: Subject, deltas: number, delayMs: number) => targetOf(subject, subject.server, deltas, delayMs);
const errorCount = (runs: StreamTiming[]) => runs.filter((run) => run.error).length;
const firstError = (runs: StreamTiming[]) => runs.find((run) => run.error)?.error;

type Figures = Record<string, any>;

/**
 * Figure 1: added latency at concurrency 1 against the zero-delay upstream (subject minus direct in the same
 * round) and each gateway's CPU per request (steadier than latency on a shared machine). Each request of a round
 * goes to every subject in turn. With one delta a reply (`key` turn), the same is figure 5: what a chat turn costs
 * beyond the relay, its database writes on our chat route. `atOneInBlocks`: each subject's requests of a round in a
 * row instead, the subjects in turn, as a replica serves its own requests one after another: request by request,
 * every request of a gateway starts from what the other processes left in the core's caches, which costs a gateway
 * in proportion to the code and data a request touches.
 */
async function latencyAtOne(subjects: Subject[], results: Map<string, Figures>, deltas: number, key: 'atOne' | 'turn' | 'atOneInBlocks') {
  // In a row, one subject's rounds differ more than interleaved (stored `/v1`: 1.59, 2.31 and 3.43 ms in one run
  // here; in two others 1.25-1.92 ms in the first two rounds and 2.88-3.55 in the last three): five rounds there, so
  // that the median spans more of the process's run than three adjacent blocks do.
  const rounds = QUICK ? 1 : key === 'atOneInBlocks' ? 5 : 3;
  const perRound = QUICK ? 40 : 200;
  const byRound = new Map(
    subjects.map((subject) => [subject.key, { p50: [] as number[], p99: [] as number[], cpu: [] as number[], helperCpu: [] as number[], errors: 0, firstError: undefined as string | undefined }]),
  );
  for (let r = 0; r < rounds; r++) {
    const times = new Map(subjects.map((subject) => [subject.key, [] as number[]]));
    const cpuMs = new Map(subjects.map((subject) => [subject.key, 0]));
    const mainThreadMs = new Map(subjects.map((subject) => [subject.key, 0]));
    const order = key === 'atOneInBlocks' ? subjects.flatMap((subject) => Array.from({ length: perRound }, () => subject)) : Array.from({ length: perRound }, () => subjects).flat();
    for (const subject of order) {
      const cpu = subject.server && cpuCounter(subject.server.child.pid!);
      const [run] = await runStreams(target(subject, deltas, 0), 1, 1);
      if (cpu) {
        const { totalMs, mainThreadMs: mainMs = totalMs } = cpu();
        cpuMs.set(subject.key, cpuMs.get(subject.key)! + totalMs);
        mainThreadMs.set(subject.key, mainThreadMs.get(subject.key)! + mainMs);
      }
      times.get(subject.key)!.push(total(run!));
      if (run!.error) {
        byRound.get(subject.key)!.errors++;
        byRound.get(subject.key)!.firstError ??= run!.error;
      }
    }
    const direct = times.get('direct')!;
    for (const subject of subjects) {
      const figures = byRound.get(subject.key)!;
      const own = times.get(subject.key)!;
      const base = subject.kind === 'direct' ? 0 : 1;
      figures.p50.push(percentile(own, 50) - base * percentile(direct, 50));
      figures.p99.push(percentile(own, 99) - base * percentile(direct, 99));
      figures.cpu.push(cpuMs.get(subject.key)! / perRound);
      figures.helperCpu.push((cpuMs.get(subject.key)! - mainThreadMs.get(subject.key)!) / perRound);
    }
  }
  for (const subject of subjects) {
    const figures = byRound.get(subject.key)!;
    results.get(subject.key)![key] = {
      // For direct: the full reply's own time, the limit the others add to.
      p50Ms: round(median(figures.p50)),
      p99Ms: round(median(figures.p99)),
      cpuMsPerRequest: subject.server ? round(median(figures.cpu)) : undefined,
      helperCpuMsPerRequest: subject.server && SCHEDSTAT ? round(median(figures.helperCpu)) : undefined,
      rounds,
      requestsPerRound: perRound,
      errors: figures.errors,
      firstError: figures.firstError,
      byRound: figures,
    };
  }
}

/** Requests each profiled subject serves while its CPU profile runs (figure 1 by layer). */
const PROFILED_REQUESTS = QUICK ? 100 : 400;
/** Paced streams each profiled subject serves while its CPU profile runs (figure 2 by layer). */
const PROFILED_PACED_LEVEL = 200;
/**
 * Figure 2 again at PROFILED_PACED_LEVEL streams, with replies five times as long: its CPU per 1,000 deltas beside
 * the same level's with DELTAS-delta replies splits a subject's CPU into what each request costs and what each
 * delta costs (`costSplit`: the issue's reading of the CPU targets by stream length). Five times, not ten: each
 * round of a subject lasts two replies' time (starts spread over one), and ten would add 20 minutes to the full run.
 */
const LONG_DELTAS = DELTAS * 5;
const LONG_FIGURE = `long${PROFILED_PACED_LEVEL}`;

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 300 && !existsSync(path); i++) await sleep(100);
  if (!existsSync(path)) throw new Error(`${path} was not written`);
}

/** A profiled load: the work each subject does while its profile runs, and the unit its CPU is given per. */
interface ProfiledLoad {
  key: 'cpuByLayer' | 'cpuByLayerPaced';
  run(subject: Subject): Promise<StreamTiming[]>;
  /** How many units (requests, thousands of deltas) the runs were. */
  units(runs: StreamTiming[]): number;
}

/**
 * Figure 1 by layer: the CPU of a request at c=1, over PROFILED_REQUESTS requests; for our routes and the floors
 * built like them, so that what a route spends above its floor shows where it goes.
 */
const AT_ONE_PROFILED: ProfiledLoad = {
  key: 'cpuByLayer',
  run: (subject) => runStreams(target(subject, DELTAS, 0), PROFILED_REQUESTS, 1),
  units: (runs) => runs.length,
};

/** The CPU of 1,000 deltas by layer, under PROFILED_PACED_LEVEL paced streams (figure 2's load, after it). */
const PACED_PROFILED: ProfiledLoad = {
  key: 'cpuByLayerPaced',
  run: (subject) => runStreams(target(subject, DELTAS, PACE_MS), PROFILED_PACED_LEVEL, PROFILED_PACED_LEVEL, DELTAS * PACE_MS),
  units: (runs) => relayedDeltas(runs) / 1000,
};

/**
 * `run` under the server's CPU profiler (`profile-on-signal.mjs`); the profile is also kept beside the run's report
 * as `<RUN_ID>-<name>.cpuprofile`, to be read function by function (Chrome DevTools opens it).
 */
async function profiled<T>(server: Server, name: string, run: () => Promise<T>): Promise<{ result: T; profile: string }> {
  const file = server.profileFile!;
  for (const written of [file, `${file}.started`, `${file}.done`]) rmSync(written, { force: true });
  server.child.kill('SIGUSR2');
  await waitForFile(`${file}.started`);
  const result = await run();
  server.child.kill('SIGUSR2');
  await waitForFile(`${file}.done`);
  const profile = readFileSync(file, 'utf8');
  writeFileSync(`bench/results/${RUN_ID}-${name}.cpuprofile`, profile);
  return { result, profile };
}

/**
 * A CPU profile of each warm process over one load, charged to layers by `cpu-layers.ts`.
 * Sampling every 250 µs adds to the CPU it measures: the layers are read against each other and against the
 * floor's, the total against the figure taken without the profiler.
 */
async function profileLayers(subjects: Subject[], results: Map<string, Figures>, load: ProfiledLoad) {
  for (const subject of subjects) {
    const file = subject.server?.profileFile;
    if (!file) continue;
    log(`profiling ${subject.label}`);
    const {
      result: { runs, processMs },
      profile,
    } = await profiled(subject.server!, `${subject.key}-${load.key}`, async () => {
      const cpu = cpuSince(subject.server!.child.pid!);
      const streams = await load.run(subject);
      return { runs: streams, processMs: cpu()[0]! };
    });
    const byLayer = cpuByLayer(JSON.parse(profile) as CpuProfile);
    const units = load.units(runs);
    results.get(subject.key)![load.key] = {
      units: round(units, 3),
      errors: errorCount(runs),
      /** The whole process's CPU over the same load, profiler included (`/proc`: all threads, kernel time too). */
      processMsPerUnit: round(processMs / units, 3),
      msPerUnit: Object.fromEntries([...byLayer].map(([layer, us]) => [layer, round(us / 1000 / units, 3)])),
    };
  }
}

async function warmUp(subjects: Subject[]) {
  for (const subject of subjects) {
    log(`warming up ${subject.label}`);
    await runStreams(target(subject, DELTAS, 0), WARM_UP_REQUESTS, WARM_UP_CONCURRENCY);
    if (AT_ONE_FIGURES.some(runs)) await runStreams(target(subject, DELTAS, 0), WARM_UP_AT_ONE_REQUESTS, 1);
  }
}

/**
 * Figure 2 at `level` paced streams open at once (starts spread over one stream's duration): added
 * time-to-first-token, added gap between deltas, and the gateway's CPU per 1,000 relayed deltas. `long`: with
 * replies of LONG_DELTAS deltas (LONG_FIGURE).
 */
async function pacedStreams(subjects: Subject[], level: number, results: Map<string, Figures>, shape: 'paced' | 'burst' | 'long' = 'paced') {
  const rounds = PACED_ROUNDS ?? (QUICK || level >= 1000 ? 1 : 3);
  const figure = `${shape}${level}`;
  const burst = shape === 'burst';
  const deltas = shape === 'long' ? LONG_DELTAS : DELTAS;
  // A first burst at a new level opens the connections it needs (the client's, the gateway's to the upstream, its
  // database pool): the figure is for a server already serving that many streams, as figure 1's is for a warm one.
  if (!burst) {
    for (const subject of subjects) {
      await openSessions(subject, subject.server, level);
      await runStreams(target(subject, 2, PACE_MS), level, level);
    }
  }
  const fakePid = fakeUpstream!.pid!;
  const byRound = new Map(subjects.map((subject) => [subject.key, [] as Figures[]]));
  for (let r = 0; r < rounds; r++) {
    await sleep(ROUND_IDLE_MS);
    for (const subject of subjects) {
      const measured = async () => {
        const cpu = cpuSince(fakePid, ...(subject.server ? [subject.server.child.pid!] : []));
        const streams = await runStreams(target(subject, deltas, PACE_MS), level, level, burst ? 0 : deltas * PACE_MS);
        return { runs: streams, cpuMs: cpu() as [number, number | undefined] };
      };
      const {
        runs,
        cpuMs: [upstreamCpuMs, gatewayCpuMs],
      } =
        PROFILE_ROUNDS && subject.server?.profileFile
          ? (await profiled(subject.server, `${subject.key}-${figure}-round${r + 1}`, measured)).result
          : await measured();
      const ok = runs.filter((run) => !run.error);
      const relayed = relayedDeltas(runs);
      const setups = ok.flatMap((run) => (run.setupMs === undefined ? [] : [run.setupMs]));
      byRound.get(subject.key)!.push({
        ttftP50: percentile(ok.map(ttft), 50),
        ttftP99: percentile(ok.map(ttft), 99),
        ...(setups.length > 0 && { setupP50: percentile(setups, 50), setupP99: percentile(setups, 99) }),
        gapP99: percentile(ok.flatMap(gaps), 99),
        cpuPer1000: gatewayCpuMs === undefined ? undefined : (gatewayCpuMs / relayed) * 1000,
        cpuPerUpstream: gatewayCpuMs === undefined ? undefined : perUpstreamCpu(gatewayCpuMs, upstreamCpuMs),
        errors: errorCount(runs),
        firstError: firstError(runs),
      });
    }
  }
  const direct = byRound.get('direct')!;
  for (const subject of subjects) {
    const own = byRound.get(subject.key)!;
    const added = (key: string) => median(own.map((figures, r) => figures[key] - (subject.kind === 'direct' ? 0 : direct[r]![key])));
    const ownMedian = (key: string) => {
      const values = own.flatMap((figures) => (figures[key] === undefined ? [] : [figures[key] as number]));
      return values.length > 0 ? round(median(values)) : undefined;
    };
    const gateway = subject.kind !== 'direct';
    results.get(subject.key)![figure] = {
      // For direct: its own figures, the limit the others add to.
      ttftP50Ms: round(added('ttftP50')),
      ttftP99Ms: round(added('ttftP99')),
      gapP99Ms: round(added('gapP99')),
      // The gateway's own: nothing of direct's to take away.
      setupP50Ms: ownMedian('setupP50'),
      setupP99Ms: ownMedian('setupP99'),
      cpuMsPer1000Deltas: gateway ? round(median(own.map((figures) => figures.cpuPer1000))) : undefined,
      cpuPerUpstreamCpu: gateway ? round(median(own.map((figures) => figures.cpuPerUpstream)), 1) : undefined,
      errors: own.reduce((sum, figures) => sum + figures.errors, 0),
      firstError: own.find((figures) => figures.firstError)?.firstError,
      rounds,
      byRound: own,
    };
  }
}

/** The busiest half second of `samples` (busiest-window.ts) under `who`'s names; nothing without samples enough. */
function peakOf<Who extends 'gateway' | 'clientCore'>(samples: readonly CpuSample[], who: Who): Partial<Record<`${Who}PeakBusyPercent` | `${Who}PeakAtMs`, number>> {
  const peak = busiest(samples);
  return peak ? ({ [`${who}PeakBusyPercent`]: peak.busyPercent, [`${who}PeakAtMs`]: peak.atMs } as Record<`${Who}PeakBusyPercent` | `${Who}PeakAtMs`, number>) : {};
}

/**
 * `level` streams of `deltas` deltas every `pace` ms, starting spread over half a stream's duration, as a
 * population of users arrives, so all of them are open together for the second half. Reports the peak RSS the
 * process grew by, per stream, and whether the level was held (BENCH-METHOD: every delta arrives, errors stay
 * under 0.1 % and the p99 gap between deltas is at most 200 ms).
 */
async function holdStreams(server: Server | undefined, through: Target, level: number, deltas: number, pace: number) {
  const pid = server?.child.pid;
  const baseline = pid ? rssOf(pid) : 0;
  // The gateway's counter gives both the busy windows and the total.
  const cpu = pid ? { gateway: cpuCounter(pid), upstream: cpuCounter(fakeUpstream!.pid!) } : undefined;
  const startedAt = performance.now();
  let peak = baseline;
  const gatewayBusy = cpu ? sampleCpu(() => cpu.gateway().totalMs) : undefined;
  // Core 0's too (the load client, the fake upstream, and PostgreSQL's processes where the bench could pin them
  // there), for every subject (direct's shows the load client and the upstream alone): a gap can be its.
  const clientCoreBusy = PINNED ? sampleCpu(() => coreBusyMs(CLIENT_CORE)) : undefined;
  const rssSampler = pid ? setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100) : undefined;
  const rampMs = (deltas * pace) / 2;
  let runs: Awaited<ReturnType<typeof runStreams>>;
  let busy: CpuSample[];
  let clientCore: CpuSample[];
  try {
    runs = await runStreams(through, level, level, rampMs);
  } finally {
    clearInterval(rssSampler);
    busy = gatewayBusy?.stop() ?? [];
    clientCore = clientCoreBusy?.stop() ?? [];
  }
  const [cpuMs, upstreamCpuMs] = cpu ? [cpu.gateway().totalMs, cpu.upstream().totalMs] : [];
  const relayed = relayedDeltas(runs);
  const judged = heldRuns(runs, deltas);
  return {
    streams: level,
    paceMs: pace,
    held: isHeld(judged),
    failed: judged.failed,
    gapP99Ms: round(judged.gapP99Ms),
    worstGapMs: round(judged.gaps.reduce((worst, gap) => Math.max(worst, gap), 0)),
    rssPerStreamKiB: pid ? round((peak - baseline) / level / 1024, 1) : undefined,
    cpuMsPer1000Deltas: cpuMs === undefined ? undefined : round((cpuMs / relayed) * 1000),
    cpuPerUpstreamCpu: cpuMs === undefined ? undefined : perUpstreamCpu(cpuMs, upstreamCpuMs!),
    gatewayBusyPercent: cpuMs === undefined ? undefined : round((cpuMs / (performance.now() - startedAt)) * 100, 0),
    ...peakOf(busy, 'gateway'),
    ...peakOf(clientCore, 'clientCore'),
    rampMs,
    ttftP99Ms: round(percentile(runs.filter((run) => !run.error).map(ttft), 99)),
    openTogether: judged.openTogether,
    firstError: judged.firstError,
  };
}

/**
 * RSS per open stream, paced at one delta a second so that the CPU does not decide it, first thing in each process
 * after 200 warm-up requests: in one that ran the other figures, whose heap those had grown already, new streams
 * fit in memory already taken. Our routes share a gateway, so the full run starts one for each route after the
 * first; the quick run measures the first (native) only.
 */
async function memoryPerStream(subjects: Subject[], results: Map<string, Figures>) {
  const measured = new Set<Server>();
  for (const subject of subjects) {
    if (!subject.server) continue;
    const onShared = !measured.has(subject.server);
    if (!onShared && (QUICK || !subject.launch)) continue;
    log(`memory per open stream, ${subject.label}`);
    const server = onShared ? subject.server : await subject.launch!();
    measured.add(subject.server);
    try {
      await runStreams(targetOf(subject, server, DELTAS, 0), 200, WARM_UP_CONCURRENCY);
      // Native streams start new sessions here: opening the sessions to continue first would grow the heap that
      // the level's streams are then measured in. Each one's title request (one delta, TITLE_MODEL) is counted.
      const streams = subject.kind === 'native' ? { ...subject, kind: 'native-new-session' as const } : subject;
      results.get(subject.key)!.memory = await holdStreams(server, targetOf(streams, server, MEMORY_DELTAS, 1000), MEMORY_STREAMS, MEMORY_DELTAS, 1000);
    } finally {
      if (!onShared) await server.close();
    }
  }
}

/** Figure 4: relayed deltas per second at saturation (no pacing) and the gateway's CPU per 1,000 deltas. */
async function saturation(subjects: Subject[], results: Map<string, Figures>) {
  const deltasPerStream = QUICK ? 500 : 2000;
  const streams = QUICK ? 10 : 48;
  const concurrency = QUICK ? 10 : 24;
  for (const subject of subjects) {
    const cpu = cpuSince(fakeUpstream!.pid!, ...(subject.server ? [subject.server.child.pid!] : []));
    const startedAt = performance.now();
    const runs = await runStreams(target(subject, deltasPerStream, 0), streams, concurrency);
    const seconds = (performance.now() - startedAt) / 1000;
    const [upstreamCpuMs, gatewayCpuMs] = cpu() as [number, number | undefined];
    const relayed = relayedDeltas(runs);
    results.get(subject.key)!.saturation = {
      deltasPerSecond: Math.round(relayed / seconds),
      cpuMsPer1000Deltas: gatewayCpuMs === undefined ? undefined : round((gatewayCpuMs / relayed) * 1000),
      cpuPerUpstreamCpu: gatewayCpuMs === undefined ? undefined : perUpstreamCpu(gatewayCpuMs, upstreamCpuMs),
      relayed,
      errors: errorCount(runs),
      firstError: firstError(runs),
    };
  }
}

/**
 * Open streams held at 10 deltas a second: each level for every subject still holding, until none is left or
 * direct no longer holds one. A level direct does not hold is bounded by the load client's core (shared with the
 * fake upstream), not by a gateway: a subject whose events cost the client less to read (our native route's
 * `{content}` beside OpenAI's chunks) would go on "holding" levels that measure the client. Such a level is kept,
 * marked `clientBound`, and counts for no subject.
 */
async function heldStreams(subjects: Subject[], results: Map<string, Figures>) {
  const direct = subjects.find((subject) => subject.kind === 'direct')!;
  let holding = subjects;
  for (const level of HELD_LEVELS) {
    if (holding.length === 0) break;
    const trials = new Map<Subject, HeldTrial[]>(holding.map((subject) => [subject, []]));
    for (let trial = 1; trial <= HELD_TRIALS; trial++) {
      await sleep(ROUND_IDLE_MS);
      for (const subject of holding) {
        log(`${level} open streams at 10 deltas/s, ${subject.label}${HELD_TRIALS > 1 ? `, trial ${trial} of ${HELD_TRIALS}` : ''}`);
        await openSessions(subject, subject.server, level);
        trials.get(subject)!.push(await holdStreams(subject.server, target(subject, HELD_DELTAS, HELD_PACE_MS), level, HELD_DELTAS, HELD_PACE_MS));
        await sleep(1000);
      }
    }
    for (const subject of holding) ((results.get(subject.key)!.held ??= []) as unknown[]).push(medianTrial(trials.get(subject)!));
    const heldHere = (subject: Subject) => (results.get(subject.key)!.held as { held: boolean }[]).at(-1)!.held;
    if (!heldHere(direct)) {
      for (const subject of holding) {
        if (subject !== direct) (results.get(subject.key)!.held as HeldLevelRun[]).at(-1)!.clientBound = true;
      }
      break;
    }
    holding = holding.filter(heldHere);
  }
}

type HeldTrial = Awaited<ReturnType<typeof holdStreams>>;

/**
 * A level's trials as one: the median of each figure, every failure counted, held by the same rule on those; the
 * trials' own p99 gaps are kept for the report.
 */
function medianTrial(trials: HeldTrial[]): HeldTrial & { trialGapP99Ms?: number[] } {
  if (trials.length === 1) return trials[0]!;
  const middle = (pick: (trial: HeldTrial) => number | undefined) => {
    const values = trials.map(pick).filter((value): value is number => value !== undefined);
    return values.length ? round(median(values)) : undefined;
  };
  const { streams } = trials[0]!;
  const failed = trials.reduce((sum, trial) => sum + trial.failed, 0);
  const gapP99Ms = middle((trial) => trial.gapP99Ms)!;
  const openTogether = middle((trial) => trial.openTogether)!;
  return {
    ...trials[0]!,
    held: isHeld({ streams, failed, gapP99Ms, openTogether }, trials.length),
    openTogether,
    ttftP99Ms: middle((trial) => trial.ttftP99Ms)!,
    failed,
    gapP99Ms,
    worstGapMs: Math.max(...trials.map((trial) => trial.worstGapMs)),
    rssPerStreamKiB: middle((trial) => trial.rssPerStreamKiB),
    cpuMsPer1000Deltas: middle((trial) => trial.cpuMsPer1000Deltas),
    cpuPerUpstreamCpu: middle((trial) => trial.cpuPerUpstreamCpu),
    gatewayBusyPercent: middle((trial) => trial.gatewayBusyPercent),
    // Each median on its own, as every figure here: a busiest half second and its time can be two trials'.
    gatewayPeakBusyPercent: middle((trial) => trial.gatewayPeakBusyPercent),
    gatewayPeakAtMs: middle((trial) => trial.gatewayPeakAtMs),
    clientCorePeakBusyPercent: middle((trial) => trial.clientCorePeakBusyPercent),
    clientCorePeakAtMs: middle((trial) => trial.clientCorePeakAtMs),
    firstError: trials.find((trial) => trial.firstError)?.firstError,
    trialGapP99Ms: trials.map((trial) => trial.gapP99Ms),
  };
}

/** The held column of a level: whether it was held, and whether it counts; a memory row is not a held level. */
function heldCell(level: { paceMs: number; held: boolean; clientBound?: boolean }): string {
  if (level.paceMs !== HELD_PACE_MS) return '(memory)';
  const held = level.held ? 'yes' : 'no';
  return level.clientBound ? `${held} (direct did not hold it: not counted)` : held;
}

const heldOf = (figures: Figures) => {
  const levels = figures.held as HeldLevelRun[] | undefined;
  return levels && heldFigure(levels, HELD_LEVELS.at(-1)!);
};

interface Row {
  name: string;
  pick: (figures: Figures) => number | undefined;
  /** What the direct column shows instead, where the figure is the subject's own time. */
  direct?: (figures: Figures) => string;
  /** BENCH-METHOD's target: the most (or, for `relayAtLeast`, the least) each ratio may be. */
  portkeyAtMost?: number;
  relayAtMost?: number;
  relayAtLeast?: number;
  /**
   * Whether the picked figure is only a lower bound: the subject may do more than the harness could measure. Shown
   * with a '+', and read by the `relayAtLeast` target, the one row that has it (held levels).
   */
  orMore?: (figures: Figures) => boolean | undefined;
  /** For a target one of our routes misses: what its cost beyond its floor is, and where it goes. */
  remains?: Remains;
}

const ROWS: Row[] = [
  {
    name: 'added latency p50, c=1, zero-delay upstream (ms)',
    pick: (f) => f.atOne?.p50Ms,
    direct: (f) => `full reply ${f.atOne.p50Ms}`,
    portkeyAtMost: 0.5,
    relayAtMost: 3,
    remains: byLayer('cpuByLayer', 'per request at c=1 (its latency there is this CPU and its waits on the database)'),
  },
  { name: 'added latency p99, c=1, zero-delay upstream (ms)', pick: (f) => f.atOne?.p99Ms, direct: (f) => `full reply ${f.atOne.p99Ms}` },
  {
    name: 'gateway CPU per request, c=1 (ms)',
    pick: (f) => f.atOne?.cpuMsPerRequest,
    portkeyAtMost: 0.5,
    remains: withRounds(
      'atOne',
      byLayer('cpuByLayer', 'per request at c=1', (subject) =>
        subject.kind === 'v1-unstored' && subject.key.endsWith('-postgres')
          ? 'What the features cost here, measured with a build without them beside Portkey and the floor: bench/README.md, "The same target with the per-request features taken out".'
          : undefined,
      ),
    ),
  },
  { name: 'gateway CPU per request, c=1, on its helper threads: V8 compiling and collecting, libuv’s pool, workers (ms)', pick: (f) => f.atOne?.helperCpuMsPerRequest },
  {
    name: 'gateway CPU per request, c=1, each subject’s requests of a round in a row, as a replica serves its own (ms)',
    pick: (f) => f.atOneInBlocks?.cpuMsPerRequest,
    portkeyAtMost: 0.5,
    remains: withRounds(
      'atOneInBlocks',
      byLayer('cpuByLayer', `per request at c=1, ${PROFILED_REQUESTS} requests in a row`, (subject) =>
        subject.kind === 'v1' && subject.key.endsWith('-postgres')
          ? 'What the features and the turn’s writes cost here, measured with a build without the features beside Portkey and both floors: bench/README.md, "Stored `/v1` in a row".'
          : undefined,
      ),
    ),
  },
  {
    name: 'gateway CPU per request, c=1, each subject’s requests of a round in a row, on its helper threads: V8 compiling and collecting, libuv’s pool, workers (ms)',
    pick: (f) => f.atOneInBlocks?.helperCpuMsPerRequest,
  },
  { name: 'our chat route, a new session each request (its title asked for too): added latency p50, c=1 (ms)', pick: (f) => f.atOneNewSession?.p50Ms },
  { name: 'our chat route, a new session each request (its title asked for too): gateway CPU per request, c=1 (ms)', pick: (f) => f.atOneNewSession?.cpuMsPerRequest },
  {
    name: 'added time, a one-delta reply, c=1, p50 (ms): on our chat route, the turn’s database writes',
    pick: (f) => f.turn?.p50Ms,
    direct: (f) => `full reply ${f.turn.p50Ms}`,
  },
  ...PACED_LEVELS.flatMap((level): Row[] => [
    {
      name: `added TTFT p99, ${level} paced streams (ms)`,
      pick: (f) => f[`paced${level}`]?.ttftP99Ms,
      direct: (f) => `TTFT ${f[`paced${level}`].ttftP99Ms}`,
      ...(level <= 200 ? { portkeyAtMost: 0.5, remains: coreAtPeak(level) } : {}),
    },
    { name: `our set-up before the upstream request, p99, ${level} paced streams (ms; Server-Timing)`, pick: (f) => f[`paced${level}`]?.setupP99Ms },
    { name: `added gap between deltas p99, ${level} paced streams (ms)`, pick: (f) => f[`paced${level}`]?.gapP99Ms, direct: (f) => `gap ${f[`paced${level}`].gapP99Ms}` },
    {
      name: `gateway CPU per 1,000 deltas, ${level} paced streams (ms)`,
      pick: (f) => f[`paced${level}`]?.cpuMsPer1000Deltas,
      ...(level === 200 ? { portkeyAtMost: 0.5, relayAtMost: 1.3, remains: byLayer('cpuByLayerPaced', `per 1,000 deltas under ${PROFILED_PACED_LEVEL} paced streams`) } : {}),
    },
  ]),
  ...(QUICK
    ? []
    : [
        { name: `gateway CPU per 1,000 deltas, ${PROFILED_PACED_LEVEL} paced streams of ${LONG_DELTAS} deltas (ms)`, pick: (f: Figures) => f[LONG_FIGURE]?.cpuMsPer1000Deltas },
        {
          name: `gateway CPU per relayed delta, ${PROFILED_PACED_LEVEL} paced streams, split by stream length: replies of ${DELTAS} and of ${LONG_DELTAS} deltas (µs)`,
          pick: (f: Figures) => pacedCostSplit(f)?.perDeltaUs,
          portkeyAtMost: 0.5,
          relayAtMost: 1.3,
          remains: ({ subject }: Assessment) =>
            `Where its CPU goes by layer: the row of CPU per 1,000 deltas at ${PROFILED_PACED_LEVEL} paced streams, above.${
              subject.kind === 'v1-unstored' && subject.key.endsWith('-postgres')
                ? ' Per delta beside its floor, timed with perf and the system calls counted: bench/README.md, "Per request and per delta: the CPU split by stream length"; its instructions and cache misses counted with callgrind: "A delta counted, not timed".'
                : ''
            }`,
        },
        {
          name: `gateway CPU per request set-up, ${PROFILED_PACED_LEVEL} paced streams, split by stream length: replies of ${DELTAS} and of ${LONG_DELTAS} deltas (ms)`,
          // No target here: the part is a difference of two figures over 14, too noisy to judge (bench/README.md, "Per
          // request and per delta"); figure 1 measures the set-up itself, against the issue's target.
          pick: (f: Figures) => pacedCostSplit(f)?.perRequestMs,
        },
        { name: `added TTFT p50, a burst of ${BURST} arriving at once (ms)`, pick: (f: Figures) => f[`burst${BURST}`]?.ttftP50Ms, direct: (f: Figures) => `TTFT ${f[`burst${BURST}`].ttftP50Ms}` },
        { name: `added TTFT p99, a burst of ${BURST} arriving at once (ms)`, pick: (f: Figures) => f[`burst${BURST}`]?.ttftP99Ms, direct: (f: Figures) => `TTFT ${f[`burst${BURST}`].ttftP99Ms}` },
        { name: `our set-up before the upstream request, p99, a burst of ${BURST} arriving at once (ms; Server-Timing)`, pick: (f: Figures) => f[`burst${BURST}`]?.setupP99Ms },
      ]),
  { name: 'relayed deltas per second at saturation (no pacing)', pick: (f) => f.saturation?.deltasPerSecond, direct: (f) => show(f.saturation.deltasPerSecond) },
  { name: 'gateway CPU per 1,000 deltas at saturation (ms)', pick: (f) => f.saturation?.cpuMsPer1000Deltas },
  {
    name: `RSS per open stream, ${MEMORY_STREAMS.toLocaleString('en')} open at 1 delta/s (KiB)`,
    pick: (f) => f.memory?.rssPerStreamKiB,
    relayAtMost: 1,
    // The run reads RSS only: where the memory goes was measured apart, in the heap, and so was how far it moves.
    // A route at or under its floor, which misses the target too, needs nothing more said.
    remains: ({ value, floor }: Assessment) =>
      floor !== undefined && value <= floor
        ? ''
        : 'What a `/v1` stream holds in the heap, by kind of object, is measured apart (`bench/experiments/heap-per-stream.ts`; bench/README.md, “Events nobody can replay are not kept”). This figure moves between runs with the heap the process had grown before the level, which new streams fill before it grows again (“Five leads measured again”, lead 2).',
  },
  { name: `open streams held at 10 deltas/s (p99 gap ≤ ${HELD_MAX_GAP_P99_MS} ms, ${HELD_MIN_OPEN_SHARE * 100} % open together; highest of ${HELD_LEVELS.join(', ')}; 0: none; +: or more, the harness’s bound)`, pick: (f) => heldOf(f)?.streams, orMore: (f) => heldOf(f)?.orMore, relayAtLeast: 0.8, remains: heldLevel },
];

/** costSplit of a subject's CPU per 1,000 deltas at PROFILED_PACED_LEVEL paced streams, from both reply lengths. */
function pacedCostSplit(figures: Figures): CostSplit | undefined {
  const short = figures[`paced${PROFILED_PACED_LEVEL}`]?.cpuMsPer1000Deltas as number | undefined;
  const long = figures[LONG_FIGURE]?.cpuMsPer1000Deltas as number | undefined;
  if (short === undefined || long === undefined) return undefined;
  const { perRequestMs, perDeltaUs } = costSplit({ deltas: DELTAS, msPer1000Deltas: short }, { deltas: LONG_DELTAS, msPer1000Deltas: long });
  return { perRequestMs: round(perRequestMs, 3), perDeltaUs: round(perDeltaUs) };
}

function targetText(row: Row): string {
  const parts = [
    row.portkeyAtMost === undefined ? undefined : `≤ ${row.portkeyAtMost} × Portkey`,
    row.relayAtMost === undefined ? undefined : `≤ ${row.relayAtMost} × relay`,
    row.relayAtLeast === undefined ? undefined : `≥ ${row.relayAtLeast} × relay`,
  ];
  return parts.filter(Boolean).join(', ');
}

const show = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '—' : value.toLocaleString('en', { maximumFractionDigits: 2 }));
/** A ratio of two figures, where both are positive; added latency can come out at or below zero in a noisy round. */
const ratio = (ours: number | undefined, theirs: number | undefined) => (ours !== undefined && theirs !== undefined && ours >= 0 && theirs > 0 ? ours / theirs : undefined);

type ReportSubject = Report['subjects'][number];

/** One line of the ratio table: a subject's figure beside Portkey's, the relay's and its floor's. */
interface Assessment {
  row: Row;
  subject: ReportSubject;
  value: number;
  theirs?: number;
  relayed?: number;
  floorSubject?: ReportSubject;
  floor?: number;
  /** Which of its figures are only lower bounds (the row's `orMore`): shown with a '+'; the target reads ours and the relay's. */
  bounds: LowerBounds;
  /**
   * Whether the figure meets the row's target; undefined where the row has none, a figure it needs is missing or at
   * or below zero (no ratio), or a lower bound cannot decide it.
   */
  met?: boolean;
}

interface LowerBounds {
  value: boolean;
  theirs: boolean;
  relayed: boolean;
  floor: boolean;
}

/** Whether a subject's figure in `row` is only a lower bound (false for a subject the run does not have). */
const isLowerBound = (row: Row, figures: Figures | undefined) => (figures && row.orMore?.(figures)) ?? false;

/** A figure as the report shows it: a lower bound with a '+'. */
const shownBound = (value: number | undefined, orMore: boolean) => `${show(value)}${orMore ? '+' : ''}`;

/** What a route's cost beyond its floor is made of, for a target it misses (a sentence or two, or ''). */
type Remains = (assessment: Assessment, report: Report) => string;

const hasTarget = (row: Row) => row.portkeyAtMost !== undefined || row.relayAtMost !== undefined || row.relayAtLeast !== undefined;
const OURS: Kind[] = ['native', 'v1', 'v1-unstored'];
const isFloor = (kind: Kind) => kind.startsWith('floor-');

/**
 * Whether `value` meets the row's target beside Portkey's and the relay's figures (undefined: no target, a figure
 * missing or at or below zero, or a lower bound that cannot decide it: ours or the relay's, `bounds`).
 */
function meets(row: Row, value: number, theirs: number | undefined, relayed: number | undefined, bounds: LowerBounds): boolean | undefined {
  const checks: (boolean | undefined)[] = [];
  const atMost = (bound: number | undefined, against: number | undefined) => {
    if (bound === undefined) return;
    const r = ratio(value, against);
    checks.push(r === undefined ? undefined : r <= bound);
  };
  atMost(row.portkeyAtMost, theirs);
  atMost(row.relayAtMost, relayed);
  if (row.relayAtLeast !== undefined) checks.push(relayed === undefined ? undefined : atLeastShare(value, bounds.value, relayed, bounds.relayed, row.relayAtLeast));
  return checks.length === 0 || checks.includes(undefined) ? undefined : checks.every(Boolean);
}

/** The row's target in the figure's own unit, from this run's Portkey and relay figures. */
function limitText(row: Row, theirs: number | undefined, relayed: number | undefined, relayedOrMore: boolean): string {
  const most = [row.portkeyAtMost === undefined || theirs === undefined ? undefined : row.portkeyAtMost * theirs, row.relayAtMost === undefined || relayed === undefined ? undefined : row.relayAtMost * relayed].filter(
    (bound): bound is number => bound !== undefined,
  );
  if (row.relayAtLeast !== undefined && relayed !== undefined) return `at least ${show(row.relayAtLeast * relayed)}${relayedOrMore ? ` (${row.relayAtLeast} × the relay’s ${show(relayed)}+), perhaps more` : ''}`;
  return most.length ? `at most ${show(Math.min(...most))}` : 'unknown here';
}

/** Every figure of ours and of the floors, each beside Portkey's, the relay's and (ours) its floor's. */
function assess(report: Report): Assessment[] {
  const subjects = report.subjects;
  const figures = (key: string) => report.results[key] ?? {};
  const portkey = subjects.find((subject) => subject.kind === 'portkey');
  const relay = subjects.find((subject) => subject.kind === 'relay');
  const floorOf = ({ key, kind }: ReportSubject) =>
    subjects.find((subject) => subject.kind === STORED_FLOOR_OF[kind] && dbOfKey(subject.key) === dbOfKey(key)) ?? subjects.find((subject) => subject.kind === FLOOR_OF[kind]);
  // Ours, each also beside the floor built as it is; and the floors, to show what of a target the floor itself meets.
  const rated = subjects.filter((subject) => OURS.includes(subject.kind) || isFloor(subject.kind));
  return ROWS.flatMap((row) => {
    const theirs = portkey && row.pick(figures(portkey.key));
    const relayed = relay && row.pick(figures(relay.key));
    return rated.flatMap((subject): Assessment[] => {
      const value = row.pick(figures(subject.key));
      if (value === undefined) return [];
      const floorSubject = floorOf(subject) || undefined;
      const floor = floorSubject && row.pick(figures(floorSubject.key));
      const bound = (of: ReportSubject | undefined) => isLowerBound(row, of && figures(of.key));
      const bounds = { value: bound(subject), theirs: bound(portkey), relayed: bound(relay), floor: bound(floorSubject) };
      return [{ row, subject, value, theirs, relayed, floorSubject, floor, bounds, met: meets(row, value, theirs, relayed, bounds) }];
    });
  });
}

/**
 * "Done when" of the performance issue: for each target a route of ours misses, its floor's figure (whether
 * Nest, Express and Node alone, and the floor's stored turn, already miss it) and what our cost above the floor is
 * made of (the row's `remains`).
 */
function remainsSection(report: Report, assessed: Assessment[]): string[] {
  const unmet = assessed.filter((line) => line.met === false && OURS.includes(line.subject.kind));
  if (unmet.length === 0) return [];
  const lines = [
    '',
    '## Targets not met: what remains, and where',
    '',
    "For each target a route of ours misses: the floors' figures (what Nest, Express and Node cost with nothing of ours: a target a floor misses too is below what the framework the route is built on costs by itself), then the route beside its own floor and where its cost above that floor goes. Features are the layers no floor has (sign-in, throttling, validation, logging, metrics, tracing, security headers, and our turn's routing, credential, budget and resume log).",
  ];
  for (const row of ROWS) {
    const missed = unmet.filter((line) => line.row === row);
    if (missed.length === 0) continue;
    const { theirs, relayed, bounds } = missed[0]!;
    const floors = assessed.filter((line) => line.row === row && isFloor(line.subject.kind));
    lines.push('', `**${row.name}**: ${targetText(row)}, here ${limitText(row, theirs, relayed, bounds.relayed)}.`);
    if (floors.length) {
      // What Nest and Express cost by themselves: not an experiment's floor, which carries more (our modules).
      const onNest = floors.filter((line) => line.subject.kind.startsWith('floor-nest') && !FLOORS.find((floor) => floor.kind === line.subject.kind)?.experiment);
      const verdict = onNest.length > 0 && onNest.every((line) => line.met === false) ? ' No floor built on Nest meets it: the target is below what Nest and Express cost by themselves.' : '';
      lines.push(`Floors: ${floors.map((line) => `${line.subject.label} ${shownBound(line.value, line.bounds.value)} (${line.met === undefined ? 'unknown' : line.met ? 'meets it' : 'misses it'})`).join('; ')}.${verdict}`);
    }
    lines.push('');
    for (const line of missed) {
      // The floor's own line, assessed beside the same Portkey and relay figures.
      const floorMet = floors.find((floor) => floor.subject === line.floorSubject)?.met;
      const beside =
        line.floorSubject && line.floor !== undefined
          ? `its floor (${line.floorSubject.label}) ${shownBound(line.floor, line.bounds.floor)}, which ${floorMet === undefined ? 'may or may not meet it' : floorMet ? 'meets it' : 'misses it too'}; ${show(ratio(line.value, line.floor))} × the floor.`
          : 'no floor of its kind in this run.';
      const remains = row.remains?.(line, report);
      lines.push(`- ${line.subject.label}, ${shownBound(line.value, line.bounds.value)}: ${beside}${remains ? ` ${remains}` : ''}`);
    }
  }
  return lines;
}

/** A profiled load's CPU per unit summed over its layers: what the profile saw. */
const profiledMs = (load: Figures) => Object.values(load.msPerUnit as Record<string, number>).reduce((sum, ms) => sum + ms, 0);

const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${show(Math.abs(ms))}`;

/** Where a route's CPU above its floor's goes, by layer, from the profile of `key` (c=1 or paced). */
/** `measured`: where an experiment measured the same cost of a subject another way, said after the profile's account. */
function byLayer(key: ProfiledLoad['key'], unit: string, measured?: (subject: ReportSubject) => string | undefined): Remains {
  return ({ subject, floorSubject }, report) => {
    const ours = report.results[subject.key]?.[key];
    const floor = floorSubject && report.results[floorSubject.key]?.[key];
    if (!ours || !floor) return 'No profile of it beside its floor in this run.';
    const excess = layerExcess(ours.msPerUnit, floor.msPerUnit);
    const outside = ours.processMsPerUnit - profiledMs(ours) - (floor.processMsPerUnit - profiledMs(floor));
    const above = ours.processMsPerUnit - floor.processMsPerUnit;
    const features = excess.filter(({ layer }) => FEATURE_LAYERS.has(layer)).reduce((sum, { ms }) => sum + ms, 0);
    // The layers that make up most of the difference; the many small ones are summed.
    const shown = excess.filter(({ ms }) => Math.abs(ms) >= 0.02 * floor.processMsPerUnit);
    const rest = excess.filter((item) => !shown.includes(item)).reduce((sum, { ms }) => sum + ms, 0);
    return (
      `Profiled ${unit} (the profiler's own cost in both): ${show(ours.processMsPerUnit)} ms against the floor's ${show(floor.processMsPerUnit)}, ${signed(above)}. ` +
      `By layer, ours minus the floor's: ${[...shown.map(({ layer, ms }) => `${layer} ${signed(ms)}`), `the other layers ${signed(rest)}`, `outside the profile (native I/O, V8's helper threads, kernel) ${signed(outside)}`].join('; ')}. ` +
      `Features account for ${signed(features)} of it.` +
      (measured?.(subject) ? ` ${measured(subject)}` : '')
    );
  };
}

/** `remains`, then each round's figure of the subject and of Portkey (several rounds only): how far one round moves the median. */
function withRounds(key: 'atOne' | 'atOneInBlocks', remains: Remains): Remains {
  return (assessment, report) => {
    const cpu = (subjectKey: string | undefined) => {
      const rounds = subjectKey === undefined ? undefined : (report.results[subjectKey]?.[key]?.byRound?.cpu as number[] | undefined);
      return rounds && rounds.length > 1 ? rounds.map(show).join(', ') : undefined;
    };
    const ours = cpu(assessment.subject.key);
    const theirs = cpu(report.subjects.find((subject) => subject.kind === 'portkey')?.key);
    return `${remains(assessment, report)}${ours && theirs ? ` Each round: ${ours} (Portkey: ${theirs}).` : ''}`;
  };
}

/**
 * TTFT under paced load: at a round's peak every stream is open, and past a full core the deltas and the new streams'
 * first events queue (bench/README.md, "The native route's slow paced rounds"): the core's load at the peak.
 */
function coreAtPeak(level: number): Remains {
  const perSecond = (level * 1000) / PACE_MS;
  return ({ subject, floorSubject }, report) => {
    const load = (key: string) => {
      const cpu = report.results[key]?.[`paced${level}`]?.cpuMsPer1000Deltas as number | undefined;
      return cpu === undefined ? undefined : (cpu * perSecond) / 1000 / 10;
    };
    const ours = load(subject.key);
    if (ours === undefined) return '';
    const floor = floorSubject && load(floorSubject.key);
    const own = report.results[subject.key]?.[`paced${level}`] as Figures | undefined;
    return (
      `At a round's peak all ${level} streams are open, ${perSecond.toLocaleString('en')} deltas a second: at its CPU per 1,000 deltas that is ${Math.round(ours)} % of its core${floor === undefined ? '' : ` (its floor's: ${Math.round(floor)} %)`}. ` +
      (ours >= 80
        ? 'Near or past a full core, the deltas and the new streams’ first events queue: what remains is the CPU per delta (its row).'
        : 'Its core is not full at the peak: see the per-round figures in the run’s JSON.') +
      (own?.setupP99Ms === undefined ? '' : ` ${ownSetup(subject, own)}`)
    );
  };
}

/**
 * The route's own set-up before its upstream request, over the same streams (its Server-Timing: from the request
 * reaching the app to its headers, which leave once the upstream request is made). Percentiles of the set-up and of
 * the TTFT are of different distributions: put side by side, not subtracted.
 */
function ownSetup(subject: Subject, figures: Figures): string {
  const read = subject.kind === 'native' ? ' On this route it includes the turn’s one database read before the upstream request (the session and its branch, which the provider is sent).' : '';
  return `Its own set-up before the upstream request (Server-Timing), over the same streams: p50 ${show(figures.setupP50Ms)} and p99 ${show(figures.setupP99Ms)} ms.${read}`;
}

/** A held level's busiest half second of the gateway's core or of core 0, and when it came; the arrivals end at `rampMs`. */
function peakCell(percent: number | undefined, atMs: number | undefined): string {
  if (percent === undefined) return '—';
  return `${percent} (${show(round(atMs! / 1000, 1))})`;
}

/** A held level's busiest half second at or over this share of the core: the core was full then. */
const FULL_CORE_PERCENT = 95;

/** Open streams held: the first level the route did not hold, and how busy its core was there. */
function heldLevel({ subject }: Assessment, report: Report): string {
  const levels = (report.results[subject.key]?.held ?? []) as (HeldTrial & HeldLevelRun)[];
  const lost = levels.find((level) => !level.held && !level.clientBound);
  if (!lost) return 'It held every level the load client could measure.';
  const busy = lost.gatewayBusyPercent ?? 0;
  const peak = lost.gatewayPeakBusyPercent;
  const lostLevel = `The first level it did not hold: ${lost.streams.toLocaleString('en')} streams (${((lost.streams * 1000) / HELD_PACE_MS).toLocaleString('en')} deltas a second), p99 gap ${show(lost.gapP99Ms)} ms, TTFT p99 ${show(lost.ttftP99Ms)} ms, at most ${show(lost.openTogether)} open together, ${lost.failed} failed, its core ${busy} % busy at ${show(lost.cpuMsPer1000Deltas)} ms per 1,000 deltas`;
  if (isHeld({ ...lost, openTogether: lost.streams }, HELD_TRIALS)) {
    return `${lostLevel}. Its deltas kept pace, but its streams were not open together: later ones waited for their first delta while earlier ones ended. What remains is what a stream waits for before its first delta: its way in and set-up on a busy event loop, the gateway's or the load client's (the CPU per request row; where the slowest waited: bench/README.md, “Where the slowest first deltas wait”) and, on our chat route, the turn's statements (the one-delta reply row).`;
  }
  if (busy >= 90) return `${lostLevel}. Its core was full: what remains is the CPU per delta.`;
  if (peak !== undefined && peak >= FULL_CORE_PERCENT) {
    const at = lost.gatewayPeakAtMs!;
    const when =
      at <= lost.rampMs + BUSY_WINDOW_MS / 2
        ? 'while streams were still arriving, their way in and set-ups on top of the deltas of those already open'
        : 'with every stream open';
    return (
      `${lostLevel} on average, but ${peak} % in its busiest half second, ${show(round(at / 1000, 1))} s into the level (the last streams arrive at ${show(round(lost.rampMs / 1000, 1))} s), ${when}: ` +
      'the core was full then, and deltas queued. What remains is the CPU per request and per delta (their rows).'
    );
  }
  const clientCore = lost.clientCorePeakBusyPercent;
  const onPeak = `${lostLevel}${peak === undefined ? '' : ` (${peak} % in its busiest half second)`}. Its core was not full`;
  if (clientCore !== undefined && clientCore >= FULL_CORE_PERCENT) {
    const sharing = report.database?.pinned ? 'The load client, the fake upstream and PostgreSQL’s processes share that core' : 'The load client and the fake upstream share that core';
    return `${onPeak}, but core 0 was: ${clientCore} % in its busiest half second, ${show(round(lost.clientCorePeakAtMs! / 1000, 1))} s into the level. ${sharing}, so the gaps were the harness's as much as the gateway's (bench/README.md, “Native on PostgreSQL, held: core 0 full”).`;
  }
  return `${onPeak}: the long gaps are moments the event loop stood still, such as the collector’s pauses (bench/README.md, “Open streams held: pauses, and a full core at the arrivals' end”).`;
}

interface Report {
  startedAt: string;
  quick: boolean;
  targeted?: { subjects?: string[]; figures?: string[]; experiment: typeof EXPERIMENT };
  pinned: boolean;
  /** With PostgreSQL: whether its processes ran on the load client's core, or why not (pinDatabase); absent in older runs. */
  database?: { pinned: boolean; why?: string };
  /** The Node flags of this checkout's `npm run start:prod`, which our gateways ran with; absent in older runs. */
  ourNodeArgs?: string[];
  machine: Record<string, unknown>;
  loadAverage: { before: number[]; after: number[] };
  subjects: { key: string; label: string; kind: Kind }[];
  results: Record<string, Figures>;
}

function markdown(report: Report): string {
  const subjects = report.subjects;
  const figures = (key: string) => report.results[key] ?? {};
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' / ');
  const errors = subjects.flatMap((subject) => {
    const own = figures(subject.key);
    const counted = [own.atOne, own.atOneInBlocks, own.atOneNewSession, own.turn, own.cpuByLayer, own.cpuByLayerPaced, own[`burst${BURST}`], own[LONG_FIGURE], own.saturation, ...PACED_LEVELS.map((level) => own[`paced${level}`])].filter(Boolean) as Figures[];
    const count = counted.reduce((sum, figure) => sum + (figure.errors ?? 0), 0);
    const first = counted.find((figure) => figure.firstError)?.firstError;
    return count ? [`${subject.label}: ${count} failed streams outside the open-stream levels${first ? ` (the first: ${first})` : ''}`] : [];
  });
  const settings = Object.entries(report.targeted?.experiment ?? {})
    .map(([name, value]) => `; \`${name}=${value}\``)
    .join('');
  const rounds = report.targeted?.experiment.BENCH_ROUNDS;
  const pacedRounds = rounds ? `${rounds} at each paced level` : 'one at 1,000 paced streams and more';
  const inARow = Object.values(report.results).find((figures) => figures.atOneInBlocks)?.atOneInBlocks.rounds as number | undefined;
  const roundsNote = `${pacedRounds}${inARow && inARow !== 3 ? `; ${inARow} for c=1 in a row` : ''}`;
  const lines = [
    `# Benchmark results${report.quick ? ' (quick run)' : ''}: us beside Portkey, a minimal relay, the floors and direct`,
    '',
    `Run ${report.startedAt} on ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memoryGiB} GiB, Node ${report.machine.node}. Produced by \`npm run bench${report.quick ? ':quick' : ''}\`.`,
    `Load average (1 / 5 / 15 min): ${load(report.loadAverage.before)} before, ${load(report.loadAverage.after)} after.`,
    ...(report.targeted
      ? [
          `A targeted run (an experiment): subjects ${report.targeted.subjects?.join(', ') ?? 'all'}; figures ${report.targeted.figures?.join(', ') ?? 'all'}${settings}.`,
        ]
      : []),
    `Method: shared/BENCH-METHOD.md. ${report.pinned ? `Each gateway pinned to core 1 (\`taskset -c 1\`); the fake upstream and the load client on core 0${report.database?.pinned ? ', and PostgreSQL’s processes with them' : ''}.${report.database && !report.database.pinned ? ` PostgreSQL’s processes were not pinned: ${report.database.why}.` : ''}` : 'One core only: nothing pinned.'} Subjects interleaved round by round, direct first in each; ${report.quick ? 'one round' : `medians of 3 rounds (${roundsNote})`}. Added figures are the subject's minus direct's in the same round. Fake upstream: ${DELTAS} deltas, all at once (c=1) or every ${PACE_MS} ms (paced)${Object.values(report.results).some((figures) => figures[LONG_FIGURE]) ? `; ${LONG_DELTAS} every ${PACE_MS} ms in the long replies` : ''}.${report.ourNodeArgs?.length ? ` Our gateways ran with \`npm run start:prod\`'s Node flags: \`${report.ourNodeArgs.join(' ')}\`.` : ''}`,
    ...(errors.length ? ['', `**Failed streams: the figures they are part of are not valid.** ${errors.join('; ')}.`] : []),
    '',
    `| figure | ${subjects.map((subject) => subject.label).join(' | ')} |`,
    `|---|${subjects.map(() => '---').join('|')}|`,
  ];
  for (const row of ROWS) {
    const cells = subjects.map((subject) => {
      if (subject.kind !== 'direct') return shownBound(row.pick(figures(subject.key)), isLowerBound(row, figures(subject.key)));
      try {
        return row.direct ? `(${row.direct(figures(subject.key))})` : '—';
      } catch {
        return '—';
      }
    });
    lines.push(`| ${row.name} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    '## Ratios and targets (BENCH-METHOD)',
    '',
    'Its floor: for our native route (`@Sse()`), floor: Nest @Sse(); for `/v1` (its own writer), floor: Nest + Express, res.write. A stored turn (native, `/v1`) is beside the same floor storing its turn with the same statements on the same kind of database (PGlite in the floor’s own process, as in ours), where the run has that floor. A floor does only what any gateway that reads the deltas must do (bench/README.md).',
    '',
    '| figure | subject | value | Portkey | relay | its floor | ÷ Portkey | ÷ relay | ÷ its floor | target | met |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  const assessed = assess(report);
  for (const { row, subject, value, theirs, relayed, floor, bounds, met } of assessed) {
    const verdict = !hasTarget(row) ? '' : met === undefined ? 'unknown' : met ? '**met**' : 'not met';
    lines.push(
      `| ${row.name} | ${subject.label} | ${shownBound(value, bounds.value)} | ${shownBound(theirs, bounds.theirs)} | ${shownBound(relayed, bounds.relayed)} | ${shownBound(floor, bounds.floor)} | ${show(ratio(value, theirs))} | ${show(ratio(value, relayed))} | ${show(ratio(value, floor))} | ${targetText(row)} | ${verdict} |`,
    );
  }
  lines.push(...remainsSection(report, assessed));
  lines.push(
    ...layerTable(
      report,
      'cpuByLayer',
      'Where the CPU of a request goes (c=1, by layer)',
      `Each subject's CPU per request (ms) over ${PROFILED_REQUESTS} requests at c=1 (${DELTAS} deltas at once)`,
      { name: "figure 1's CPU per request", pick: (f) => f.atOne?.cpuMsPerRequest },
    ),
    ...layerTable(
      report,
      'cpuByLayerPaced',
      `Where the CPU of 1,000 deltas goes (${PROFILED_PACED_LEVEL} paced streams, by layer)`,
      `Each subject's CPU per 1,000 relayed deltas (ms) over one round of ${PROFILED_PACED_LEVEL} paced streams (${DELTAS} deltas every ${PACE_MS} ms, starts spread over one stream), after that level's figures`,
      { name: `the CPU per 1,000 deltas at ${PROFILED_PACED_LEVEL} paced streams`, pick: (f) => f[`paced${PROFILED_PACED_LEVEL}`]?.cpuMsPer1000Deltas },
    ),
  );
  lines.push(
    '',
    `## Open streams and memory per stream (held: every delta arrives, errors under 0.1 %, p99 gap between deltas at most ${HELD_MAX_GAP_P99_MS} ms, at least ${HELD_MIN_OPEN_SHARE * 100} % of the streams open together)`,
    '',
    `| subject | streams | pace (ms) | held | failed | p99 gap (ms; each trial’s in brackets) | worst gap (ms) | TTFT p99 (ms) | most open together | RSS per stream (KiB) | gateway CPU per 1,000 deltas (ms) | ÷ the fake upstream’s | gateway busy (% of its core) | busiest 0.5 s (% of its core; when, s into the level) | core 0’s busiest 0.5 s (load client, upstream${report.database?.pinned ? ', PostgreSQL' : ''}: %; when) |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const subject of subjects) {
    const own = figures(subject.key);
    for (const level of [...(own.held ?? []), ...(own.memory ? [own.memory] : [])]) {
      lines.push(
        `| ${subject.label} | ${level.streams} | ${level.paceMs} | ${heldCell(level)} | ${level.failed} | ${level.gapP99Ms}${level.trialGapP99Ms ? ` (${level.trialGapP99Ms.join(', ')})` : ''} | ${level.worstGapMs} | ${show(level.ttftP99Ms)} | ${show(level.openTogether)} | ${show(level.rssPerStreamKiB)} | ${show(level.cpuMsPer1000Deltas)} | ${show(level.cpuPerUpstreamCpu)} | ${show(level.gatewayBusyPercent)} | ${peakCell(level.gatewayPeakBusyPercent, level.gatewayPeakAtMs)} | ${peakCell(level.clientCorePeakBusyPercent, level.clientCorePeakAtMs)} |`,
      );
    }
  }
  lines.push(
    '',
    `RSS per stream rows (pace 1000 ms) are measured first in each process, after 200 warm-up requests (the full run starts a gateway of ours for each route after the first; the quick run measures its native route only), ${MEMORY_STREAMS} streams of ${MEMORY_DELTAS} deltas a second apart, as its peak RSS during the level minus its RSS before. Held levels use ${HELD_DELTAS} deltas every ${HELD_PACE_MS} ms, starts spread over half a stream, ${HELD_TRIALS === 1 ? 'one trial' : `${HELD_TRIALS} trials of each, subjects interleaved, judged on their median p99 gap (the CPU, memory and busy figures are medians too; failed counts every trial's)`}; direct's level is bounded by the load client's core, not a gateway, and a level direct does not hold counts for no subject: a subject that held the highest level that counts may hold more, so a target judged on its level or the relay's is unknown where that bound cannot decide it (the relay held it: ours at least 0.8 × may not be enough). Portkey sleeps 25 ms before the first event of every streamed reply (its \`src/handlers/streamHandler.ts\`), so its latency at c=1 is no bar; latency is judged against the relay.`,
    '',
  );
  return lines.join('\n');
}

/** A profiled load by layer (profileLayers), each of our routes beside its floor; `figure` names what the total compares with. */
function layerTable(report: Report, key: ProfiledLoad['key'], heading: string, what: string, figure: { name: string; pick: (figures: Figures) => number | undefined }): string[] {
  const profiled = report.subjects.filter((subject) => report.results[subject.key]?.[key]);
  if (profiled.length === 0) return [];
  const perUnit = (subject: string) => report.results[subject]![key].msPerUnit as Record<string, number>;
  const total = (subject: string) => profiledMs(report.results[subject]![key]);
  const lines = [
    '',
    `## ${heading}`,
    '',
    `${what}, warm, from a V8 CPU profile sampled every 250 µs, each sample charged to the innermost package or module of ours on its stack (\`bench/cpu-layers.ts\`: a socket write is charged to whoever wrote). The profile sees JavaScript and what it calls; Node's native I/O between calls (it marks the thread idle while it polls) and V8's helper threads are only in the process's CPU (\`/proc\`), given below the total. The profiler adds to what it measures: compare layers and subjects, and the totals with ${figure.name}, taken without it.`,
    '',
    `| layer | ${profiled.map((subject) => subject.label).join(' | ')} |`,
    `|---|${profiled.map(() => '---').join('|')}|`,
  ];
  for (const layer of LAYERS) {
    const cells = profiled.map((subject) => perUnit(subject.key)[layer]);
    if (cells.every((ms) => !ms || ms < 0.005)) continue;
    lines.push(`| ${layer} | ${cells.map((ms) => show(ms ?? 0)).join(' | ')} |`);
  }
  const processMs = (subject: string) => report.results[subject]![key].processMsPerUnit as number;
  lines.push(`| **total, profiled** | ${profiled.map((subject) => `**${show(total(subject.key))}**`).join(' | ')} |`);
  lines.push(
    `| outside the profile: Node's native I/O (socket reads, request heads parsed), V8's helper threads, kernel time of both (\`/proc\` minus the profiled total) | ${profiled.map((subject) => show(processMs(subject.key) - total(subject.key))).join(' | ')} |`,
  );
  lines.push(`| the process's CPU over the profiled load (\`/proc\`, profiler running) | ${profiled.map((subject) => show(processMs(subject.key))).join(' | ')} |`);
  lines.push(`| ${figure.name}, no profiler | ${profiled.map((subject) => show(figure.pick(report.results[subject.key]!))).join(' | ')} |`);
  return lines;
}

let fakeUpstream: ChildProcess | undefined;

/** Where PostgreSQL's processes ran during a run with it: on the load client's core, or why not. */
type DatabasePlacement = { pinned: true; restore: () => void } | { pinned: false; why: string };

/**
 * PostgreSQL is another machine in a deployment, as the upstream is: for the run its processes share the load
 * client's core, never the gateway's. Left to the scheduler, the backends serving a gateway ran on that gateway's
 * core three times in four (2026-12-04: 471 of 616 clock ticks of PostgreSQL's CPU over the first 4 minutes of a full
 * run), which took the core's time and its caches from the gateway under test. Backends started later fork from the
 * server's first process and take its affinity. Pinned only where the bench can reach the server's processes (this
 * machine, this process namespace, a user allowed to). `restore` gives every process of the server the cores the
 * server's first process had: at the end, on SIGINT or SIGTERM, or at exit.
 */
async function pinDatabase(): Promise<DatabasePlacement> {
  const host = new URL(PG_ADMIN_URL).hostname;
  if (!PINNED) return { pinned: false, why: 'one core: nothing is pinned' };
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return { pinned: false, why: 'it runs on another machine' };
  const isPostgres = (pid: number) => ['postgres', 'postmaster'].includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
  let server: number;
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await client.connect();
    // The backend's parent, read while the backend is still there; both checked, in case the server runs in a
    // container, whose process ids are not this machine's.
    const backend = ((await client.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;
    server = Number(procStat(backend)[1]);
    if (!isPostgres(backend) || !isPostgres(server)) throw new Error('not this machine\'s process');
  } catch {
    return { pinned: false, why: 'its processes are not reachable from here' };
  } finally {
    await client.end().catch(() => undefined);
  }
  const children = () => {
    try {
      return readFileSync(`/proc/${server}/task/${server}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const processes = () => [server, ...children()];
  const cores = /list: (\S+)/.exec(spawnSync('taskset', ['-cp', String(server)], { encoding: 'utf8' }).stdout)?.[1];
  // Every process, even after one fails: a backend that exits meanwhile is no failure.
  const pin = (list: string) =>
    processes()
      .map((pid) => spawnSync('taskset', ['-a', '-cp', list, String(pid)], { stdio: 'ignore' }).status === 0 || !existsSync(`/proc/${pid}`))
      .every(Boolean);
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.kill(process.pid, signal);
  };
  const restore = () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('exit', restore);
    if (cores) pin(cores);
  };
  if (!cores || !pin(CLIENT_CORE)) {
    restore();
    return { pinned: false, why: 'this user may not move its processes' };
  }
  // A run stopped by a signal or a crash skips main's `finally`: the server must not stay on one core.
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal).once('exit', restore);
  return { pinned: true, restore };
}

async function main() {
  const before = loadavg();
  mkdirSync('bench/results', { recursive: true });
  // The load client shares core 0 with the fake upstream, all its threads included.
  if (PINNED) pinThisProcess(CLIENT_CORE);
  const portkeyVersion = chosen('portkey') ? installPortkey() : undefined;
  fakeUpstream = start(FAKE_MAIN, fakeUpstreamEnv(FAKE_PORT), CLIENT_CORE);
  const servers: Server[] = [];
  // The quick run checks the embedded default only; the full run covers both. BENCH_DBS=postgres picks one.
  const dbs = (process.env.BENCH_DBS?.split(',') as Db[] | undefined) ?? (QUICK ? ['pglite'] : ['pglite', 'postgres']);
  let database: DatabasePlacement | undefined;
  try {
    if (dbs.includes('postgres')) database = await pinDatabase();
    await waitFor(`http://127.0.0.1:${FAKE_PORT}/v1/models`, fakeUpstream);
    const subjects: Subject[] = [{ key: 'direct', label: 'direct', kind: 'direct' }];
    for (const db of dbs) {
      const name = db === 'postgres' ? 'PostgreSQL' : 'PGlite';
      const routes = [
        { key: `native-${db}`, label: `us native SSE, ${name}`, kind: 'native' as const },
        { key: `v1-${db}`, label: `us \`/v1\`, ${name}`, kind: 'v1' as const },
        { key: `v1-unstored-${db}`, label: `us \`/v1\` store:false, ${name}`, kind: 'v1-unstored' as const },
      ].filter((route) => chosen(route.key));
      if (routes.length === 0) continue;
      const server = await startOurs(db);
      servers.push(server);
      const launch = () => startOurs(db);
      subjects.push(...routes.map((route) => ({ ...route, server, launch })));
      if (COMPARED) {
        const compared = await startOurs(db, COMPARED.root);
        servers.push(compared);
        subjects.push(...routes.map((route) => ({ ...route, key: `compared-${route.key}`, label: `${route.label}, build ${COMPARED.name}`, server: compared, launch: () => startOurs(db, COMPARED.root) })));
      }
    }
    if (portkeyVersion) {
      const portkey = await startPortkey();
      servers.push(portkey);
      subjects.push({ key: 'portkey', label: `Portkey ${portkeyVersion}`, kind: 'portkey', server: portkey });
    }
    if (chosen('relay')) {
      const relay = await startScript('bench/relay.mjs');
      servers.push(relay);
      subjects.push({ key: 'relay', label: 'relay', kind: 'relay', server: relay });
    }
    for (const floor of FLOORS) {
      const placed = floor.stored ? dbs.map((db) => ({ ...storedFloor(floor, db), db })) : [{ key: floor.kind, label: floor.label, db: undefined }];
      for (const { key, label, db } of placed) {
        if (!chosen(key) || (floor.experiment && !ONLY_SUBJECTS)) continue;
        const server = await startScript(floor.script, floor.env, true, db);
        servers.push(server);
        subjects.push({ key, label, kind: floor.kind, server });
      }
    }
    const results = new Map<string, Figures>(subjects.map((subject) => [subject.key, {}]));
    if (runs('memory')) await memoryPerStream(subjects, results);
    await warmUp(subjects);
    if (runs('atOne')) {
      log('c=1: added latency and CPU per request');
      // Beside each native subject, turns that each start a new session, title included: shown as its `atOneNewSession`.
      const newSessionTurns = subjects.filter((subject) => subject.kind === 'native').map((subject) => ({ ...subject, key: `${subject.key}-new-session`, kind: 'native-new-session' as const }));
      for (const subject of newSessionTurns) results.set(subject.key, {});
      await latencyAtOne([...subjects, ...newSessionTurns], results, DELTAS, 'atOne');
      for (const subject of newSessionTurns) {
        results.get(subject.key.replace(/-new-session$/, ''))!.atOneNewSession = results.get(subject.key)!.atOne;
        results.delete(subject.key);
      }
    }
    if (runs('atOneInBlocks')) {
      log('c=1: CPU per request, each subject\'s requests of a round in a row');
      await latencyAtOne(subjects, results, DELTAS, 'atOneInBlocks');
    }
    if (runs('profile')) await profileLayers(subjects, results, AT_ONE_PROFILED);
    if (runs('turn')) {
      log('c=1: a one-delta reply');
      await latencyAtOne(subjects, results, 1, 'turn');
    }
    for (const level of PACED_LEVELS) {
      log(`${level} paced streams`);
      await pacedStreams(subjects, level, results);
      // Right after the same level with short replies: the split is the difference of the two, and this machine's
      // speed drifts between minutes.
      if (level === PROFILED_PACED_LEVEL && !QUICK && runs(LONG_FIGURE)) {
        log(`${level} paced streams of ${LONG_DELTAS} deltas`);
        await pacedStreams(subjects, level, results, 'long');
      }
      if (level === PROFILED_PACED_LEVEL && runs('profile')) await profileLayers(subjects, results, PACED_PROFILED);
    }
    if (!QUICK && runs('burst')) {
      log(`a burst of ${BURST}`);
      await pacedStreams(subjects, BURST, results, 'burst');
    }
    if (runs('saturation')) {
      log('saturation');
      await saturation(subjects, results);
    }
    if (runs('held')) await heldStreams(subjects, results);
    const machine = { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version };
    const report: Report = {
      startedAt,
      quick: QUICK,
      ...(TARGETED && { targeted: { subjects: ONLY_SUBJECTS, figures: ONLY_FIGURES, experiment: EXPERIMENT } }),
      pinned: PINNED,
      ...(database && { database: database.pinned ? { pinned: true } : { pinned: false, why: database.why } }),
      ourNodeArgs: ourNodeArgs(),
      machine,
      loadAverage: { before, after: loadavg() },
      subjects: subjects.map(({ key, label, kind }) => ({ key, label, kind })),
      results: Object.fromEntries(results),
    };
    writeFileSync(`bench/results/${RUN_ID}.json`, JSON.stringify(report, null, 2));
    const md = markdown(report);
    writeFileSync(`bench/results/latest${VARIANT}.md`, md);
    console.log(md);
  } finally {
    if (database?.pinned) database.restore();
    for (const server of servers) await server.close();
    await stop(fakeUpstream);
    await agent.close();
  }
}

/**
 * `--render <run>.json` writes a run's report again from its JSON (after a change to the report, without running the
 * bench); with the same `--quick`, `BENCH_FIGURES` and `BENCH_DELTAS` as the run, whose rows and labels it shows.
 */
const rendered = process.argv.indexOf('--render');
if (rendered === -1) await main();
else console.log(markdown(JSON.parse(readFileSync(process.argv[rendered + 1]!, 'utf8')) as Report));
