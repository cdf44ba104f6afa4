/**
 * Bursts of streams after the gateway has been idle: two gateways of ours on PostgreSQL, one run as `npm run
 * start:prod` runs it (its flags: `--no-memory-reducer`), one without those flags, or with `OTHER_FLAGS` instead
 * (e.g. `OTHER_FLAGS="--no-memory-reducer --min-semi-space-size=16"`). Each cycle, for each level of `STREAMS` in
 * turn (a comma-separated list, as the held levels grow), both idle `IDLE_S` seconds; then each serves a burst as a
 * held level does (that many `/v1` store:false streams of 50 deltas every 100 ms, their starts spread over 2.5 s),
 * one after the other with 20 s between; which goes first alternates from level to level and, for each level, from
 * cycle to cycle (use an even `CYCLES`). Each burst is judged as a held level is (its p99 gap between deltas at most
 * 200 ms, 90 % of its streams open together, under 0.1 % failed: an error or a delta missing), with its TTFT p99
 * and where the slowest first deltas waited beside, the busiest half second of each core and this client's
 * event-loop delay; each gateway's RSS is read from `/proc` at the end of every idle. A single burst is one draw (a
 * stall of 150 ms in it decides its p99), so `CYCLES` of them. Each gateway is warmed by `WARM_UP` requests first, 4
 * at a time (the bench's warm-up is 5,000, 8 at a time). Run from the repository's root, after `npm run build`:
 *
 *   npx tsx bench/experiments/idle-burst.ts
 *
 * The gateways run on core 1, the fake upstream and this client on core 0, as in the bench; PostgreSQL is not pinned
 * (a store:false turn sends it nothing but its usage record, batched). Ports 4832-4834.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAKE_MAIN, fakeUpstreamEnv, ourNodeArgs, pinThisProcess, startNode, startOurGateway, stop, waitFor } from '../gateway.js';
import { busiest, type CpuSample, sampleCpu } from '../busiest-window.js';
import { HELD_MAX_GAP_P99_MS, HELD_MIN_OPEN_SHARE, HELD_PACE_MS, HELD_REPLY_DELTAS, heldRuns, isHeld } from '../held-level.js';
import { coreBusyMs, rssOf } from '../process-cpu.js';
import { percentile, runStreams, type StreamTiming, ttft, v1Target } from '../sse-load.js';

const { STREAMS = '1500', IDLE_S = '60', CYCLES = '5', WARM_UP = '400', OTHER_FLAGS = '' } = process.env;
/** A setting's whole number, checked before anything starts. */
function count(name: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`${name}: ${value} is not a whole number above 0`);
  return Number(value);
}
const LEVELS = STREAMS.split(',').map((level) => count('STREAMS', level));
const WARM_UP_REQUESTS = count('WARM_UP', WARM_UP);
const IDLE_MS = count('IDLE_S', IDLE_S) * 1000;
const CYCLE_COUNT = count('CYCLES', CYCLES);
/** The second gateway's Node flags, in place of start:prod's (default: none). */
const otherFlags = OTHER_FLAGS.split(/\s+/).filter(Boolean);
const fakePort = 4832;
/** As in the bench: the gateways on one core, this client and the fake upstream on the other. */
const [GATEWAY_CORE, CLIENT_CORE] = ['1', '0'];
/** Between the two gateways' bursts of a cycle: past the first's memory reducer (8 s after its allocation falls). */
const BETWEEN_MS = 20_000;

/** One burst like a full run's held level, judged by its rule: its p99 gap, its streams open together, its failures. */
async function burst(base: string, token: string, streams: number): Promise<string> {
  const [gatewayCore, clientCore] = [sampleCpu(() => coreBusyMs(GATEWAY_CORE)), sampleCpu(() => coreBusyMs(CLIENT_CORE))];
  const peak = (samples: CpuSample[]) => `${busiest(samples)?.busyPercent ?? '?'} %`;
  // This client's own event loop: how late it could have been to send a request or to read its headers.
  const clientDelay = monitorEventLoopDelay({ resolution: 10 });
  clientDelay.enable();
  let runs: StreamTiming[];
  let cores: string;
  try {
    // Starts spread over half a reply, as a held level's.
    runs = await runStreams(v1Target(base, token, `openai/fake:deltas=${HELD_REPLY_DELTAS},delay=${HELD_PACE_MS}`, false), streams, streams, (HELD_REPLY_DELTAS * HELD_PACE_MS) / 2);
  } finally {
    clientDelay.disable();
    cores = `core ${GATEWAY_CORE} ${peak(gatewayCore.stop())}, core ${CLIENT_CORE} ${peak(clientCore.stop())}`;
  }
  const judged = heldRuns(runs, HELD_REPLY_DELTAS);
  const open = `${judged.openTogether} open together (≥ ${Math.ceil(HELD_MIN_OPEN_SHARE * streams)})`;
  const client = `this client's event-loop delay p99 ${(clientDelay.percentile(99) / 1e6).toFixed(0)} ms, at most ${(clientDelay.max / 1e6).toFixed(0)}`;
  return `${isHeld(judged) ? 'held' : 'not held'}: p99 gap ${judged.gapP99Ms.toFixed(0)} ms (≤ ${HELD_MAX_GAP_P99_MS}), ${open}, ${firstDeltaWait(runs)}, ${judged.failed} failed; busiest 0.5 s: ${cores}; ${client}`;
}

/**
 * A stream that waits long for its first delta is why fewer are open together. Where the slowest streams (those at
 * or over the TTFT p99) waited, on average: until this client had the response's headers (the request's way in, the
 * gateway's own set-up, which it sends as Server-Timing, and the headers' way back; either process's event loop,
 * when busy, delays the ways in and back), then from the headers to the first delta (the upstream's answer and its
 * way out).
 */
function firstDeltaWait(runs: readonly StreamTiming[]): string {
  // A stream that ended without an error had its headers; the guard tells the compiler so.
  const answered = runs.filter((run): run is Answered => !run.error && run.headersAt !== undefined);
  if (answered.length === 0) return 'no stream answered';
  const ttftP99 = percentile(answered.map(ttft), 99);
  const slowest = answered.filter((run) => ttft(run) >= ttftP99);
  const toHeaders = (run: Answered) => run.headersAt - run.startedAt;
  // Only where the gateway sent its Server-Timing: a missing one is not a set-up of 0 ms.
  const setup = mean(slowest.flatMap((run) => run.setupMs ?? []));
  const split = `TTFT ${mean(slowest.map(ttft))} ms: ${mean(slowest.map(toHeaders))} to headers (set-up ${setup}), then ${mean(slowest.map((run) => ttft(run) - toHeaders(run)))} to the first delta`;
  return `TTFT p99 ${ttftP99.toFixed(0)} ms (the ${slowest.length} slowest, on average: ${split})`;
}

/** A stream whose response's headers arrived. */
type Answered = StreamTiming & { headersAt: number };

/** The mean of `values`, whole, or '?' for none. */
const mean = (values: readonly number[]): string => (values.length ? (values.reduce((sum, value) => sum + value, 0) / values.length).toFixed(0) : '?');

const rssMiB = (pid: number) => Math.round(rssOf(pid) / 1048576);

interface Gateway {
  label: string;
  base: string;
  token: string;
  pid: number;
  close: () => Promise<void>;
}

async function startGateway(label: string, nodeArgs: string[], port: number): Promise<Gateway> {
  const gateway = await startOurGateway({ port, fakePort, database: 'postgres', name: 'bench_idle', nodeArgs, core: GATEWAY_CORE });
  try {
    // Warm, as the bench's gateways are: every route of a turn compiled, connections open.
    const failed = (await runStreams(v1Target(gateway.base, gateway.token, 'openai/fake:deltas=64', false), WARM_UP_REQUESTS, 4)).find((run) => run.error);
    if (failed) throw new Error(`${label}: a warm-up stream failed: ${failed.error}`);
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return { label, base: gateway.base, token: gateway.token, pid: gateway.child.pid!, close: gateway.close };
}

pinThisProcess(CLIENT_CORE);
const fake = startNode(FAKE_MAIN, fakeUpstreamEnv(fakePort), CLIENT_CORE);
const gateways: Gateway[] = [];
try {
  await waitFor(`http://127.0.0.1:${fakePort}/v1/models`, fake);
  gateways.push(await startGateway(`start:prod's flags (${ourNodeArgs().join(' ')})`, ourNodeArgs(), fakePort + 1));
  gateways.push(await startGateway(otherFlags.length ? `other flags (${otherFlags.join(' ')})` : 'no flags', otherFlags, fakePort + 2));
  for (let cycle = 1; cycle <= CYCLE_COUNT; cycle++) {
    for (const [index, streams] of LEVELS.entries()) {
      await sleep(IDLE_MS);
      const rss = gateways.map((gateway) => `${gateway.label} ${rssMiB(gateway.pid)} MiB`).join(', ');
      // Swapped at each level and, for each level, at each cycle: every level has each gateway first in half its
      // cycles (with one counter across levels, an even number of levels gave each level the same order each cycle).
      const [first, second] = (cycle + index) % 2 ? gateways : [...gateways].reverse();
      const at = `cycle ${cycle}, ${streams} streams`;
      console.log(`${at}, ${first!.label}: ${await burst(first!.base, first!.token, streams)}`);
      // Both gateways share core 1: the first's own collections after its burst (its memory reducer's some 8 s
      // later, where it runs) must not fall in the second's burst.
      await sleep(BETWEEN_MS);
      console.log(`${at}, ${second!.label}: ${await burst(second!.base, second!.token, streams)}`);
      console.log(`${at}: RSS after the idle: ${rss}`);
    }
  }
} finally {
  // Close every gateway even if another's close fails; say what failed.
  for (const closed of await Promise.allSettled(gateways.map((gateway) => gateway.close()))) {
    if (closed.status === 'rejected') console.error(`a gateway did not close cleanly: ${closed.reason}`);
  }
  await stop(fake);
}
process.exit(0);
