import { type CpuProfile, cpuByLayer, layerExcess } from './cpu-layers.js';

const DIST = '/srv/app/dist/apps/api';

/** A profile from stacks given root first, each sampled once for `us` microseconds. */
function profileOf(samples: { stack: [string, string][]; us: number }[]): CpuProfile {
  const nodes: CpuProfile['nodes'] = [{ id: 1, callFrame: { functionName: '(root)', url: '' }, children: [] }];
  const ids: number[] = [];
  for (const { stack } of samples) {
    let parent = nodes[0]!;
    for (const [functionName, url] of stack) {
      const existing = parent.children!.map((id) => nodes.find((node) => node.id === id)!).find((node) => node.callFrame.functionName === functionName && node.callFrame.url === url);
      if (existing) parent = existing;
      else {
        const node = { id: nodes.length + 1, callFrame: { functionName, url }, children: [] };
        nodes.push(node);
        parent.children!.push(node.id);
        parent = node;
      }
    }
    ids.push(parent.id);
  }
  // A sample stands for the time until the next one: a last, idle sample closes the profile.
  const idle = { id: nodes.length + 1, callFrame: { functionName: '(idle)', url: '' } };
  nodes.push(idle);
  nodes[0]!.children!.push(idle.id);
  return { nodes, samples: [...ids, idle.id], timeDeltas: [0, ...samples.map(({ us }) => us)] };
}

describe('cpuByLayer', () => {
  it('charges native and Node frames to the package or module of ours that called them, and leaves idle out', () => {
    const profile = profileOf([
      { stack: [['(idle)', '']], us: 5_000 },
      { stack: [['(garbage collector)', '']], us: 300 },
      { stack: [['(program)', '']], us: 200 },
      { stack: [['parserOnIncoming', 'node:_http_server'], ['handle', '/srv/app/node_modules/router/index.js'], ['canActivate', `${DIST}/apps/api/src/auth/jwt-auth.guard.js`]], us: 100 },
      { stack: [['save', `${DIST}/apps/api/src/generations/generation.js`], ['query', '/srv/app/node_modules/pg/lib/client.js'], ['writevGeneric', 'node:internal/stream_base_commons'], ['writev', '']], us: 400 },
      { stack: [['next', `${DIST}/libs/ai/src/providers/openai.strategy.js`], ['parse', '']], us: 70 },
      { stack: [['execute', '/srv/app/node_modules/undici/lib/dispatcher/client-h1.js'], ['wasm-function[12]', 'wasm://wasm/0a1b2c3d']], us: 5 },
      { stack: [['query', '/srv/app/node_modules/@electric-sql/pglite/dist/index.js'], ['wasm-function[20]', 'wasm://wasm/00034eea']], us: 40 },
      { stack: [['check', `${DIST}/libs/common/src/input/json-limits.js`]], us: 3 },
      { stack: [['listOnTimeout', 'node:internal/timers'], ['stringify', '']], us: 30 },
      { stack: [['start', `${DIST}/apps/api/src/generations/generation.js`]], us: 50 },
      { stack: [['handle', '/srv/app/node_modules/router/index.js'], ['x', '/srv/app/node_modules/@nestjs/throttler/dist/throttler.guard.js']], us: 20 },
      { stack: [['span', '/srv/app/node_modules/@opentelemetry/sdk-trace-base/build/src/Span.js']], us: 10 },
      { stack: [['relayTo', '/srv/app/bench/floor/deltas.mjs'], ['finish', '/srv/app/bench/floor/stored-turn.mjs']], us: 7 },
      { stack: [['relayTo', '/srv/app/bench/floor/deltas.mjs'], ['chunkOf', '/srv/app/bench/floor/deltas.mjs']], us: 9 },
    ]);
    expect(Object.fromEntries(cpuByLayer(profile))).toEqual({
      'garbage collection': 300,
      'V8 and native, unattributed': 200,
      authentication: 100,
      'database driver and our statements': 447,
      'the provider request and its deltas, read and written': 84,
      validation: 3,
      'Node: HTTP, sockets, streams, timers': 30,
      'our turn: routing, credential, budget, generation, settlement': 50,
      throttling: 20,
      tracing: 10,
    });
  });

  it('takes the innermost package of a nested node_modules path', () => {
    const profile = profileOf([{ stack: [['x', '/srv/app/node_modules/typeorm/node_modules/uuid/dist/index.js']], us: 10 }]);
    expect(Object.fromEntries(cpuByLayer(profile))).toEqual({ 'other packages': 10 });
  });
});

describe('layerExcess', () => {
  it("gives each layer's difference, largest first, a layer only one side spends in included", () => {
    expect(layerExcess({ validation: 0.2, 'Express routing': 0.05, 'garbage collection': 0.3 }, { 'Express routing': 0.1, 'garbage collection': 0.1, 'body parsing': 0.02 })).toEqual([
      { layer: 'validation', ms: 0.2 },
      { layer: 'garbage collection', ms: expect.closeTo(0.2, 10) },
      { layer: 'body parsing', ms: -0.02 },
      { layer: 'Express routing', ms: expect.closeTo(-0.05, 10) },
    ]);
  });
});
