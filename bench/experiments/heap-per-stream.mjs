/**
 * What one open `/v1` stream holds in the gateway's JavaScript heap, by kind of object: a heap snapshot (a full
 * collection first) with none open, then one with `STREAMS` open, each `DELTAS` long at one delta every `DELAY_MS`,
 * `WAIT_MS` after the last opened; the difference divided by the streams. Steadier than RSS for a heap's part, and
 * it names what the memory is. Run from the repository's root, after `npm run build`:
 *
 *   node bench/experiments/heap-per-stream.mjs [checkout]       (default: this one; another one's own build)
 *
 * `STORE=false` sends `store: false`. The gateway runs on PGlite in a temporary folder, as the bench starts it; the
 * fake upstream is this checkout's. Ports 4711 and 4712.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';

const { STREAMS = '200', DELTAS = '3000', DELAY_MS = '20', WAIT_MS = '10000', STORE } = process.env;
const checkout = resolve(process.argv[2] ?? '.');
const [port, fakePort] = [4711, 4712];
const dir = mkdtempSync(join(tmpdir(), 'heap-per-stream-'));
const fake = spawn(process.execPath, ['dist/apps/fake-llm/apps/fake-llm/src/main.js'], { env: { ...process.env, FAKE_LLM_PORT: String(fakePort), FAKE_LLM_HOST: '127.0.0.1' }, stdio: 'ignore' });
const gateway = spawn(process.execPath, ['--heapsnapshot-signal=SIGUSR2', join(checkout, 'dist/apps/api/apps/api/src/main.js')], {
  cwd: dir,
  env: {
    PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error', DATA_DIR: dir, PGLITE_DATA_DIR: join(dir, 'pglite'),
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0001', ENCRYPTION_KEY: 'ab'.repeat(32), METRICS_TOKEN: 'bench-metrics-token',
    UPSTREAM_ALLOW_HTTP: 'true', ALLOWED_UPSTREAM_HOSTS: '127.0.0.1', THROTTLE_STREAM_LIMIT: '1000000', THROTTLE_DEFAULT_LIMIT: '1000000', CHAT_MAX_CONCURRENT_PER_USER: '100000',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

try {
  const base = `http://127.0.0.1:${port}`;
  while (!(await fetch(`${base}/api/health`).then((response) => response.ok, () => false))) await sleep(200);
  const json = { 'content-type': 'application/json' };
  const registered = await fetch(`${base}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: `heap-${Date.now()}@example.com`, password: 'bench-password' }) });
  const headers = { ...json, authorization: `Bearer ${(await registered.json()).accessToken}` };
  await fetch(`${base}/api/providers/openai`, { method: 'PUT', headers, body: JSON.stringify({ apiKey: 'sk-bench-key', baseUrl: `http://127.0.0.1:${fakePort}/v1` }) });
  const agent = new Agent({ connections: Number(STREAMS) + 10 });
  const open = (model) =>
    request(`${base}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers, body: JSON.stringify({ model, stream: true, store: STORE !== 'false', messages: [{ role: 'user', content: 'hello' }] }) });
  // Warm: every route of a turn loaded and compiled before the first snapshot.
  for (let index = 0; index < 300; index++) await (await open('openai/fake:deltas=64')).body.text();
  const before = await snapshot();
  let deltas = 0;
  for (let index = 0; index < Number(STREAMS); index++) (await open(`openai/fake:deltas=${DELTAS},delay=${DELAY_MS}`)).body.on('data', () => deltas++);
  await sleep(Number(WAIT_MS));
  // Counted before the snapshot, which stops the gateway for seconds while the streams' clocks go on.
  console.log(`${STREAMS} streams open, ${(deltas / Number(STREAMS)).toFixed(0)} chunks received each`);
  const after = await snapshot();
  report(before, after, Number(STREAMS));
} finally {
  gateway.kill('SIGKILL');
  fake.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);

/** Signals the gateway and waits for its snapshot to be written; its objects by kind. */
async function snapshot() {
  const known = new Set(readdirSync(dir));
  gateway.kill('SIGUSR2');
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
    return byKind(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  }
}

/** Count and bytes of each kind of object: strings, code and arrays by type, objects by constructor. */
function byKind({ snapshot: { meta }, nodes, strings }) {
  const width = meta.node_fields.length;
  const [type, name, size] = ['type', 'name', 'self_size'].map((field) => meta.node_fields.indexOf(field));
  const kinds = new Map();
  for (let node = 0; node < nodes.length; node += width) {
    const nodeType = meta.node_types[0][nodes[node + type]];
    const kind = nodeType.includes('string') || nodeType === 'code' ? `(${nodeType})` : `${nodeType}: ${strings[nodes[node + name]].slice(0, 50)}`;
    // PGlite's WebAssembly memory and I/O buffers: not the streams' objects.
    if (kind.startsWith('native: system / JSArrayBufferData')) continue;
    const entry = kinds.get(kind) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[node + size];
    kinds.set(kind, entry);
  }
  return kinds;
}

function report(before, after, streams) {
  const rows = [...after].map(([kind, { count, bytes }]) => ({ kind, count: (count - (before.get(kind)?.count ?? 0)) / streams, bytes: (bytes - (before.get(kind)?.bytes ?? 0)) / streams }));
  const sum = (field) => rows.reduce((total, row) => total + row[field], 0);
  console.log(`per stream: ${sum('count').toFixed(0)} objects, ${(sum('bytes') / 1024).toFixed(1)} KiB`);
  for (const row of rows.sort((a, b) => b.bytes - a.bytes).slice(0, 15)) console.log(`${row.bytes.toFixed(0).padStart(8)} B ${row.count.toFixed(1).padStart(8)} ${row.kind}`);
}
