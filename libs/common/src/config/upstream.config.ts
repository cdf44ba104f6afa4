import { registerAs } from '@nestjs/config';
import { EnvReader, type Env } from './env-reader.js';

export function parseUpstreamConfig(env: Env) {
  const read = new EnvReader(env);
  return {
    allowHttp: read.bool('UPSTREAM_ALLOW_HTTP', false),
    /** Hosts, IPs or CIDRs exempt from the private-address block (an on-premise model server, the test fake). */
    allowedHosts: read.list('ALLOWED_UPSTREAM_HOSTS'),
    connectTimeoutMs: read.int('UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, { min: 10, max: 600_000 }),
    firstTokenTimeoutMs: read.int('UPSTREAM_FIRST_TOKEN_TIMEOUT_MS', 60_000, { min: 10, max: 3_600_000 }),
    idleTimeoutMs: read.int('UPSTREAM_IDLE_TIMEOUT_MS', 60_000, { min: 10, max: 3_600_000 }),
    totalTimeoutMs: read.int('UPSTREAM_TOTAL_TIMEOUT_MS', 600_000, { min: 10, max: 86_400_000 }),
    /** The most bytes one server-sent event of a provider may take while it is read; beyond it the reply fails. */
    maxEventBytes: read.int('UPSTREAM_MAX_EVENT_BYTES', 1_048_576, { min: 1024, max: 268_435_456 }),
  };
}

export const upstreamConfig = registerAs('upstream', () => parseUpstreamConfig(process.env));
export type UpstreamConfig = ReturnType<typeof parseUpstreamConfig>;
