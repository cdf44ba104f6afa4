import { isIP } from 'node:net';
import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader, type Env } from './env-reader.js';

/** One `ALLOWED_UPSTREAM_HOSTS` entry: a host name, or an address range (one address is a /32 or /128), on one port or on all. */
export type AllowedUpstreamHost = ({ name: string } | { network: string; prefix: number }) & { port?: number };

const BRACKETED = /^\[([^\]]*)\](?::([^:]*))?$/;

/**
 * `host`, `host:port`, `address`, `address:port`, `network/prefix`, `network/prefix:port`; IPv6 in brackets to carry
 * a port (`[fd00::5]:11434`, `[fd00::/8]:11434`) or bare without one. Anything else stops start-up: an entry that
 * can never match would silently leave the operator's model server blocked, or a port open they meant to close.
 */
export function parseAllowedUpstreamHost(variable: string, entry: string): AllowedUpstreamHost {
  const refuse = (problem: string) => new ConfigError(variable, `entry "${entry}" ${problem}`);
  let target = entry;
  let portText: string | undefined;
  const bracketed = BRACKETED.exec(entry);
  if (bracketed) [, target = '', portText] = bracketed;
  else if (entry.split(':').length === 2) [target = '', portText] = entry.split(':');
  // More colons without brackets: a bare IPv6 address or range, which cannot carry a port.

  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) throw refuse('has an invalid port: use 1-65535');
  }
  const onPort = port === undefined ? {} : { port };
  if (bracketed && isIP(target.split('/')[0] ?? '') !== 6) throw refuse('is not a host name, address or CIDR range: only IPv6 goes in brackets');

  if (target.includes('/')) {
    const [network = '', prefixText = ''] = target.split('/');
    const family = isIP(network);
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (family === 0 || network.includes('%') || !(prefix <= (family === 4 ? 32 : 128))) {
      throw refuse('is not a valid CIDR range (e.g. 10.0.0.0/8 or fd00::/8)');
    }
    return { network, prefix, ...onPort };
  }
  const family = isIP(target);
  if (family !== 0) {
    if (target.includes('%')) throw refuse('may not carry an IPv6 zone id');
    return { network: target, prefix: family === 4 ? 32 : 128, ...onPort };
  }
  // A name must already be what WHATWG URL makes of it, or it would never equal a provider URL's host name
  // (`0x7f.1`, `127.1` and `bücher.example` are rewritten by URL; use the address or the punycode name).
  let hostname: string | undefined;
  try {
    hostname = new URL(`http://${target}/`).hostname;
  } catch {
    hostname = undefined;
  }
  if (!target || hostname !== target.toLowerCase()) throw refuse('is not a host name, address or CIDR range');
  return { name: hostname, ...onPort };
}

export function parseUpstreamConfig(env: Env) {
  const read = new EnvReader(env);
  return {
    allowHttp: read.bool('UPSTREAM_ALLOW_HTTP', false),
    /** Hosts, IPs or CIDRs, each optionally on one port, exempt from the private-address block (an on-premise model server, the test fake). */
    allowedHosts: read.list('ALLOWED_UPSTREAM_HOSTS').map((entry) => parseAllowedUpstreamHost('ALLOWED_UPSTREAM_HOSTS', entry)),
    connectTimeoutMs: read.int('UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, { min: 10, max: 600_000 }),
    firstTokenTimeoutMs: read.int('UPSTREAM_FIRST_TOKEN_TIMEOUT_MS', 60_000, { min: 10, max: 3_600_000 }),
    idleTimeoutMs: read.int('UPSTREAM_IDLE_TIMEOUT_MS', 60_000, { min: 10, max: 3_600_000 }),
    totalTimeoutMs: read.int('UPSTREAM_TOTAL_TIMEOUT_MS', 600_000, { min: 10, max: 86_400_000 }),
    /** The most bytes one server-sent event of a provider may take while it is read; beyond it the reply fails. */
    maxEventBytes: read.int('UPSTREAM_MAX_EVENT_BYTES', 1_048_576, { min: 1024, max: 268_435_456 }),
    /** How long a connection is passed over after a 401, a 429 (its Retry-After if longer) or a 5xx. */
    cooldownMs: read.int('ROUTING_COOLDOWN_MS', 30_000, { min: 0, max: 3_600_000 }),
    /** The longest Retry-After a reply waits for before asking the same target again; beyond it the 429 is final. */
    retryAfterMaxMs: read.int('ROUTING_RETRY_AFTER_MAX_MS', 5_000, { min: 0, max: 60_000 }),
    /** The most upstream requests one reply makes, one after the other (targets, fallbacks, a Retry-After's second try). */
    maxAttempts: read.int('ROUTING_MAX_ATTEMPTS', 3, { min: 1, max: 10 }),
  };
}

export const upstreamConfig = registerAs('upstream', () => parseUpstreamConfig(process.env));
export type UpstreamConfig = ReturnType<typeof parseUpstreamConfig>;
