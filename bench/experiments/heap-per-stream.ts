/**
 * What one open `/v1` stream holds in the gateway's JavaScript heap, by kind of object: a heap snapshot (a full
 * collection first) with none open, then one with `STREAMS` open, each `DELTAS` long at one delta every `DELAY_MS`,
 * `WAIT_MS` after the last opened; the difference divided by the streams. Steadier than RSS for a heap's part, and
 * it names what the memory is. Run from the repository's root, after `npm run build`:
 *
 *   npx tsx bench/experiments/heap-per-stream.ts [checkout]       (default: this one; another one's own build)
 *
 * `STORE=false` sends `store: false`. The gateway runs on PGlite in a temporary folder, started as the bench starts
 * it (`startOurGateway`), with the flags to write a heap snapshot on SIGUSR2 into a folder of this run; the fake
 * upstream is this checkout's. Ports 4711 and 4712.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { FAKE_MAIN, fakeUpstreamEnv, type OurGateway, ourNodeArgs, startNode, startOurGateway, stop, waitFor } from '../gateway.js';

const { STREAMS = '200', DELTAS = '3000', DELAY_MS = '20', WAIT_MS = '10000', STORE } = process.env;
const checkout = resolve(process.argv[2] ?? '.');
const [port, fakePort] = [4711, 4712];
/** Where V8 writes the gateway's heap snapshots (`--diagnostic-dir`). */
const dir = mkdtempSync(join(tmpdir(), 'heap-per-stream-'));
const fake = startNode(FAKE_MAIN, fakeUpstreamEnv(fakePort));
let gateway: OurGateway | undefined;

try {
  await waitFor(`http://127.0.0.1:${fakePort}/v1/models`, fake);
  const nodeArgs = ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`, ...ourNodeArgs(checkout)];
  gateway = await startOurGateway({ port, fakePort, database: 'pglite', name: 'bench_heap', root: checkout, nodeArgs });
  const { base } = gateway;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${gateway.token}` };
  const agent = new Agent({ connections: Number(STREAMS) + 10 });
  const open = (model: string) =>
    request(`${base}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers, body: JSON.stringify({ model, stream: true, store: STORE !== 'false', messages: [{ role: 'user', content: 'hello' }] }) });
  // Warm: every route of a turn loaded and compiled before the first snapshot.
  for (let index = 0; index < 300; index++) await (await open('openai/fake:deltas=64')).body.text();
  const before = await snapshot(gateway.child);
  let deltas = 0;
  for (let index = 0; index < Number(STREAMS); index++) (await open(`openai/fake:deltas=${DELTAS},delay=${DELAY_MS}`)).body.on('data', () => deltas++);
  await sleep(Number(WAIT_MS));
  // Counted before the snapshot, which stops the gateway for seconds while the streams' clocks go on.
  console.log(`${STREAMS} streams open, ${(deltas / Number(STREAMS)).toFixed(0)} chunks received each`);
  const after = await snapshot(gateway.child);
  report(before, after, Number(STREAMS));
} finally {
  try {
    // Its streams are still open: killed, not drained (a graceful stop would wait for them).
    await gateway?.close('SIGKILL');
  } finally {
    await stop(fake);
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exit(0);

/** The fields of a `.heapsnapshot` file that `byKind` reads. */
interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}
type Kinds = Map<string, { count: number; bytes: number }>;

/** Signals the gateway and waits for its snapshot to be written; its objects by kind. */
async function snapshot(gatewayProcess: ChildProcess): Promise<Kinds> {
  const known = new Set(readdirSync(dir));
  gatewayProcess.kill('SIGUSR2');
  for (;;) {
    await sleep(1000);
    const file = readdirSync(dir).find((name) => name.endsWith('.heapsnapshot') && !known.has(name));
    if (!file) continue;
    // Written in pieces: parsed once it has stopped growing for a second.
    let size = -1;
    for (;;) {
      const now = statSync(join(dir, file)).size;
      if (now > 0 && now === size) break;
      size = now;
      await sleep(1000);
    }
    return byKind(JSON.parse(readFileSync(join(dir, file), 'utf8')) as HeapSnapshot);
  }
}

/** Count and bytes of each kind of object: strings, code and arrays by type, objects by constructor. */
function byKind({ snapshot: { meta }, nodes, strings }: HeapSnapshot): Kinds {
  const width = meta.node_fields.length;
  const [type, name, size] = ['type', 'name', 'self_size'].map((field) => meta.node_fields.indexOf(field));
  const kinds: Kinds = new Map();
  for (let node = 0; node < nodes.length; node += width) {
    const nodeType = meta.node_types[0][nodes[node + type]!]!;
    const kind = nodeType.includes('string') || nodeType === 'code' ? `(${nodeType})` : `${nodeType}: ${strings[nodes[node + name]!]!.slice(0, 50)}`;
    // PGlite's WebAssembly memory and I/O buffers: not the streams' objects.
    if (kind.startsWith('native: system / JSArrayBufferData')) continue;
    const entry = kinds.get(kind) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[node + size]!;
    kinds.set(kind, entry);
  }
  return kinds;
}

function report(before: Kinds, after: Kinds, streams: number) {
  const rows = [...after].map(([kind, { count, bytes }]) => ({ kind, count: (count - (before.get(kind)?.count ?? 0)) / streams, bytes: (bytes - (before.get(kind)?.bytes ?? 0)) / streams }));
  const sum = (field: 'count' | 'bytes') => rows.reduce((total, row) => total + row[field], 0);
  console.log(`per stream: ${sum('count').toFixed(0)} objects, ${(sum('bytes') / 1024).toFixed(1)} KiB`);
  for (const row of rows.sort((a, b) => b.bytes - a.bytes).slice(0, 15)) console.log(`${row.bytes.toFixed(0).padStart(8)} B ${row.count.toFixed(1).padStart(8)} ${row.kind}`);
}
