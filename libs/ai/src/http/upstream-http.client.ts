import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { finished } from 'node:stream';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Observable } from 'rxjs';
import { Agent, request } from 'undici';
import { UpstreamError } from '../upstream.errors.js';
import { isBlockedAddress, UpstreamAllowlist } from './address-policy.js';
import { errorFromStatus, redactSecrets } from './upstream-errors.mapper.js';
import { UPSTREAM_HTTP_OPTIONS, type UpstreamHttpOptions } from './upstream-http.options.js';

export interface UpstreamCall {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

const MAX_ERROR_BODY = 16 * 1024;

const blocked = (what: string) => new UpstreamError('upstream_blocked', `${what} is a private, loopback or reserved address and is not allowed`);

/**
 * The one HTTP path to model providers. It refuses private addresses at connect time (the socket connects to
 * the very address that was checked, so DNS rebinding cannot slip past), follows no redirects, applies
 * first-token, idle and total timeouts, and cancels the request the moment its subscriber goes away.
 */
@Injectable()
export class UpstreamHttpClient implements OnApplicationShutdown {
  private readonly allowlist: UpstreamAllowlist;
  private readonly agent: Agent;

  constructor(@Inject(UPSTREAM_HTTP_OPTIONS) private readonly options: UpstreamHttpOptions) {
    this.allowlist = new UpstreamAllowlist(options.allowedHosts);
    this.agent = new Agent({
      connect: { lookup: this.guardedLookup, timeout: options.connectTimeoutMs },
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

  /** For saving a base URL: the same checks a connection would make, with a readable error. */
  async assertSafeUrl(raw: string): Promise<void> {
    const url = this.parseUrl(raw);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (this.allowlist.allowsHost(host)) return;
    const addresses = isIP(host) ? [host] : (await this.resolve(host)).map((entry) => entry.address);
    for (const address of addresses) this.checkAddress(host, address);
  }

  /** POSTs JSON and emits the server-sent events of the response. */
  streamEvents(call: UpstreamCall, signal: AbortSignal): Observable<EventSourceMessage> {
    return new Observable<EventSourceMessage>((subscriber) => {
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

      this.pump(call, controller.signal, (message) => {
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
          subscriber.complete();
        },
        (error: unknown) => {
          settled = true;
          subscriber.error(timeout ?? this.toUpstreamError(error));
        },
      );

      return () => {
        clearTimeout(idleTimer);
        clearTimeout(totalTimer);
        signal.removeEventListener('abort', onAbort);
        // Aborting builds a DOMException with a stack: only a request still under way needs it.
        if (!settled) controller.abort();
      };
    });
  }

  private async pump(call: UpstreamCall, signal: AbortSignal, onEvent: (message: EventSourceMessage) => void): Promise<void> {
    const url = this.parseUrl(call.url);
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    // Node skips the lookup hook for literal addresses, so those are checked here.
    if (isIP(literal)) this.checkAddress(literal, literal);

    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...call.headers },
      body: JSON.stringify(call.body),
      dispatcher: this.agent,
      signal,
    });
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

  private checkAddress(host: string, address: string): void {
    if (this.allowlist.allowsHost(host) || this.allowlist.allowsAddress(address)) return;
    if (isBlockedAddress(address)) throw blocked(host === address ? address : `${host} (${address})`);
  }

  private resolve(host: string): Promise<LookupAddress[]> {
    return new Promise((resolve, reject) =>
      dnsLookup(host, { all: true, verbatim: true }, (error, addresses) =>
        error ? reject(new UpstreamError('upstream_error', `Could not resolve ${host}`)) : resolve(addresses),
      ),
    );
  }

  /** Resolves every address of the host and refuses the connection if any of them is private. */
  private readonly guardedLookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (addresses) => {
        try {
          for (const entry of addresses) this.checkAddress(hostname, entry.address);
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

  private toUpstreamError(error: unknown): UpstreamError {
    if (error instanceof UpstreamError) return error;
    const cause = (error as { cause?: unknown })?.cause;
    if (cause instanceof UpstreamError) return cause;
    const code = (error as { code?: string })?.code;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return new UpstreamError('upstream_timeout', 'Connecting to the provider timed out');
    if (code === 'ECONNREFUSED') return new UpstreamError('upstream_error', 'The provider refused the connection');
    const message = error instanceof Error ? redactSecrets(error.message).slice(0, 200) : 'unknown failure';
    return new UpstreamError('upstream_error', `The connection to the provider failed: ${message}`);
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
