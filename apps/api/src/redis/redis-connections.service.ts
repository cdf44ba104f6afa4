import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Redis } from 'ioredis';
import { appConfig } from '@app/common';
import { RedisChannels } from './redis-channels.js';

/**
 * A command that Redis has not answered by then fails, so a hung Redis (stopped, partitioned) costs a request
 * at most this long instead of hanging it. Far above any healthy round trip, even with the bench's load.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/**
 * The Redis connections of this process when REDIS_URL is set: one for commands (auto-pipelined, so the
 * many small writes of running generations share round trips) and one for pub/sub, which Redis reserves
 * a connection for. Without REDIS_URL everything that would use them stays in process memory.
 */
@Injectable()
export class RedisConnectionsService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnectionsService.name);
  readonly client: Redis | null;
  private subscriberConnection?: Redis;
  private channelsOfThisProcess?: RedisChannels;

  /**
   * Commands wait for the first connection (start-up), bounded by the command timeout; once it has connected they
   * fail at once while it is down (no offline queue), so a route that needs Redis answers 503 at once during an
   * outage instead of after ioredis's retries, and one that does not is never held up by it.
   */
  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    if (!config.redisUrl) {
      this.client = null;
      return;
    }
    // keyPrefix reaches every key, those of scripts (EVAL's KEYS) included, but not pub/sub channels: RedisChannels
    // puts it before those. The subscriber connection, a duplicate of this one, inherits it.
    const client = new Redis(config.redisUrl, { enableAutoPipelining: true, commandTimeout: REDIS_COMMAND_TIMEOUT_MS, keyPrefix: config.redisKeyPrefix });
    client.once('ready', () => (client.options.enableOfflineQueue = false));
    this.client = this.watch(client);
  }

  /** True while commands can be sent: connected and through ioredis's ready check. */
  get available(): boolean {
    return this.client?.status === 'ready';
  }

  /**
   * Pub/sub channels, on the one connection this process subscribes with. Unlike commands, a subscription made
   * while the connection is down waits for it (offline queue, no retry limit) and ioredis renews it after every
   * reconnect: the subscriptions a process makes at start-up must hold for its whole life.
   */
  get channels(): RedisChannels {
    if (!this.client) throw new Error('Redis is not configured');
    this.subscriberConnection ??= this.watch(this.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined }));
    this.channelsOfThisProcess ??= new RedisChannels(this.subscriberConnection);
    return this.channelsOfThisProcess;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.subscriberConnection?.quit(), this.client?.quit()].map((closing) => closing?.catch(() => undefined)));
  }

  /** ioredis reconnects by itself; without a listener its `error` events would crash the process. */
  private watch(connection: Redis): Redis {
    let reported = false;
    connection.on('error', (error: Error) => {
      if (!reported) this.logger.error(`Redis: ${error.message}; reconnecting`);
      reported = true;
    });
    connection.on('ready', () => (reported = false));
    return connection;
  }
}
