import type { EventSourceMessage } from 'eventsource-parser';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { ChatDelta, ChatProvider, ChatRequest } from '../chat-provider.interface.js';
import type { UpstreamCall, UpstreamHttpClient } from '../http/upstream-http.client.js';

export type StrategyClass = new (http: UpstreamHttpClient) => ChatProvider;

/** For strategy specs: runs a strategy against a canned event stream; returns its deltas and the body it sent. */
export async function runCanned(
  Strategy: StrategyClass,
  events: (object | string)[],
  request: Partial<ChatRequest> = {},
): Promise<{ deltas: ChatDelta[]; body: Record<string, any> }> {
  const calls: UpstreamCall[] = [];
  const http = {
    streamEvents: (call: UpstreamCall) => {
      calls.push(call);
      return from(events.map((data): EventSourceMessage => ({ event: undefined, id: undefined, data: typeof data === 'string' ? data : JSON.stringify(data) })));
    },
  } as unknown as UpstreamHttpClient;
  const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'Hi' }], baseUrl: 'http://upstream', temperature: 0.5 };
  const deltas = await lastValueFrom(new Strategy(http).stream({ ...base, ...request }, new AbortController().signal).pipe(toArray()));
  return { deltas, body: calls[0]!.body as Record<string, any> };
}
