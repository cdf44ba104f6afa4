/**
 * Our gateway's CPU per 1,000 relayed deltas by thread (the main thread, V8's helpers, libuv's pool, workers), read
 * from `/proc`, under paced `/v1` streams, on PGlite and on PostgreSQL in turn: each database on a fresh gateway,
 * without the figures a full bench run serves first. Run from the repository's root, after `npm run build`:
 *
 *   npx tsx bench/experiments/thread-cpu.ts
 *
 * `STORE=true` stores the turns (default: `store: false`); `DATABASES` (default `pglite,postgres,pglite`), `ROUNDS`
 * (3), `STREAMS` (800 a round, `OPEN` 200 at a time, starting over 1.28 s), 64 deltas every 20 ms each. The gateway
 * runs on core 1, the fake upstream and this client on core 0, as in the bench; PostgreSQL at `BENCH_PG_ADMIN_URL`.
 * Ports 4812-4819.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createThrowAwayDatabase, FAKE_MAIN, fakeUpstreamEnv, gatewayEnv, OUR_MAIN, signUp } from '../gateway.js';
import { relayedDeltas, runStreams, type Target } from '../sse-load.js';

const { STORE = 'false', DATABASES = 'pglite,postgres,pglite', ROUNDS = '3', STREAMS = '800', OPEN = '200' } = process.env;
const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLOCK_TICK_MS = 10;
const fakePort = 4812;

spawnSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
const fake = spawn('taskset', ['-c', '0', process.execPath, FAKE_MAIN], { env: { PATH: process.env.PATH, ...fakeUpstreamEnv(fakePort) }, stdio: 'ignore' });

/** CPU time (ms) of each of a process's threads so far, by name: `main`, and the rest by their name without its number. */
function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // After the name, which may hold spaces: utime and stime are the 12th and 13th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/\d+$/, '');
    byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS);
  }
  return byName;
}

function target(base: string, token: string, delayMs: number): Target {
  return {
    url: `${base}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: () => ({ model: `openai/fake:deltas=64${delayMs ? `,delay=${delayMs}` : ''}`, stream: true, store: STORE === 'true', stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'bench' }] }),
    isDelta: (_event, data) => data !== '[DONE]' && Boolean((JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content),
    isEnd: (_event, data) => data === '[DONE]',
  };
}

async function measure(database: string, port: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'thread-cpu-'));
  const postgres = database === 'postgres' ? await createThrowAwayDatabase(PG_ADMIN_URL, `bench_threads_${Date.now()}`) : undefined;
  const databaseEnv = postgres ? { DATABASE_URL: postgres.url, DATABASE_POOL_SIZE: '20' } : { PGLITE_DATA_DIR: join(dir, 'pglite') };
  // Node itself, not taskset, so that the pid is the gateway's; pinned once it runs.
  const gateway = spawn(process.execPath, [OUR_MAIN], { env: { PATH: process.env.PATH, ...gatewayEnv(port, dir), ...databaseEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    spawnSync('taskset', ['-a', '-cp', '1', String(gateway.pid)], { stdio: 'ignore' });
    const base = `http://127.0.0.1:${port}`;
    while (!(await fetch(`${base}/api/health`).then((response) => response.ok, () => false))) await sleep(200);
    // Threads started later (the token counter's worker) are pinned by inheritance from the main thread.
    const token = await signUp(`${base}/api`, fakePort);
    // Warm: every route of a turn compiled before the first round.
    await runStreams(target(base, token, 0), 400, 4);
    for (let round = 1; round <= Number(ROUNDS); round++) {
      const before = threadCpu(gateway.pid!);
      const deltas = relayedDeltas(await runStreams(target(base, token, 20), Number(STREAMS), Number(OPEN), 1280));
      const perThread = [...threadCpu(gateway.pid!)]
        .map(([name, ms]) => [name, ((ms - (before.get(name) ?? 0)) / deltas) * 1000] as const)
        .filter(([, ms]) => ms > 0)
        .map(([name, ms]) => `${name} ${ms.toFixed(1)}`);
      console.log(`${database}, round ${round}: ${deltas} deltas; ms per 1,000 deltas: ${perThread.join(', ')}`);
    }
  } finally {
    gateway.kill('SIGTERM');
    await new Promise((done) => gateway.once('exit', done));
    await postgres?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  let port = fakePort + 1;
  for (const database of DATABASES.split(',')) await measure(database, port++);
} finally {
  fake.kill('SIGKILL');
}
process.exit(0);
