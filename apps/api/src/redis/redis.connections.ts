import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Redis } from 'ioredis';
import { appConfig } from '@app/common';
import { RedisChannels } from './redis-channels.js';

/**
 * The Redis connections of this process when REDIS_URL is set: one for commands (auto-pipelined, so the
 * many small writes of running generations share round trips) and one for pub/sub, which Redis reserves
 * a connection for. Without REDIS_URL everything that would use them stays in process memory.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnections.name);
  readonly client: Redis | null;
  private subscriberConnection?: Redis;
  private channelsOfThisProcess?: RedisChannels;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    this.client = config.redisUrl ? this.watch(new Redis(config.redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 3 })) : null;
  }

  /** Pub/sub channels, on the one connection this process subscribes with. */
  get channels(): RedisChannels {
    if (!this.client) throw new Error('Redis is not configured');
    this.subscriberConnection ??= this.watch(this.client.duplicate());
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
