import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { finished } from 'node:stream';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Observable } from 'rxjs';
import { Agent, buildConnector, Dispatcher, request } from 'undici';
import type { ProviderKind, RequestSent } from '../chat-provider.interface.js';
import { chatTracer, ERROR_TYPE, GEN_AI } from '../telemetry/gen-ai.spans.js';
import { UpstreamError } from '../upstream.errors.js';
import { isBlockedAddress, UpstreamAllowlist } from './address-policy.js';
import { errorFromStatus, redactSecrets } from './upstream-errors.mapper.js';
import { UPSTREAM_HTTP_OPTIONS, type UpstreamHttpOptions } from './upstream-http.options.js';

export interface UpstreamCall {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** For the attempt's span: the wire format spoken (OpenTelemetry's "provider as the client knows it") and the model asked. */
  provider: ProviderKind;
  model: string;
}

const MAX_ERROR_BODY = 16 * 1024;

/**
 * What a user is told for every failure to reach the provider: a refused address, a refused or reset connection,
 * an unreachable network, a failed name lookup. One text and one code, so the answers cannot map our internal
 * network (which names resolve, to what, which ports are open); the detail goes to the server log.
 */
export const UNREACHABLE_MESSAGE = 'The provider could not be reached, or the connection to it failed';

/** A destination the address policy refuses; its message (name, address, port) is for the log only. */
class RefusedDestination extends Error {}

const portOf = (port: string, protocol: string) => Number(port) || (protocol === 'https:' ? 443 : 80);

/**
 * The one HTTP path to model providers. It refuses private addresses at connect time (the socket connects to
 * the very address that was checked, so DNS rebinding cannot slip past), follows no redirects, applies
 * first-token, idle and total timeouts, and cancels the request the moment its subscriber goes away.
 */
@Injectable()
export class UpstreamHttpClient implements OnApplicationShutdown {
  private readonly logger = new Logger(UpstreamHttpClient.name);
  private readonly allowlist: UpstreamAllowlist;
  private readonly agent: Agent;
  /** One connector per destination port: the lookup hook sees only the name, and an allow-list entry may name a port. */
  private readonly connectors = new Map<number, buildConnector.connector>();

  constructor(@Inject(UPSTREAM_HTTP_OPTIONS) private readonly options: UpstreamHttpOptions) {
    this.allowlist = new UpstreamAllowlist(options.allowedHosts);
    this.agent = new Agent({
      connect: this.guardedConnect,
      // Our own timers below know first-token from idle; undici's body timeout would cut long replies.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
    });
  }

  /** Only after the shutdown drain: replies still running during the grace period need their connections. */
  async onApplicationShutdown(): Promise<void> {
    await this.agent.destroy();
  }

  /**
   * For saving a base URL: the same checks a connection would make. A malformed URL is said as such (the user
   * wrote it); a refused or unresolvable destination gets the one fixed message a failed connection gets.
   */
  async assertSafeUrl(raw: string): Promise<void> {
    const url = this.parseUrl(raw);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = portOf(url.port, url.protocol);
    if (this.allowlist.allowsHost(host, port)) return;
    try {
      const addresses = isIP(host) ? [host] : (await this.resolve(host)).map((entry) => entry.address);
      for (const address of addresses) this.checkAddress(host, address, port);
    } catch (error) {
      throw this.toUpstreamError(error);
    }
  }

  /**
   * POSTs JSON and emits the server-sent events of the response. `sent` is called once the request is written to
   * the connection, or once it cannot be any more (failed, cancelled), whichever comes first.
   */
  streamEvents(call: UpstreamCall, signal: AbortSignal, sent?: RequestSent): Observable<EventSourceMessage> {
    return new Observable<EventSourceMessage>((subscriber) => {
      let reported = !sent;
      const reportSent = () => {
        if (reported) return;
        reported = true;
        sent!();
      };
      const controller = new AbortController();
      let timeout: UpstreamError | undefined;
      const expire = (error: UpstreamError) => {
        timeout = error;
        controller.abort();
      };
      const silenceFor = (ms: number, what: string) =>
        setTimeout(() => expire(new UpstreamError('upstream_timeout', `The provider sent nothing for ${ms} ms (${what})`)), ms);
      const totalTimer = setTimeout(
        () => expire(new UpstreamError('upstream_timeout', `The reply took longer than ${this.options.totalTimeoutMs} ms`)),
        this.options.totalTimeoutMs,
      );
      const onAbort = () => controller.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      let idleTimer = silenceFor(this.options.firstTokenTimeoutMs, 'waiting for the first token');
      let receiving = false;
      let settled = false;
      const span = this.startAttemptSpan(call);

      this.pump(call, controller.signal, reportSent, span, (message) => {
        // Restarted, not re-created, for every event: this runs once per delta.
        if (receiving) idleTimer.refresh();
        else {
          receiving = true;
          clearTimeout(idleTimer);
          idleTimer = silenceFor(this.options.idleTimeoutMs, 'between tokens');
        }
        subscriber.next(message);
      }).then(
        () => {
          settled = true;
          reportSent();
          span.end();
          subscriber.complete();
        },
        (error: unknown) => {
          settled = true;
          reportSent();
          const failure = timeout ?? this.toUpstreamError(error);
          // The code and our fixed message: a provider's own text never reaches a span, as it never reaches a user.
          span.setAttribute(ERROR_TYPE, failure.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
          span.end();
          subscriber.error(failure);
        },
      );

      return () => {
        reportSent();
        clearTimeout(idleTimer);
        clearTimeout(totalTimer);
        signal.removeEventListener('abort', onAbort);
        // Aborting builds a DOMException with a stack: only a request still under way needs it.
        if (settled) return;
        controller.abort();
        // Cancelled by the caller (a stop, a reply limit): not a failure of the provider.
        span.end();
      };
    });
  }

  /**
   * One span per attempt, a child of the caller's active span (the generation's). Its attributes name the
   * destination and the model, never the URL's path or query, the headers or the body: they carry keys and chat text.
   */
  private startAttemptSpan(call: UpstreamCall): Span {
    const span = chatTracer.startSpan(`chat ${call.model}`, {
      kind: SpanKind.CLIENT,
      attributes: { [GEN_AI.operation]: 'chat', [GEN_AI.provider]: call.provider, [GEN_AI.requestModel]: call.model, 'http.request.method': 'POST' },
    });
    if (span.isRecording()) {
      try {
        const url = new URL(call.url);
        span.setAttributes({ 'server.address': url.hostname, 'server.port': portOf(url.port, url.protocol) });
      } catch {
        // A malformed URL fails the attempt in pump(), which records it.
      }
    }
    return span;
  }

  private async pump(call: UpstreamCall, signal: AbortSignal, sent: RequestSent, span: Span, onEvent: (message: EventSourceMessage) => void): Promise<void> {
    const url = this.parseUrl(call.url);
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...call.headers },
      body: JSON.stringify(call.body),
      dispatcher: new SentReportingDispatcher(this.agent, sent),
      signal,
    });
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const body = await readLimited(response.body, MAX_ERROR_BODY);
      throw errorFromStatus(response.statusCode, body, response.headers['retry-after']);
    }
    // The parser holds an event's lines until the blank line that ends it, so an event that never ends (or a line
    // that never does) would grow without limit: the bytes received since the last dispatched event are counted
    // and the response is cut off beyond the limit. Comments do not reset the count: a comment can sit between
    // the data lines of one event, whose buffer still grows. A chunk that completes an event restarts the count at
    // zero, its bytes after that event uncounted, so the buffer can exceed the limit by less than one socket read.
    const { maxEventBytes } = this.options;
    let pendingBytes = 0;
    const parser = createParser({
      onEvent: (message) => {
        pendingBytes = 0;
        onEvent(message);
      },
    });
    // A multi-byte character can be split across chunks: decode in streaming mode.
    const decoder = new TextDecoder();
    const body = response.body;
    // 'data' events rather than `for await`: a paced provider sends a chunk per delta, and each turn of an async
    // iterator costs promises that this loop runs for every one of them.
    await new Promise<void>((resolve, reject) => {
      body.on('data', (chunk: Buffer) => {
        // Counted before the feed, which resets the count when the chunk completes an event (a chunk can hold many).
        pendingBytes += chunk.length;
        try {
          parser.feed(decoder.decode(chunk, { stream: true }));
        } catch (error) {
          return void body.destroy(error as Error);
        }
        if (pendingBytes > maxEventBytes) {
          // Destroying the body closes the connection: undici does not reuse a socket whose response was not read to its end.
          body.destroy(new UpstreamError('upstream_too_large', `The provider sent an event larger than ${maxEventBytes} bytes`));
        }
      });
      finished(body, (error) => (error ? reject(error) : resolve()));
    });
  }

  private parseUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UpstreamError('upstream_blocked', 'The provider URL is not a valid URL');
    }
    const allowed = this.options.allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!allowed.includes(url.protocol)) {
      throw new UpstreamError('upstream_blocked', `Only ${allowed.join(' and ')} provider URLs are allowed`);
    }
    if (url.username || url.password) throw new UpstreamError('upstream_blocked', 'Provider URLs may not carry credentials');
    return url;
  }

  private checkAddress(host: string, address: string, port: number): void {
    if (this.allowlist.allowsHost(host, port) || this.allowlist.allowsAddress(address, port)) return;
    if (isBlockedAddress(address)) {
      throw new RefusedDestination(`${host === address ? address : `${host} (${address})`} port ${port} is special-purpose and not allow-listed on that port`);
    }
  }

  private resolve(host: string): Promise<LookupAddress[]> {
    return new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
  }

  /**
   * Every connection starts here. A literal address is checked directly (Node skips the lookup hook for those);
   * a name goes through the guarded lookup of the destination port's connector.
   */
  private readonly guardedConnect: buildConnector.connector = (options, callback) => {
    const port = portOf(options.port, options.protocol);
    const host = options.hostname.replace(/^\[|\]$/g, '');
    try {
      if (isIP(host)) this.checkAddress(host, host, port);
    } catch (error) {
      return callback(error as Error, null);
    }
    let connector = this.connectors.get(port);
    if (!connector) {
      connector = buildConnector({ lookup: this.guardedLookup(port), timeout: this.options.connectTimeoutMs });
      this.connectors.set(port, connector);
    }
    connector(options, callback);
  };

  /**
   * Resolves every address of the host and refuses the connection if any of them is refused on this port. The
   * socket connects to an address from this very answer, so DNS rebinding cannot slip past.
   */
  private guardedLookup(port: number): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname).then(
        (addresses) => {
          try {
            for (const entry of addresses) this.checkAddress(hostname, entry.address, port);
          } catch (error) {
            return callback(error as NodeJS.ErrnoException, '', 0);
          }
          if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
          const first = addresses.find((entry) => !options.family || entry.family === options.family) ?? addresses[0]!;
          callback(null, first.address, first.family);
        },
        (error: NodeJS.ErrnoException) => callback(error, '', 0),
      );
    };
  }

  /**
   * Our own errors pass as they are; a timeout stays a timeout (it tells no more than the clock does); every
   * other failure of the transport is the one fixed UNREACHABLE_MESSAGE, with the detail in the log.
   */
  private toUpstreamError(error: unknown): UpstreamError {
    if (error instanceof UpstreamError) return error;
    const cause = (error as { cause?: unknown })?.cause;
    if (cause instanceof UpstreamError) return cause;
    const { code, name, message } = (error ?? {}) as { code?: string; name?: string; message?: string };
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return new UpstreamError('upstream_timeout', 'Connecting to the provider timed out');
    // An abort is ours (the caller left or stopped the reply), not a failure worth a log line.
    if (name !== 'AbortError') {
      const detail = `${code ? `${code}: ` : ''}${message ?? String(error)}`;
      this.logger.warn(`Could not reach the provider: ${redactSecrets(detail).slice(0, 300)}`);
    }
    return new UpstreamError('upstream_error', UNREACHABLE_MESSAGE);
  }
}

/**
 * Hands one request to the agent and reports when undici has written it (headers and body) to the connection:
 * undici's core tells a request's handler so through `onRequestSent` (a call its type definitions leave out). The
 * response's headers report it too, should a transport not make that call: they cannot come before the request.
 */
class SentReportingDispatcher extends Dispatcher {
  constructor(
    private readonly agent: Dispatcher,
    private readonly sent: RequestSent,
  ) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.agent.dispatch(options, new SentReportingHandler(handler, this.sent));
  }
}

/** Undici's own handler for the request, with `sent` called on the way. */
class SentReportingHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly sent: RequestSent,
  ) {}

  onRequestSent(): void {
    this.sent();
  }

  onConnect(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onConnect']>>): void {
    this.handler.onConnect?.(...args);
  }

  onError(error: Error): void {
    this.handler.onError?.(error);
  }

  onUpgrade(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onUpgrade']>>): void {
    this.handler.onUpgrade?.(...args);
  }

  onResponseStarted(): void {
    this.handler.onResponseStarted?.();
  }

  onHeaders(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onHeaders']>>): boolean {
    this.sent();
    return this.handler.onHeaders?.(...args) ?? true;
  }

  onData(chunk: Buffer): boolean {
    return this.handler.onData?.(chunk) ?? true;
  }

  onComplete(trailers: string[] | null): void {
    this.handler.onComplete?.(trailers);
  }

  onBodySent(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onBodySent']>>): void {
    this.handler.onBodySent?.(...args);
  }
}

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    text += chunk.toString('utf8');
    if (text.length >= limit) break;
  }
  return text.slice(0, limit);
}
