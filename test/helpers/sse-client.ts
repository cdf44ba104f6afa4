import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseEvent {
  event: string;
  id?: string;
  data: any;
}

export interface StreamResult {
  status: number;
  headers: Headers;
  /** JSON body when the server refused before streaming. */
  body?: any;
  events: SseEvent[];
  raw: string;
  /** Concatenated `message` contents. */
  text: string;
}

export interface StreamOptions {
  token?: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
  /** Stop reading (and close the connection) once this returns true. */
  until?: (event: SseEvent, events: SseEvent[]) => boolean;
}

const toEvent = (message: EventSourceMessage): SseEvent => ({
  event: message.event ?? 'message',
  ...(message.id !== undefined && { id: message.id }),
  data: message.data ? JSON.parse(message.data) : undefined,
});

/** Reads a real SSE response with eventsource-parser, the way a browser-side client library would. */
export async function readStream(url: string, options: StreamOptions = {}): Promise<StreamResult> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: options.method ?? 'POST',
    headers: {
      ...(options.body !== undefined && { 'Content-Type': 'application/json' }),
      ...(options.token && { Authorization: `Bearer ${options.token}` }),
      Accept: 'text/event-stream',
      ...options.headers,
    },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    signal: controller.signal,
  });
  const result: StreamResult = { status: response.status, headers: response.headers, events: [], raw: '', text: '' };
  if (!response.headers.get('content-type')?.includes('text/event-stream')) {
    const text = await response.text();
    result.body = text ? JSON.parse(text) : undefined;
    return result;
  }
  let stop = false;
  const parser = createParser({
    onEvent: (message) => {
      if (stop) return;
      const event = toEvent(message);
      result.events.push(event);
      if (event.event === 'message') result.text += event.data.content;
      if (options.until?.(event, result.events)) stop = true;
    },
  });
  const decoder = new TextDecoder();
  const reader = response.body!.getReader();
  try {
    while (!stop) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = decoder.decode(value, { stream: true });
      result.raw += chunk;
      parser.feed(chunk);
    }
  } finally {
    if (stop) controller.abort();
    else reader.releaseLock();
  }
  return result;
}

export const eventNames = (result: StreamResult) => result.events.map((event) => event.event);
