/**
 * Where a server's CPU goes, by layer: each sample of a V8 CPU profile (`bench/profile-on-signal.mjs`) is charged to
 * the layer of the innermost frame on its stack that belongs to a package or to our code. Node's own frames, native
 * ones and WebAssembly (PGlite's database, undici's HTTP parser) are passed over on the way out, so a socket
 * `writev` is charged to whoever wrote (the database driver, the response writer), `JSON.parse` to whoever parsed.
 * Idle samples are left out, and with them what Node does natively between JavaScript calls while it polls for I/O
 * (reading sockets, parsing an incoming request's head): Node marks the thread idle for the whole poll phase, so
 * the profile holds none of it; the bench reports it as the process's CPU beyond the profile's.
 */

/** A V8 CPU profile, as `Profiler.stop` returns it. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  /** Microseconds since the previous sample (the first: since the profile's start). */
  timeDeltas: number[];
}

/**
 * Layers that are features of ours, which no floor has: signing in, limits, checks, records and the turn's own
 * work (routing, credential, budget, resume). What we spend there above a floor is the price of a feature; what we
 * spend above it in the other layers (relaying, Nest, Node, GC) is the relaying's own cost.
 */
const FEATURES = [
  'our turn: routing, credential, budget, generation, settlement',
  'authentication',
  'throttling',
  'validation',
  'logging',
  'metrics',
  'tracing',
  'security headers (helmet)',
] as const;

export const LAYERS = [
  'database driver and our statements',
  'the provider request and its deltas, read and written',
  ...FEATURES,
  'body parsing',
  'Express routing',
  'Nest pipeline (core, RxJS, metadata)',
  'other packages',
  'Node: HTTP, sockets, streams, timers',
  'garbage collection',
  'V8 and native, unattributed',
] as const;
export type Layer = (typeof LAYERS)[number];

export const FEATURE_LAYERS: ReadonlySet<Layer> = new Set<Layer>(FEATURES);

/** Each layer's CPU in one profile minus another's (ms per unit), largest first; layers neither spends in are left out. */
export function layerExcess(ours: Partial<Record<Layer, number>>, floor: Partial<Record<Layer, number>>): { layer: Layer; ms: number }[] {
  return LAYERS.filter((layer) => ours[layer] !== undefined || floor[layer] !== undefined)
    .map((layer) => ({ layer, ms: (ours[layer] ?? 0) - (floor[layer] ?? 0) }))
    .sort((a, b) => b.ms - a.ms);
}

const PACKAGE_LAYERS: [Layer, string[]][] = [
  ['database driver and our statements', ['pg', 'pg-protocol', 'pg-pool', 'pg-types', 'pg-connection-string', 'postgres-array', 'postgres-date', 'postgres-interval', 'postgres-bytea', 'typeorm', '@electric-sql/pglite']],
  ['the provider request and its deltas, read and written', ['undici', 'eventsource-parser']],
  ['authentication', ['jsonwebtoken', 'jws', 'jwa', 'jose', 'passport', 'passport-jwt', '@nestjs/passport', '@nestjs/jwt']],
  ['throttling', ['@nestjs/throttler']],
  ['validation', ['class-validator', 'class-transformer', 'validator', 'libphonenumber-js']],
  ['logging', ['pino', 'pino-http', 'pino-std-serializers', '@pinojs/redact', 'nestjs-pino', 'sonic-boom', 'thread-stream', 'fast-redact', 'quick-format-unescaped', 'atomic-sleep', 'on-exit-leak-free']],
  ['metrics', ['prom-client', 'tdigest', 'bintrees']],
  ['security headers (helmet)', ['helmet']],
  ['body parsing', ['body-parser', 'raw-body', 'iconv-lite', 'type-is', 'content-type', 'bytes', 'media-typer', 'unpipe']],
  [
    'Express routing',
    ['express', 'router', 'path-to-regexp', 'finalhandler', 'parseurl', 'accepts', 'negotiator', 'mime-types', 'mime-db', 'vary', 'fresh', 'proxy-addr', 'forwarded', 'ipaddr.js', 'on-finished', 'ee-first', 'depd', 'qs', 'cookie', 'etag', 'encodeurl', 'escape-html', 'statuses', 'http-errors', 'setprototypeof', 'merge-descriptors', 'content-disposition', 'utils-merge', 'safe-buffer', 'send', 'serve-static', 'range-parser', 'destroy', 'is-promise', 'call-bound', 'side-channel'],
  ],
  ['Nest pipeline (core, RxJS, metadata)', ['@nestjs/core', '@nestjs/common', '@nestjs/platform-express', '@nestjs/microservices', '@nestjs/config', 'rxjs', 'reflect-metadata', 'tslib', 'iterare', 'uid', 'fast-safe-stringify']],
];
const LAYER_OF_PACKAGE = new Map(PACKAGE_LAYERS.flatMap(([layer, names]) => names.map((name) => [name, layer] as const)));

/** Our own code by its path under `apps/api/src/` or `libs/<lib>/src/` (the same in `dist/`), most specific first. */
const OWN_LAYERS: [Layer, RegExp][] = [
  ['database driver and our statements', /\/libs\/persistence\/|\/bench\/floor\/stored-turn/],
  ['the provider request and its deltas, read and written', /\/libs\/ai\/|\/src\/http\/(event-stream\.writer|coalesced-writes)|\/src\/openai\/.*encoder|\/src\/generations\/(reply-encoder|generation-log)|\/bench\/floor\//],
  ['authentication', /\/src\/auth\//],
  ['throttling', /\/src\/throttling\//],
  ['validation', /\/src\/openai\/(lenient-body\.pipe|dto\/)|\/libs\/common\/src\/input\//],
  ['metrics', /\/src\/observability\/.*metrics/],
  ['tracing', /\/src\/observability\/.*(trac|span)/],
  ['logging', /\/src\/observability\/.*log/],
];

const packageOf = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(url)?.[1];
const isOurs = (url: string) => /\/(apps|libs)\/[^/]+\/src\/|\/bench\/floor\//.test(url);

/** The layer of one frame, or undefined for a frame to pass over (Node's own, native). */
function layerOfFrame(url: string): Layer | undefined {
  if (!url || url.startsWith('node:') || url.startsWith('wasm://')) return undefined;
  const name = packageOf(url);
  if (name) return LAYER_OF_PACKAGE.get(name) ?? (name.startsWith('@opentelemetry/') ? 'tracing' : 'other packages');
  if (!isOurs(url)) return 'other packages';
  return OWN_LAYERS.find(([, path]) => path.test(url))?.[0] ?? 'our turn: routing, credential, budget, generation, settlement';
}

/** Microseconds of the profile's busy samples per layer (idle samples left out). */
export function cpuByLayer(profile: CpuProfile): Map<Layer, number> {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const layerOfNode = new Map<number, Layer | null>();
  const layerOf = (id: number): Layer | null => {
    if (layerOfNode.has(id)) return layerOfNode.get(id)!;
    const { functionName, url } = nodes.get(id)!.callFrame;
    let layer: Layer | null;
    if (functionName === '(idle)') layer = null;
    else if (functionName === '(garbage collector)') layer = 'garbage collection';
    else if (functionName === '(program)' || functionName === '(root)') layer = 'V8 and native, unattributed';
    else {
      const parent = parentOf.get(id);
      layer = layerOfFrame(url) ?? (parent === undefined ? null : layerOf(parent));
      // Node's own frames with nothing of anyone else's above them: its timers, stream and HTTP machinery.
      if (layer === null || layer === 'V8 and native, unattributed') layer = url.startsWith('node:') ? 'Node: HTTP, sockets, streams, timers' : 'V8 and native, unattributed';
    }
    layerOfNode.set(id, layer);
    return layer;
  };
  const byLayer = new Map<Layer, number>();
  // A sample's time is the gap to the next one: the time it stood for.
  profile.samples.forEach((id, i) => {
    const layer = layerOf(id);
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (layer) byLayer.set(layer, (byLayer.get(layer) ?? 0) + us);
  });
  return byLayer;
}
