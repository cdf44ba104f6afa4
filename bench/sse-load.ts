import { createParser } from 'eventsource-parser';
import { Agent, request } from 'undici';

/** What one stream looked like from the client: when it started, when each content delta arrived. */
export interface StreamTiming {
  startedAt: number;
  /** Arrival times (ms, performance.now) of each content delta. */
  deltas: number[];
  endedAt: number;
  /** When the response's headers arrived: before it, the request's way in and the gateway's set-up; after, the first delta's way out. */
  headersAt?: number;
  /** The gateway's own time before its headers (`Server-Timing: app;dur=`), where it sends one: ours does. */
  setupMs?: number;
  error?: string;
}

/** `app;dur=<ms>` of a Server-Timing header (undici gives a repeated header as an array); undefined without one. */
export function appDuration(serverTiming: string | string[] | undefined): number | undefined {
  const found = /(?:^|,)\s*app;dur=([\d.]+)/.exec([serverTiming ?? []].flat().join(','));
  return found ? Number(found[1]) : undefined;
}

export interface Target {
  url: string;
  headers: Record<string, string>;
  body: (i: number) => unknown;
  /** Whether an SSE event carries one content delta. */
  isDelta: (event: string | undefined, data: string) => boolean;
  /** Whether an SSE event ends the stream successfully. */
  isEnd: (event: string | undefined, data: string) => boolean;
  /** Each event of request `i` that is neither a delta, nor the end, nor an error (our chat route's `session`). */
  onEvent?: (i: number, event: string | undefined, data: string) => void;
  /** Request `i` is over: `ok` when its stream ended with its end marker and no error. */
  released?: (i: number, ok: boolean) => void;
}

/**
 * A streamed `/v1` chat completion from our gateway at `base`, as the experiments send it: `model` is the fake
 * upstream's (`openai/fake:deltas=64,delay=20`), its turn stored or not.
 */
export function v1Target(base: string, token: string, model: string, store: boolean): Target {
  return {
    url: `${base}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: () => ({ model, stream: true, store, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'bench' }] }),
    isDelta: isOpenAiDelta,
    isEnd: isOpenAiEnd,
  };
}

/**
 * Connections are kept alive, as any real client's are, one request at a time (undici's `pipelining: 0`, used
 * here before, turned keep-alive off: every request paid a new connection). Idle ones are closed before the
 * server's `Keep-Alive: timeout=` hint runs out, so no request is sent on a socket the gateway is closing.
 */
export const agent = new Agent({ connections: null, headersTimeout: 0, bodyTimeout: 0 });

/** Streams one request and times every delta, reading real SSE with the same parser for every target. */
export async function timeStream(target: Target, i: number): Promise<StreamTiming> {
  const timing: StreamTiming = { startedAt: performance.now(), deltas: [], endedAt: 0 };
  let ended = false;
  try {
    const response = await request(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...target.headers },
      body: JSON.stringify(target.body(i)),
      dispatcher: agent,
    });
    timing.headersAt = performance.now();
    timing.setupMs = appDuration(response.headers['server-timing']);
    if (response.statusCode !== 200) {
      timing.error = `HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 120)}`;
    } else {
      const parser = createParser({
        onEvent: (message) => {
          if (target.isDelta(message.event, message.data)) timing.deltas.push(performance.now());
          else if (target.isEnd(message.event, message.data)) ended = true;
          else if (message.event === 'error') timing.error = message.data.slice(0, 120);
          else target.onEvent?.(i, message.event, message.data);
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      if (!ended && !timing.error) timing.error = 'stream ended without its end marker';
    }
  } catch (error) {
    timing.error = error instanceof Error ? error.message : String(error);
  }
  timing.endedAt = performance.now();
  target.released?.(i, !timing.error);
  return timing;
}

/**
 * Runs `total` streams with at most `concurrency` open at once. With `rampMs`, the workers start spread over that
 * time, so arrivals are steady rather than one burst of `concurrency` requests in the same millisecond.
 */
export async function runStreams(target: Target, total: number, concurrency: number, rampMs = 0): Promise<StreamTiming[]> {
  const results: StreamTiming[] = [];
  let next = 0;
  const workers = Math.min(concurrency, total);
  const worker = async (index: number) => {
    if (rampMs > 0) await new Promise((done) => setTimeout(done, (index * rampMs) / workers));
    while (next < total) {
      const i = next++;
      results.push(await timeStream(target, i));
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, index) => worker(index)));
  return results;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const ttft = (timing: StreamTiming) => (timing.deltas[0] ?? timing.endedAt) - timing.startedAt;
export const total = (timing: StreamTiming) => timing.endedAt - timing.startedAt;
export const gaps = (timing: StreamTiming) => timing.deltas.slice(1).map((at, i) => at - timing.deltas[i]!);
/** Whether an OpenAI stream's event carries a content delta (the `[DONE]` marker and role or usage chunks do not). */
export const isOpenAiDelta = (_event: string | undefined, data: string) =>
  data !== '[DONE]' && Boolean((JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content);
/** Whether an OpenAI stream's event is its end: the `[DONE]` marker. */
export const isOpenAiEnd = (_event: string | undefined, data: string) => data === '[DONE]';
export const relayedDeltas = (runs: StreamTiming[]) => runs.reduce((sum, run) => sum + run.deltas.length, 0);
