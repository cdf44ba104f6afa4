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
 * `BENCH_PG_ADMIN_URL`) is not pinned, unlike in the bench, which puts it on core 0: here it may share either core.
 * Ports 4812-4819.
 */
import { FAKE_MAIN, fakeUpstreamEnv, pinThisProcess, startNode, startOurGateway, stop } from '../gateway.js';
import { cpuCounter } from '../process-cpu.js';
import { relayedDeltas, runStreams, v1Target } from '../sse-load.js';

const { STORE = 'false', DATABASES = 'pglite,postgres,pglite', ROUNDS = '3', STREAMS = '800', OPEN = '200' } = process.env;
const fakePort = 4812;
/** Checked before anything starts. */
const databases = DATABASES.split(',').map((database) => {
  if (database !== 'pglite' && database !== 'postgres') throw new Error(`DATABASES: ${database} is neither pglite nor postgres`);
  return database;
});

const target = (base: string, token: string, delayMs: number) => v1Target(base, token, `openai/fake:deltas=64${delayMs ? `,delay=${delayMs}` : ''}`, STORE === 'true');

async function measure(database: 'pglite' | 'postgres', port: number): Promise<void> {
  const gateway = await startOurGateway({ port, fakePort, database, name: 'bench_threads', core: '1' });
  try {
    // Warm: every route of a turn compiled before the first round.
    await runStreams(target(gateway.base, gateway.token, 0), 400, 4);
    for (let round = 1; round <= Number(ROUNDS); round++) {
      const cpu = cpuCounter(gateway.child.pid!);
      const deltas = relayedDeltas(await runStreams(target(gateway.base, gateway.token, 20), Number(STREAMS), Number(OPEN), 1280));
      const { totalMs, mainThreadMs = totalMs } = cpu();
      const per1000 = (ms: number) => ((ms / deltas) * 1000).toFixed(1);
      console.log(`${database}, round ${round}: ${deltas} deltas; ms per 1,000 deltas: ${per1000(totalMs)}, main thread ${per1000(mainThreadMs)}, helper threads ${per1000(totalMs - mainThreadMs)}`);
    }
  } finally {
    await gateway.close();
  }
}

pinThisProcess('0');
const fake = startNode(FAKE_MAIN, fakeUpstreamEnv(fakePort), '0');
try {
  let port = fakePort + 1;
  for (const database of databases) await measure(database, port++);
} finally {
  await stop(fake);
}
process.exit(0);
