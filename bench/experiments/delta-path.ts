/**
 * What our per-delta code costs by itself, beside the Nest floor's: both paths run in this one process, with no
 * socket, no undici and no HTTP server, so only the JavaScript between a provider's event and a client's write is
 * timed. Ours is the real chain of a `/v1` store:false turn: the OpenAI strategy and its decoder, the generation
 * (the reply limit, its text, the encoder, the log), the heartbeat's wrapper and the response writer with its write
 * coalescing. Left out with the socket: the provider client's per-chunk byte count and its idle timer's restart (53
 * ns a delta timed alone), our dispatcher's handler wrapper (`SentReportingHandler`, one call a chunk) and undici's
 * own handlers, and the pass-through Observable ChatService puts around the events. The
 * floor's is bench/floor/deltas.mjs's own (`chunkFrom`, `writeChunk`). Run from the repository's root, after
 * `npm run build`:
 *
 *   taskset -c 1 npx tsx bench/experiments/delta-path.ts [checkout]       (default: this one; another one's own build)
 *
 * `STREAMS` (200) replies open together, `DELTAS` (640) each, fed round-robin, one delta per stream a turn of the
 * event loop, as paced streams arrive; `REPLIES` (2) sets of them a round. After a round of each to warm up, rounds
 * alternate, `ROUNDS` (5) pairs, which path goes first swapped each pair (a collection one path leaves behind falls
 * in either's rounds alike); prints each path's CPU (user + system) per delta, sorted, and the median of the pairs'
 * differences.
 */
import { resolve } from 'node:path';
import { createParser } from 'eventsource-parser';
import { Observable } from 'rxjs';
import { percentile } from '../sse-load.js';

const { STREAMS = '200', DELTAS = '640', REPLIES = '2', ROUNDS = '5' } = process.env;
const checkout = resolve(process.argv[2] ?? '.');
const built = (path: string) => import(resolve(checkout, 'dist/apps/api', path));
const { Generation } = await built('apps/api/src/generations/generation.js');
const { OpenAiChunkEncoder } = await built('apps/api/src/openai/openai-chunk.encoder.js');
const { OpenAiStrategy } = await built('libs/ai/src/providers/openai.strategy.js');
const { writeEventStream } = await built('apps/api/src/http/event-stream.writer.js');
const { withHeartbeat } = await built('apps/api/src/chat/chat-events.js');
const floorPath = '../floor/deltas.mjs';
const { chunkFrom, writeChunk } = (await import(floorPath)) as { chunkFrom(data: string): object | undefined; writeChunk(res: unknown, chunk: object): void };

/** Chunks shaped like the fake upstream's (its opening role chunk left out): one delta each, then the finish, the usage and `[DONE]`. */
const chunk = (choices: string, usage = '') =>
  `data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1733400000,"model":"fake","system_fingerprint":null,"choices":${choices}${usage}}\n\n`;
const choice = (delta: object, finish: string | null = null) => `[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finish)}}]`;
const deltas = Array.from({ length: Number(DELTAS) }, (_, i) => Buffer.from(chunk(choice({ content: `tok${i % 10} ` }))));
const ending = Buffer.from(chunk(choice({}, 'stop')) + chunk('[]', ',"usage":{"prompt_tokens":5,"completion_tokens":640,"total_tokens":645}') + 'data: [DONE]\n\n');

/** A stream being fed: its bytes go to its parser, as the provider client's 'data' listener hands them on. */
interface Feed {
  feed(bytes: Buffer): void;
  end(): void;
}
function parsing(onEvent: (data: string) => void, end: () => void): Feed {
  const parser = createParser({ onEvent: ({ data }) => onEvent(data) });
  const decoder = new TextDecoder();
  return { feed: (bytes) => parser.feed(decoder.decode(bytes, { stream: true })), end };
}

/** What the writers use of a response: writes counted per path, corking as Node's does, no socket to cork. */
class CountingResponse {
  headersSent = false;
  writableCorked = 0;
  socket = null;
  constructor(private readonly path: Path) {}
  writeHead(): this {
    this.headersSent = true;
    return this;
  }
  flushHeaders(): void {}
  cork(): void {
    this.writableCorked++;
  }
  uncork(): void {
    this.writableCorked--;
  }
  write(): boolean {
    this.path.writes++;
    return true;
  }
  end(): void {}
  once(): void {}
}

interface Path {
  name: string;
  /** Opens one reply and returns where its bytes go. */
  open(): Feed;
  /** What a reply writes besides its deltas: ours, the opening chunk, the finish, the usage and `[DONE]`. */
  extraWrites: number;
  writes: number;
  rounds: number[];
}

/** The provider client's part: each stream's events, from the bytes fed to it; `opened` receives its feed. */
let opened: Feed | undefined;
const http = {
  streamEvents: (_call: unknown, _signal: AbortSignal, sent?: () => void) =>
    new Observable((subscriber) => {
      sent?.();
      opened = parsing(
        (data) => subscriber.next({ data }),
        () => subscriber.complete(),
      );
    }),
};
const strategy = new OpenAiStrategy(http);
const none = () => {};
const counter = { inc: none, dec: none, observe: none };
let replyNumber = 0;

const ours: Path = {
  name: `ours (${checkout})`,
  extraWrites: 4,
  writes: 0,
  rounds: [],
  open() {
    const generation = new Generation(
      {
        turn: { userId: 'u', sessionId: 's', provider: 'openai', model: 'fake', replyId: `r${replyNumber++}` },
        role: 'member',
        targets: [{ providerId: 'openai', connectionId: null, cooldownKey: 'k', provider: strategy, request: { model: 'fake', messages: [{ role: 'user', content: 'bench' }], baseUrl: 'http://fake' } }],
        skipped: [],
        encoder: new OpenAiChunkEncoder('fake', true),
        persist: false,
        shared: false,
      },
      {
        saver: {},
        accounting: { charge: async () => ({ charge: null, record: {} }), recordSoon: none },
        metrics: new Proxy({}, { get: () => counter }),
        maxReplyChars: 1_000_000,
        captureContent: false,
        settled: none,
        retry: { cooldownMs: 0, retryAfterMaxMs: 0, maxAttempts: 1 },
        cooldowns: { coolDown: none },
      },
    );
    writeEventStream(new CountingResponse(ours) as any, withHeartbeat(generation.events, 15_000));
    opened = undefined;
    generation.run();
    if (!opened) throw new Error('the generation did not ask the provider when it started');
    return opened;
  },
};

const floor: Path = {
  name: 'the floor',
  extraWrites: 0,
  writes: 0,
  rounds: [],
  open() {
    const res = new CountingResponse(floor);
    return parsing((data) => {
      const reply = chunkFrom(data);
      if (reply) writeChunk(res, reply);
    }, none);
  },
};

const nextTurn = () => new Promise((done) => setImmediate(done));

async function replies(path: Path): Promise<void> {
  const feeds = Array.from({ length: Number(STREAMS) }, () => path.open());
  for (const bytes of deltas) {
    for (const stream of feeds) stream.feed(bytes);
    await nextTurn();
  }
  for (const stream of feeds) {
    stream.feed(ending);
    stream.end();
  }
  await nextTurn();
}

/** One round of a path: its CPU per delta, and a check that every reply wrote every delta and its own events. */
async function round(path: Path): Promise<number> {
  const deltasWritten = Number(REPLIES) * Number(STREAMS) * Number(DELTAS);
  const expected = deltasWritten + Number(REPLIES) * Number(STREAMS) * path.extraWrites;
  const writesBefore = path.writes;
  const before = process.cpuUsage();
  for (let i = 0; i < Number(REPLIES); i++) await replies(path);
  const { user, system } = process.cpuUsage(before);
  if (path.writes - writesBefore !== expected) throw new Error(`${path.name} wrote ${path.writes - writesBefore} times, not ${expected}`);
  return ((user + system) * 1000) / deltasWritten;
}

await round(ours);
await round(floor);
for (let i = 0; i < Number(ROUNDS); i++) {
  for (const path of i % 2 === 0 ? [ours, floor] : [floor, ours]) path.rounds.push(await round(path));
}
const differences = ours.rounds.map((ns, i) => ns - floor.rounds[i]!);
for (const path of [ours, floor]) console.log(`${path.name}: ns of CPU per delta, rounds sorted: ${[...path.rounds].sort((a, b) => a - b).map((ns) => ns.toFixed(0)).join(', ')}`);
console.log(`ours − the floor, median of the pairs' differences: ${percentile(differences, 50).toFixed(0)} ns a delta`);
process.exit(0);
