/**
 * A relayed delta's cost counted, not timed: one gateway run under valgrind's callgrind, its instructions and its
 * simulated cache misses (first level and last level, data and instructions) counted over a window of open streams
 * only, then divided by the deltas relayed in that window. Counts do not move with the machine's load as times do
 * (bench/README.md, "Where the last microseconds of a delta go": timed, our store:false route and its floor moved by
 * half from round to round). What valgrind cannot count: the kernel's share (system calls run natively), and V8's
 * helper threads run one at a time with the main thread, as on a gateway pinned to one core. Run from the
 * repository's root, after `npm run build`:
 *
 *   SUBJECT=ours npx tsx bench/experiments/callgrind-delta.ts      (our `/v1`, `store: false`, on PostgreSQL)
 *   SUBJECT=floor npx tsx bench/experiments/callgrind-delta.ts     (bench/floor/nest.mjs, `res.write`)
 *
 *   npx tsx bench/experiments/callgrind-delta.ts --report <callgrind's file> <deltas>      (a kept run's table again)
 *   TRACE_GC=1 DELAY_MS=20 WINDOW_S=60 SUBJECT=ours npx tsx bench/experiments/callgrind-delta.ts
 *
 * `TRACE_GC=1` runs the same window at full speed without callgrind, the gateway with `--trace-gc`, and prints the
 * collections of its main thread in the window instead: what a steady window costs the collector at the bench's pace,
 * where callgrind's slow one also counts the collections V8 starts on a timer.
 *
 * `STREAMS` (200) streams are opened, each one delta every `DELAY_MS` (2000: slow enough that the gateway, some 100
 * times slower under callgrind, keeps up, so each delta is read and written alone as at full speed), then counted for
 * `WINDOW_S` (300) seconds after two more `DELAY_MS` to settle: tens of thousands of deltas, as a window of a few
 * hundred is dominated by whichever mark-compact falls in it. Before them, `WARM` (300) short turns, so that the path
 * is compiled. callgrind's file stays in `OUT_DIR` when one is given (else a temporary folder, removed). The gateway
 * runs on Node 24's `node` when it is first on PATH, as in the bench. PostgreSQL at `BENCH_PG_ADMIN_URL`. Ports
 * `PORT` (4821) and the next, for the fake upstream: two runs at once need two. What a table shows, and a run's
 * figures: bench/README.md, "A delta counted, not timed".
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { FAKE_MAIN, fakeUpstreamEnv, floorEnv, pinThisProcess, startNode, startOurGateway, type StopSignal, stop, undo, undoneIfFailed, waitFor } from '../gateway.js';
import { cpuCounter } from '../process-cpu.js';

const { SUBJECT = 'ours', STREAMS = '200', DELAY_MS = '2000', WINDOW_S = '300', WARM = '300', LL = '33554432,16,64', PORT = '4821', TRACE_GC } = process.env;
const [port, fakePort] = [Number(PORT), Number(PORT) + 1];
const ours = SUBJECT === 'ours';

// callgrind_control finds the gateway by files named with a prefix (below), `USER` (or `LOGNAME`) and `HOST`, each
// side reading its own environment; ours sets `HOST` to the address it listens on. Both sides are given the same.
const VGDB_NAMING = { HOST: '127.0.0.1', USER: 'callgrind', LOGNAME: 'callgrind' };
const callgrindArgs = (outDir: string) => [
  '--tool=callgrind',
  // Nothing counted until the window: the start and the warm-up would run some 100 times slower counted.
  '--instr-atstart=no',
  '--cache-sim=yes',
  // This VM hides its caches (callgrind read a 512 MiB last level): a core of AMD's Zen, its L3 the last level
  // unless `LL` says otherwise (size, ways, line: `1048576,8,64` for its L2, or for an L3 that other tenants share).
  '--I1=32768,8,64',
  '--D1=32768,8,64',
  `--LL=${LL}`,
  // V8 writes code into memory it then runs.
  '--smc-check=all-non-file',
  '--compress-strings=no',
  '--compress-pos=no',
  `--callgrind-out-file=${outDir}/callgrind.out`,
  `--vgdb-prefix=${outDir}/vgdb`,
];

/** How a window is counted: under callgrind, or at full speed with `--trace-gc` (`TRACE_GC`). */
interface Counter {
  /**
   * The fake upstream's core, where the counter decides it: at full speed the layout is the bench's (it on core 0
   * beside this client); under callgrind the gateway, 100 times slower, is the only busy process.
   */
  readonly fakeCore?: string;
  /** Starts the gateway, `main` run with `env` and Node's `nodeArgs`; the counter keeps it. */
  start(main: string, env: Record<string, string>, nodeArgs: string[]): ChildProcess;
  /**
   * Counting starts. Called just before the client's count of deltas and the gateway's CPU counter start, with no
   * wait between, so that all three share the window's first edge.
   */
  open(): void;
  /**
   * The summary line's end, given the window's CPU a delta: at full speed that figure; under callgrind it means
   * nothing (every instruction runs some 100 times slower), so the line says where it ran instead.
   */
  summary(cpuPerDelta: string): string;
  /** Counting has ended, with `counted` deltas relayed in the window: prints the window's table. */
  close(counted: number): Promise<void>;
}

/** A subject started under a counter: its process, the authorization its requests carry, and its close. */
interface Subject {
  child: ChildProcess;
  authorization: string;
  close: (signal?: StopSignal) => Promise<void>;
}

/**
 * The subject, started by `counter` and serving: our gateway as the bench starts it (`startOurGateway`: a throw-away
 * database, a folder of its own, the load user), or the floor. Its close stops it and undoes what its start made.
 */
function startSubject(counter: Counter): Promise<Subject> {
  const launch: Counter['start'] = (...args) => counter.start(...args);
  if (ours) {
    return startOurGateway({ port, fakePort, database: 'postgres', name: 'bench_callgrind', launch }).then((gateway) => ({
      child: gateway.child,
      authorization: `Bearer ${gateway.token}`,
      close: gateway.close,
    }));
  }
  return undoneIfFailed(async (made) => {
    const child = launch('bench/floor/nest.mjs', { ...floorEnv(port, fakePort), FLOOR_WRITER: 'write' }, []);
    made.child = child;
    await waitFor(`http://127.0.0.1:${port}/v1/models`, child);
    return { child, authorization: 'Bearer bench-key', close: (signal) => undo(made, signal) };
  });
}

/** Runs the gateway with `TRACE_GC`'s counter or callgrind's, counts the window and prints its table. */
async function measure(outDir: string): Promise<void> {
  // callgrind's files: made before CallgrindCounter clears it of an earlier run's dumps.
  mkdirSync(outDir, { recursive: true });
  let fake: ChildProcess | undefined;
  let subject: Subject | undefined;
  // Inside try from here: a counter that cannot start (no valgrind) still leaves no temporary folder behind.
  try {
    const counter: Counter = TRACE_GC ? new TraceGcCounter() : new CallgrindCounter(outDir);
    fake = startNode(FAKE_MAIN, fakeUpstreamEnv(fakePort), counter.fakeCore);
    await waitFor(`http://127.0.0.1:${fakePort}/v1/models`, fake);
    subject = await startSubject(counter);
    const gateway = subject.child;
    const headers = { 'content-type': 'application/json', authorization: subject.authorization };
    const agent = new Agent({ connections: Number(STREAMS) + 10, headersTimeout: 0, bodyTimeout: 0 });
    const open = (model: string) =>
      request(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        headers,
        body: JSON.stringify({ model: `${ours ? 'openai/' : ''}${model}`, stream: true, store: false, messages: [{ role: 'user', content: 'bench' }] }),
      });

    for (let done = 0; done < Number(WARM); done += 10) await Promise.all(Array.from({ length: 10 }, async () => (await open('fake:deltas=64')).body.text()));
    let deltas = 0;
    const streams = await Promise.all(Array.from({ length: Number(STREAMS) }, () => open(`fake:deltas=1000000,delay=${DELAY_MS}`)));
    for (const { statusCode, body } of streams) {
      if (statusCode !== 200) throw new Error(`a stream was refused: ${statusCode}`);
      // One event a delta, each written alone at this pace.
      body.on('data', (chunk: Buffer) => (deltas += chunk.toString().split('data: ').length - 1));
    }
    await sleep(Number(DELAY_MS) * 2);
    counter.open();
    const [start, cpu] = [deltas, cpuCounter(gateway.pid!)];
    await sleep(Number(WINDOW_S) * 1000);
    // Under 100 %, the gateway kept up with the deltas.
    const [counted, { totalMs }] = [deltas - start, cpu()];
    const busy = `the gateway's core ${((totalMs / Number(WINDOW_S) / 1000) * 100).toFixed(0)} % busy`;
    console.log(`${SUBJECT}: ${STREAMS} streams, ${counted} deltas in ${WINDOW_S} s, ${busy}${counter.summary(`${((totalMs * 1000) / counted).toFixed(1)} µs of CPU a delta`)}`);
    await counter.close(counted);
  } finally {
    try {
      // Its streams never end: killed, not drained (a graceful stop would wait for them, under callgrind for long).
      await subject?.close('SIGKILL');
    } finally {
      if (fake) await stop(fake);
      if (!process.env.OUT_DIR) rmSync(outDir, { recursive: true, force: true });
    }
  }
}

/** The gateway under callgrind, nothing counted until the window opens; its dump in `outDir`, read into a table. */
class CallgrindCounter implements Counter {
  private pid?: number;

  constructor(private readonly outDir: string) {
    // Fails here, clearly, where valgrind is not installed.
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    // An earlier run's dump in the same folder would be read as this one's.
    for (const file of readdirSync(outDir)) if (file.startsWith('callgrind.out')) rmSync(join(outDir, file));
  }

  start(main: string, env: Record<string, string>, nodeArgs: string[]): ChildProcess {
    const gateway = spawn('valgrind', [...callgrindArgs(this.outDir), process.execPath, ...nodeArgs, main], { env: { PATH: process.env.PATH, ...env, ...VGDB_NAMING }, stdio: ['ignore', 'ignore', 'inherit'] });
    this.pid = gateway.pid;
    return gateway;
  }

  open(): void {
    this.control('-i', 'on');
  }

  summary(): string {
    return ' under callgrind';
  }

  async close(counted: number): Promise<void> {
    this.control('-d');
    const dump = await dumped(this.outDir);
    report(readFileSync(join(this.outDir, dump), 'utf8'), counted);
    console.log(`callgrind's file: ${join(this.outDir, dump)}`);
  }

  /**
   * callgrind_control exits with 0 even when it could not reach the process: its answer says. It blocks this client
   * while it runs (well under a second), so the window's edges may be off by that many deltas.
   */
  private control(...args: string[]): void {
    if (this.pid === undefined) throw new Error('callgrind_control before the gateway started');
    const answer = execFileSync('callgrind_control', [`--vgdb-prefix=${this.outDir}/vgdb`, ...args, String(this.pid)], {
      encoding: 'utf8',
      env: { ...process.env, ...VGDB_NAMING },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (!answer.includes('OK')) throw new Error(`callgrind_control ${args.join(' ')}: ${answer}`);
  }
}

/**
 * The gateway at full speed with `--trace-gc`, as the bench runs it: on core 1, the fake upstream and this client on
 * core 0. Its lines are kept as they come (a few a second); the window's are those after `open`.
 */
class TraceGcCounter implements Counter {
  readonly fakeCore = '0';
  private trace = '';
  private from = 0;

  constructor() {
    pinThisProcess('0');
  }

  start(main: string, env: Record<string, string>, nodeArgs: string[]): ChildProcess {
    const gateway = startNode(main, env, '1', [], ['--trace-gc', ...nodeArgs], 'pipe');
    gateway.stdout!.on('data', (chunk: Buffer) => (this.trace += chunk.toString()));
    return gateway;
  }

  open(): void {
    this.from = this.trace.length;
  }

  summary(cpuPerDelta: string): string {
    return `, ${cpuPerDelta}`;
  }

  async close(counted: number): Promise<void> {
    traceReport(this.trace, this.from, counted);
  }
}

/**
 * The collections of the gateway's main thread in `--trace-gc`'s output from character `from` on: each kind's count
 * and pauses, in all and per delta. The main thread's isolate is the first to print (a worker's, the token counter's,
 * prints too, under another address). A pause is the main thread's stop only: a mark-compact's incremental steps
 * before it (`+ x ms in n steps`) and the helper threads' work are not added.
 */
function traceReport(text: string, from: number, deltas: number): void {
  const main = text.match(/^\[\d+:(0x[0-9a-f]+)\]/m)?.[1];
  const kinds = new Map<string, { count: number; pauseMs: number }>();
  for (const line of text.slice(from).split('\n')) {
    const collection = line.match(/^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: ([A-Za-z-]+(?: \(reduce\))?) .*?MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \//);
    if (!collection || collection[1] !== main) continue;
    const kind = kinds.get(collection[2]!) ?? { count: 0, pauseMs: 0 };
    kind.count++;
    kind.pauseMs += Number(collection[3]);
    kinds.set(collection[2]!, kind);
  }
  if (kinds.size === 0) console.log('no collection of the main thread in the window');
  for (const [kind, { count, pauseMs }] of kinds) console.log(`${kind}: ${count}, ${pauseMs.toFixed(1)} ms of pauses (main thread), ${((pauseMs * 1000) / deltas).toFixed(2)} µs a delta`);
}

/** The dump's file once callgrind has written all of it (its last line, `totals:`); a large process takes seconds. */
async function dumped(outDir: string): Promise<string> {
  for (let second = 0; second < 300; second++) {
    const name = readdirSync(outDir).find((file) => file.startsWith('callgrind.out.'));
    if (name && /^totals: /m.test(readFileSync(join(outDir, name), 'utf8').slice(-2000))) return name;
    await sleep(1000);
  }
  throw new Error('callgrind wrote no dump');
}

/** The part of the gateway a function belongs to, by its object (the file its code came from) and its name. */
function groupOf(object: string, fn: string): string {
  if (object === '???') return 'compiled JavaScript (V8\'s optimizing tiers)';
  if (/libc\.so/.test(object)) return 'libc (memmove, malloc, ...)';
  if (!/\/node$/.test(object)) return object.split('/').at(-1)!;
  if (fn.startsWith('Builtins_')) return 'V8 builtins and interpreter';
  if (/v8::internal::(\w*Scaveng|\w*Mark|Sweeper|Heap::|\w*Evacuat|MemoryAllocator|\w*Compactor|BodyDescriptor|\w*RememberedSet|\w*Collector|HeapObject::SizeFromMap|PagedSpace|\w*SlotSet|\w*StringTableCleaner|PointersUpdatingVisitor|FreeList)|heap::base::|cppgc::/.test(fn)) return 'garbage collection';
  if (/v8::internal::(compiler|maglev|baseline|interpreter::BytecodeGenerator|Parser|Compiler|Scanner)/.test(fn)) return 'V8 compiling';
  return "V8's and Node's other C++";
}

/**
 * Each event per delta, in all and by group (groupOf). Self costs only: a `calls=` line's next line is the callee's
 * inclusive cost, already counted in the callee's own lines.
 */
function report(text: string, deltas: number): void {
  const events = text.match(/^events: (.+)$/m)![1]!.split(' ');
  const byGroup = new Map<string, number[]>();
  // The collections in the window: calls of each collector's entry point.
  const collections = { scavenges: 0, 'mark-compacts': 0 };
  let [object, fn, callee] = ['???', '???', ''];
  let skipNext = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('ob=')) object = line.slice(3);
    else if (line.startsWith('fn=')) fn = line.slice(3);
    else if (line.startsWith('cfn=')) callee = line.slice(4);
    else if (line.startsWith('calls=')) {
      skipNext = true;
      const calls = Number(line.slice(6).split(' ')[0]);
      if (callee === 'v8::internal::ScavengerCollector::CollectGarbage()') collections.scavenges += calls;
      if (callee === 'v8::internal::MarkCompactCollector::CollectGarbage()') collections['mark-compacts'] += calls;
    }
    else if (/^\d/.test(line)) {
      if (skipNext) {
        skipNext = false;
        continue;
      }
      const group = groupOf(object, fn);
      const sums = byGroup.get(group) ?? new Array<number>(events.length).fill(0);
      line.split(' ').slice(1).forEach((cost, index) => (sums[index]! += Number(cost)));
      byGroup.set(group, sums);
    }
  }
  const total = events.map((_, index) => [...byGroup.values()].reduce((sum, costs) => sum + costs[index]!, 0));
  const perDelta = (costs: number[]) => costs.map((cost) => (cost / deltas).toFixed(0).padStart(9)).join(' ');
  console.log(`per delta  ${events.map((event) => event.padStart(9)).join(' ')}`);
  console.log(`all        ${perDelta(total)}`);
  for (const [name, costs] of [...byGroup].sort(([, a], [, b]) => b[0]! - a[0]!)) console.log(`  ${perDelta(costs)}  ${name}`);
  console.log(`collections in the window: ${collections.scavenges} scavenges, ${collections['mark-compacts']} mark-compacts`);
}

// Last: the counters are classes, which are not hoisted as functions are.
if (process.argv[2] === '--report') report(readFileSync(process.argv[3]!, 'utf8'), Number(process.argv[4]));
else await measure(process.env.OUT_DIR ?? mkdtempSync(join(tmpdir(), 'callgrind-delta-')));
process.exit(0);
