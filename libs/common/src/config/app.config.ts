import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader, type Env } from './env-reader.js';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;

/** Redis Cluster hash tags ({…}) included, so a prefix can keep one deployment's keys on one slot if wanted. */
const REDIS_KEY_PREFIX = /^[\w.:{}-]{0,64}$/;

export function parseAppConfig(env: Env) {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf('NODE_ENV', NODE_ENVS, 'development');
  const metricsToken = read.string('METRICS_TOKEN');
  const metricsPort = read.string('METRICS_PORT') === undefined ? undefined : read.int('METRICS_PORT', 0, { min: 1, max: 65535 });
  // Metrics name routes, providers and error rates: in production they are for the scraper, not for anyone who finds the API.
  if (nodeEnv === 'production' && metricsToken === undefined && metricsPort === undefined) {
    throw new ConfigError('METRICS_TOKEN', 'or METRICS_PORT is required when NODE_ENV=production, so that /metrics is not public on the API port');
  }
  const redisKeyPrefix = read.string('REDIS_KEY_PREFIX', '');
  if (!REDIS_KEY_PREFIX.test(redisKeyPrefix)) throw new ConfigError('REDIS_KEY_PREFIX', 'must be at most 64 letters, digits or _ . : { } -');
  return {
    nodeEnv,
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'log'),
    host: read.string('HOST', '0.0.0.0'),
    port: read.int('PORT', 3000, { min: 0, max: 65535 }),
    /**
     * Connections the kernel completes and queues while the server is busy, before it drops new ones (capped by
     * net.core.somaxconn). Node's 511 overflowed under 500 new streams a second: those clients waited out SYN
     * retries and timed out.
     */
    listenBacklog: read.int('LISTEN_BACKLOG', 4096, { min: 1, max: 65535 }),
    dataDir: read.string('DATA_DIR', './data'),
    corsOrigins: read.list('CORS_ORIGINS'),
    /** Number of reverse-proxy hops whose X-Forwarded-For is trusted; 0 trusts none. */
    trustProxyHops: read.int('TRUST_PROXY_HOPS', 0, { max: 10 }),
    /** Largest JSON body, and NATS message, in bytes. */
    bodyLimit: read.bytes('BODY_LIMIT', '1mb', { max: 1024 ** 3 }),
    /**
     * Deepest nesting of arrays and objects in a JSON body or NATS message, checked on the raw bytes before
     * parsing: deeper values would overflow the stack of the recursive steps after parsing.
     */
    bodyMaxDepth: read.int('BODY_MAX_DEPTH', 32, { min: 1, max: 1000 }),
    /** Largest conversation file `POST /api/chat/import` takes, in bytes (413 beyond); parsed in memory, hence the cap. */
    importMaxBytes: read.bytes('CHAT_IMPORT_MAX_BYTES', '20mb', { min: 1024, max: 256 * 1024 ** 2 }),
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, { max: 600_000 }),
    /** When set, the chat is also served over NATS (message patterns chat.stream, chat.sessions.list). */
    natsUrl: read.url('NATS_URL', ['nats:', 'tls:']),
    /** When set, replicas share throttling counters, generation events (resume) and stop requests through Redis. */
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
    /**
     * Put before every Redis key and channel of this deployment, so that several deployments can share one Redis.
     * Replicas of one deployment must use the same.
     */
    redisKeyPrefix,
    /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
    metricsToken,
    /** When set, /metrics is served on this port of HOST instead of the API port (which then has no /metrics). */
    metricsPort,
    /** Swagger UI and the OpenAPI document at /api/docs; off by default in production. */
    apiDocs: read.bool('API_DOCS', nodeEnv !== 'production'),
  };
}

export const appConfig = registerAs('app', () => parseAppConfig(process.env));
export type AppConfig = ReturnType<typeof parseAppConfig>;
