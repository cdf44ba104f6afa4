import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader, type Env } from './env-reader.js';

function currencyCode(code: string): string {
  if (!/^[A-Z]{3}$/.test(code)) throw new ConfigError('BUDGET_CURRENCY', `must be an ISO 4217 code in capitals such as USD or EUR, got "${code.slice(0, 20)}"`);
  return code;
}

/** `provider/model`, split at the first slash (model names may have their own). */
function parseTitleModel(raw: string | undefined): { provider: string; model: string } | undefined {
  if (raw === undefined) return undefined;
  const match = /^([a-z0-9-]+)\/(.{1,200})$/.exec(raw);
  if (!match) throw new ConfigError('TITLE_MODEL', `must be provider/model, like openai/gpt-4o-mini, got "${raw}"`);
  return { provider: match[1]!, model: match[2]! };
}

export function parseChatConfig(env: Env) {
  const read = new EnvReader(env);
  return {
    historyMaxMessages: read.int('CHAT_HISTORY_MAX_MESSAGES', 40, { min: 1, max: 1000 }),
    historyMaxChars: read.int('CHAT_HISTORY_MAX_CHARS', 48_000, { min: 1000, max: 10_000_000 }),
    defaultTemperature: read.number('CHAT_DEFAULT_TEMPERATURE', 0.7, { min: 0, max: 2 }),
    heartbeatMs: read.int('SSE_HEARTBEAT_MS', 15_000, { min: 100, max: 600_000 }),
    /** Replies one user may have generating at once, per server process. */
    maxConcurrentPerUser: read.int('CHAT_MAX_CONCURRENT_PER_USER', 10, { min: 1, max: 100_000 }),
    /** The most characters a reply may have; beyond it the upstream is cut off and the reply fails (`upstream_too_large`). */
    maxReplyChars: read.int('CHAT_MAX_REPLY_CHARS', 400_000, { min: 1000, max: 100_000_000 }),
    /** How long a finished generation's events stay available to clients that reconnect. */
    generationRetentionMs: read.int('GENERATION_RETENTION_MS', 300_000, { min: 1000, max: 86_400_000 }),
    /** With Redis: how long a session stays locked by a reply whose replica died; its live owner renews it every third of this. */
    generationLeaseMs: read.int('GENERATION_LEASE_MS', 15_000, { min: 1000, max: 600_000 }),
    /**
     * The total size, in characters (about bytes), of the finished generations' events this process keeps for
     * reconnects, oldest forgotten first: the count alone is no bound when replies can be large.
     */
    generationRetentionMaxChars: read.int('GENERATION_RETENTION_MAX_CHARS', 67_108_864, { min: 100_000, max: 4_294_967_296 }),
    /** The currency budgets are set in: the price table's (a model priced in another counts as unpriced for budgets). */
    budgetCurrency: currencyCode(read.string('BUDGET_CURRENCY', 'USD')),
    /**
     * Output tokens a reply of a user with a budget is reserved for when its request sets no maximum; the request
     * is then capped at it, so the reservation is a true worst case.
     */
    budgetMaxOutputTokens: read.int('BUDGET_MAX_OUTPUT_TOKENS', 4096, { min: 1, max: 1_000_000 }),
    /** How long the usage record of a reply that is not stored waits to be written with others (UsageRecordBatcher). */
    usageWriteDelayMs: read.int('USAGE_WRITE_DELAY_MS', 100, { min: 0, max: 10_000 }),
    streamLimitPerMinute: read.int('THROTTLE_STREAM_LIMIT', 20, { min: 1, max: 1_000_000 }),
    streamLimitWindowMs: read.int('THROTTLE_STREAM_TTL_MS', 60_000, { min: 1000, max: 86_400_000 }),
    requestLimitPerMinute: read.int('THROTTLE_DEFAULT_LIMIT', 600, { min: 1, max: 1_000_000 }),
    /** Generate a session's title after its first reply; false keeps the first words of the first message. */
    titleGeneration: read.bool('TITLE_GENERATION', true),
    /** The model titles are asked of, with the user's own credentials for its provider; by default the session's. */
    titleModel: parseTitleModel(read.string('TITLE_MODEL')),
    /** How long the chat stream stays open after `done` for the `title` event; a later title is only saved. */
    titleWaitMs: read.int('TITLE_WAIT_MS', 5000, { min: 0, max: 60_000 }),
  };
}

export const chatConfig = registerAs('chat', () => parseChatConfig(process.env));
export type ChatConfig = ReturnType<typeof parseChatConfig>;
