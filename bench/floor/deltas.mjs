/**
 * What any gateway that reads the deltas must do, shared by the floor subjects (bench/README.md): send the client's
 * request to the upstream over a kept-alive undici Agent, read its SSE with eventsource-parser, JSON.parse each
 * chunk and take its delta's content. The same libraries our gateway uses, with nothing else around them.
 * `RELAY_UPSTREAM`: the upstream's origin, as for bench/relay.mjs.
 */
import { finished } from 'node:stream';
import { createParser } from 'eventsource-parser';
import { Agent, request } from 'undici';

const completions = `${process.env.RELAY_UPSTREAM ?? 'http://127.0.0.1:4610'}/v1/chat/completions`;
const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000 });

/** An OpenAI chunk carrying one delta, re-encoded from the upstream's fields. */
export const chunkOf = (upstream, content) => ({
  id: upstream.id,
  object: 'chat.completion.chunk',
  created: upstream.created,
  model: upstream.model,
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});

/** The re-encoded chunk of one upstream event's content delta; none for `[DONE]` or an event without content. */
export function chunkFrom(data) {
  if (data === '[DONE]') return undefined;
  const upstream = JSON.parse(data);
  const content = upstream.choices?.[0]?.delta?.content;
  return content ? chunkOf(upstream, content) : undefined;
}

/** The question of a client's chat completion request: its last message's text. */
export const questionOf = (body) => String(body.messages?.at(-1)?.content ?? '');

/**
 * Streams the upstream's reply to `body` (the client's parsed request), calling `onDelta(chunk)` with the
 * re-encoded chunk of each content delta; resolves when the upstream has ended, rejects if it failed. `signal`
 * aborts the upstream request.
 */
export async function streamDeltas(body, signal, onDelta) {
  const response = await request(completions, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer bench-key' },
    body: JSON.stringify(body),
    dispatcher: agent,
    signal,
  });
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new Error(`the upstream answered ${response.statusCode}`);
  }
  const parser = createParser({
    onEvent: ({ data }) => {
      const chunk = chunkFrom(data);
      if (chunk) onDelta(chunk);
    },
  });
  const decoder = new TextDecoder();
  // As our gateway reads it: 'data' events rather than an async iterator, which adds promises per chunk.
  await new Promise((resolve, reject) => {
    response.body.on('data', (chunk) => parser.feed(decoder.decode(chunk, { stream: true })));
    finished(response.body, (error) => (error ? reject(error) : resolve()));
  });
}

const uncork = (res) => res.uncork();
const open = (res) => {
  if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
};

/**
 * One delta's chunk written to a Node `ServerResponse` as OpenAI SSE. The deltas of one turn of the event loop leave
 * in one socket write (Node's cork idiom; our gateway coalesces its writes too).
 */
export function writeChunk(res, chunk) {
  open(res);
  if (!res.writableCorked) {
    res.cork();
    process.nextTick(uncork, res);
  }
  res.write(`data: ${JSON.stringify(chunk)}\n\n`);
}

/**
 * The reply to `body` written to a Node `ServerResponse` as OpenAI SSE, one `res.write` per delta (`writeChunk`) and
 * `[DONE]` at the end. The upstream request is aborted if the client leaves. With `store`
 * (stored-turn.mjs), the turn is written beside the upstream request and the reply before `[DONE]`.
 */
export async function relayTo(res, body, store) {
  const upstream = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) upstream.abort();
  });
  const turn = store?.begin(questionOf(body));
  let text = '';
  try {
    await streamDeltas(body, upstream.signal, (chunk) => {
      if (turn) text += chunk.choices[0].delta.content;
      writeChunk(res, chunk);
    });
    await turn?.finish(text);
    open(res);
    res.end('data: [DONE]\n\n');
  } catch {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  }
}
