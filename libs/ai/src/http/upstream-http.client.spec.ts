import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { firstValueFrom, toArray } from 'rxjs';
import { parseAllowedUpstreamHost } from '@app/common';
import { UpstreamError } from '../upstream.errors.js';
import { UNREACHABLE_MESSAGE, UpstreamHttpClient } from './upstream-http.client.js';
import type { UpstreamHttpOptions } from './upstream-http.options.js';

const allow = (...entries: string[]) => entries.map((entry) => parseAllowedUpstreamHost('ALLOWED_UPSTREAM_HOSTS', entry));
const unreachable = expect.objectContaining({ code: 'upstream_error', message: UNREACHABLE_MESSAGE });
const ANY_ADDRESS = /\d+\.\d+\.\d+\.\d+|[0-9a-f]*:[0-9a-f]*:[0-9a-f:]*/i;

/** A port nothing listens on: bound, read and closed again. */
async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const options = (overrides: Partial<UpstreamHttpOptions> = {}): UpstreamHttpOptions => ({
  allowHttp: true,
  allowedHosts: [],
  connectTimeoutMs: 1000,
  firstTokenTimeoutMs: 1000,
  idleTimeoutMs: 1000,
  totalTimeoutMs: 5000,
  maxEventBytes: 1_048_576,
  ...overrides,
});

describe('UpstreamHttpClient', () => {
  let server: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits += 1;
      res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const collect = (client: UpstreamHttpClient, url: string) =>
    firstValueFrom(client.streamEvents({ url, headers: {}, body: {}, provider: 'openai', model: 'fake' }, new AbortController().signal).pipe(toArray()));

  it('refuses, at connect time, a host name that resolves to a private address: nothing reaches the server', async () => {
    const client = new UpstreamHttpClient(options());
    const before = hits;
    await expect(collect(client, `http://localhost:${port}/v1/chat/completions`)).rejects.toEqual(unreachable);
    await expect(collect(client, `http://127.0.0.1:${port}/v1/chat/completions`)).rejects.toEqual(unreachable);
    await expect(collect(client, `http://[::ffff:127.0.0.1]:${port}/v1/chat/completions`)).rejects.toEqual(unreachable);
    await expect(collect(client, `http://[::ffff:0:7f00:1]:${port}/v1/chat/completions`)).rejects.toEqual(unreachable);
    expect(hits).toBe(before);
    await expect(client.assertSafeUrl(`http://localhost:${port}`)).rejects.toBeInstanceOf(UpstreamError);
    await client.onApplicationShutdown();
  });

  it('allows an address allow-listed with a port on that port only, at save and at connect time', async () => {
    const client = new UpstreamHttpClient(options({ allowedHosts: allow(`127.0.0.1:${port}`, `localhost:${port}`) }));
    const before = hits;
    await expect(collect(client, `http://127.0.0.1:${port}/v1/chat/completions`)).rejects.toEqual(expect.objectContaining({ status: 302 }));
    await expect(collect(client, `http://localhost:${port}/v1/chat/completions`)).rejects.toEqual(expect.objectContaining({ status: 302 }));
    expect(hits).toBe(before + 2);
    await client.assertSafeUrl(`http://127.0.0.1:${port}/v1`);
    const other = await closedPort();
    await expect(collect(client, `http://127.0.0.1:${other}/v1/chat/completions`)).rejects.toEqual(unreachable);
    await expect(collect(client, `http://localhost:${other}/v1/chat/completions`)).rejects.toEqual(unreachable);
    await expect(client.assertSafeUrl(`http://127.0.0.1:${other}/v1`)).rejects.toEqual(unreachable);
    await expect(client.assertSafeUrl(`http://localhost:${other}/v1`)).rejects.toEqual(unreachable);
    await client.onApplicationShutdown();
  });

  it('tells a refused address, a closed port and a failed name lookup apart by nothing, and names no address', async () => {
    const client = new UpstreamHttpClient(options({ allowedHosts: allow('127.0.0.1') }));
    const closed = await closedPort();
    const failures = await Promise.all(
      [`http://127.0.0.1:${closed}/v1`, 'http://10.0.0.1/v1', 'http://[::1]:8080/v1', 'http://name-that-does-not-exist.invalid/v1'].map((url) =>
        collect(client, url).then(() => undefined, (error: UpstreamError) => ({ code: error.code, message: error.message })),
      ),
    );
    expect(failures).toEqual(Array(4).fill({ code: 'upstream_error', message: UNREACHABLE_MESSAGE }));
    expect(UNREACHABLE_MESSAGE).not.toMatch(ANY_ADDRESS);
    for (const url of ['http://10.0.0.1/v1', 'http://[::1]:8080/v1', 'http://name-that-does-not-exist.invalid/v1', 'http://[2002:7f00:1::]/']) {
      await expect(client.assertSafeUrl(url)).rejects.toEqual(unreachable);
    }
    await client.onApplicationShutdown();
  });

  it('refuses http when only https is allowed, and URLs carrying credentials', async () => {
    const client = new UpstreamHttpClient(options({ allowHttp: false, allowedHosts: allow('127.0.0.1') }));
    await expect(client.assertSafeUrl(`http://127.0.0.1:${port}`)).rejects.toThrow(/Only https:/);
    await expect(client.assertSafeUrl('https://user:pass@example.com')).rejects.toThrow(/credentials/);
    await client.onApplicationShutdown();
  });

  it('lets an allowlisted address through but never follows a redirect (to metadata or anywhere)', async () => {
    const client = new UpstreamHttpClient(options({ allowedHosts: allow('127.0.0.1') }));
    const before = hits;
    await expect(collect(client, `http://localhost:${port}/v1/chat/completions`)).rejects.toEqual(expect.objectContaining({ code: 'upstream_error', status: 302 }));
    expect(hits).toBe(before + 1);
    await client.assertSafeUrl(`http://127.0.0.1:${port}`);
    await client.onApplicationShutdown();
  });
});

describe('UpstreamHttpClient event size limit', () => {
  let server: Server;
  let base: string;
  const closed: Promise<void>[] = [];

  beforeAll(async () => {
    // /events: 50 events of 2 KB; /endless: one event whose data lines never end it; /comments: comments between its data lines.
    server = createServer((req, res) => {
      closed.push(new Promise((resolve) => res.on('close', resolve)));
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      if (req.url === '/events') return void res.end(Array.from({ length: 50 }, () => `data: ${'x'.repeat(2048)}\n\n`).join(''));
      const line = req.url === '/comments' ? `data: ${'y'.repeat(1000)}\n: keep-alive\n` : 'z'.repeat(1024);
      const timer = setInterval(() => res.write(line.repeat(16)), 1);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const collect = (client: UpstreamHttpClient, path: string) =>
    firstValueFrom(client.streamEvents({ url: `${base}${path}`, headers: {}, body: {}, provider: 'openai', model: 'fake' }, new AbortController().signal).pipe(toArray()));

  it('passes events below the limit, however many there are in all', async () => {
    const client = new UpstreamHttpClient(options({ allowedHosts: allow('127.0.0.1'), maxEventBytes: 4096 }));
    expect(await collect(client, '/events')).toHaveLength(50);
    await client.onApplicationShutdown();
  });

  it.each(['/endless', '/comments'])('cuts off an event that grows past the limit (%s) and closes the connection', async (path) => {
    const client = new UpstreamHttpClient(options({ allowedHosts: allow('127.0.0.1'), maxEventBytes: 64 * 1024 }));
    await expect(collect(client, path)).rejects.toEqual(
      expect.objectContaining({ code: 'upstream_too_large', message: 'The provider sent an event larger than 65536 bytes' }),
    );
    await closed.at(-1);
    await client.onApplicationShutdown();
  });
});
