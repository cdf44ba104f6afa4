/**
 * Our gateway's CPU per 1,000 relayed deltas, its main thread's and its helper threads' (V8 compiling and
 * collecting, libuv's pool, workers), read from `/proc`, under paced `/v1` streams, on PGlite and on PostgreSQL in
 * turn: each database on a fresh gateway, without the figures a full bench run serves first. Run from the
 * repository's root, after `npm run build`:
 *
 *   npx tsx bench/experiments/thread-cpu.ts
 *
 * `STORE=true` stores the turns (default: `store: false`); `DATABASES` (default `pglite,postgres,pglite`), `ROUNDS`
 * (3), `STREAMS` (800 a round, `OPEN` 200 at a time, starting over 1.28 s), 64 deltas every 20 ms each. The gateway
 * runs on core 1, the fake upstream and this client on core 0, as in the bench; PostgreSQL (at
 * `BENCH_PG_ADMIN_URL`) is not pinned, as the bench pins it, and may share either core. Ports 4812-4819.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createThrowAwayDatabase, FAKE_MAIN, fakeUpstreamEnv, gatewayEnv, OUR_MAIN, ourNodeArgs, pinThisProcess, signUp, startNode, stop, waitFor } from '../gateway.js';
import { cpuCounter } from '../process-cpu.js';
import { relayedDeltas, runStreams, v1Target } from '../sse-load.js';

const { STORE = 'false', DATABASES = 'pglite,postgres,pglite', ROUNDS = '3', STREAMS = '800', OPEN = '200' } = process.env;
const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const fakePort = 4812;

const target = (base: string, token: string, delayMs: number) => v1Target(base, token, `openai/fake:deltas=64${delayMs ? `,delay=${delayMs}` : ''}`, STORE === 'true');

async function measure(database: string, port: number): Promise<void> {
  const postgres = database === 'postgres' ? await createThrowAwayDatabase(PG_ADMIN_URL, `bench_threads_${Date.now()}`) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'thread-cpu-'));
  const gateway = startNode(OUR_MAIN, gatewayEnv(port, dir, postgres?.url), '1', [], ourNodeArgs());
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/api/health`, gateway);
    const token = await signUp(`${base}/api`, fakePort);
    // Warm: every route of a turn compiled before the first round.
    await runStreams(target(base, token, 0), 400, 4);
    for (let round = 1; round <= Number(ROUNDS); round++) {
      const cpu = cpuCounter(gateway.pid!);
      const deltas = relayedDeltas(await runStreams(target(base, token, 20), Number(STREAMS), Number(OPEN), 1280));
      const { totalMs, mainThreadMs = totalMs } = cpu();
      const per1000 = (ms: number) => ((ms / deltas) * 1000).toFixed(1);
      console.log(`${database}, round ${round}: ${deltas} deltas; ms per 1,000 deltas: ${per1000(totalMs)}, main thread ${per1000(mainThreadMs)}, helper threads ${per1000(totalMs - mainThreadMs)}`);
    }
  } finally {
    await stop(gateway);
    await postgres?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

pinThisProcess('0');
const fake = startNode(FAKE_MAIN, fakeUpstreamEnv(fakePort), '0');
try {
  let port = fakePort + 1;
  for (const database of DATABASES.split(',')) await measure(database, port++);
} finally {
  await stop(fake);
}
process.exit(0);
