import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import { parseAllowedUpstreamHost } from '@app/common';
// The fake upstream is a test server of its own; strategy specs speak to it as the API's service specs do.
import { echoToolResults, type FakeLlmServer, type FakeProvider, fakeToolCall, replyText, startFakeLlm } from '../../../../apps/fake-llm/src/fake-llm.server.js';
import { type ChatDelta, type ChatRequest, type ChatTurn, TOOL_CALLS_FINISH, type ToolCall } from '../chat-provider.interface.js';
import { UpstreamHttpClient } from '../http/upstream-http.client.js';
import { AnthropicStrategy } from './anthropic.strategy.js';
import { GeminiStrategy } from './gemini.strategy.js';
import { OpenAiStrategy } from './openai.strategy.js';

/** The real strategies against the fake upstream: what one sends, the other reads, in each wire format. */
const STRATEGIES = [
  { provider: 'openai', Strategy: OpenAiStrategy, base: '/v1' },
  { provider: 'anthropic', Strategy: AnthropicStrategy, base: '/v1' },
  { provider: 'gemini', Strategy: GeminiStrategy, base: '/v1beta' },
] as const satisfies { provider: FakeProvider; Strategy: unknown; base: string }[];

const WEATHER = { name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

/** Assembles the calls of a reply from its pieces, as the app does. */
function assemble(deltas: ChatDelta[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const delta of deltas) {
    if (delta.type !== 'tool_call') continue;
    const call = (calls[delta.index] ??= { id: '', name: '', arguments: '' });
    if (delta.id) call.id = delta.id;
    if (delta.name) call.name = delta.name;
    if (delta.signature) call.signature = delta.signature;
    call.arguments += delta.arguments;
  }
  return calls;
}

describe.each(STRATEGIES)('$provider strategy against the fake upstream', ({ provider, Strategy, base }) => {
  let fake: FakeLlmServer;
  let http: UpstreamHttpClient;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    http = new UpstreamHttpClient({
      allowHttp: true,
      allowedHosts: [parseAllowedUpstreamHost('ALLOWED_UPSTREAM_HOSTS', `127.0.0.1:${fake.port}`)],
      connectTimeoutMs: 5000,
      firstTokenTimeoutMs: 5000,
      idleTimeoutMs: 5000,
      totalTimeoutMs: 10_000,
      maxEventBytes: 1_048_576,
    });
  });
  afterAll(async () => {
    await http.onApplicationShutdown();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const stream = (model: string, extra: Partial<ChatRequest> = {}) =>
    lastValueFrom(
      new Strategy(http)
        .stream({ model, messages: [{ role: 'user', content: 'Weather in Oslo?' }], baseUrl: fake.url + base, apiKey: 'k', ...extra }, new AbortController().signal)
        .pipe(toArray()),
    );

  it('reads the text, then the calls the fake streams, and ends with tool_calls', async () => {
    const deltas = await stream('fake:deltas=2,tools=2', { tools: [WEATHER] });
    expect(deltas.filter((delta) => delta.type === 'text').map((delta) => (delta as { text: string }).text).join('')).toBe(replyText(2));
    const calls = assemble(deltas);
    expect(calls.map(({ name, arguments: args }) => ({ name, arguments: args }))).toEqual(
      [0, 1].map((i) => ({ name: WEATHER.name, arguments: fakeToolCall(i, [WEATHER.name], provider).arguments })),
    );
    expect(calls.every((call) => call.id !== '')).toBe(true);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);
    expect(deltas.find((delta) => delta.type === 'finish')).toMatchObject({ reason: TOOL_CALLS_FINISH });
  });

  it('sends the calls and their results back, and the fake answers the results', async () => {
    const first = await stream('fake:deltas=0,tools=2', { tools: [WEATHER] });
    const calls = assemble(first);
    const history: ChatTurn[] = [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: '', toolCalls: calls },
      { role: 'tool', toolCallId: calls[0]!.id, content: 'rain' },
      { role: 'tool', toolCallId: calls[1]!.id, content: '{"sky":"grey"}' },
    ];
    const model = 'fake:tools=2,id=results';
    const second = await stream(model, { tools: [WEATHER], toolChoice: 'auto', messages: history });
    expect(second.filter((delta) => delta.type === 'text').map((delta) => (delta as { text: string }).text).join('')).toBe(
      echoToolResults(['rain', '{"sky":"grey"}']),
    );
    expect(second.find((delta) => delta.type === 'finish')).not.toMatchObject({ reason: TOOL_CALLS_FINISH });
    // Each call went back with its id, and with its signature where it had one (Gemini's first call).
    const sent = JSON.stringify(fake.lastRequest(model)!.body);
    for (const call of calls) {
      expect(sent).toContain(JSON.stringify(call.id));
      if (call.signature) expect(sent).toContain(JSON.stringify(call.signature));
    }
  });
});
