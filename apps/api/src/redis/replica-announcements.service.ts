import { Injectable, Logger } from '@nestjs/common';
import { RedisConnectionsService } from './redis-connections.service.js';

/**
 * Best-effort news between replicas over Redis pub/sub ("this changed: forget what you remember of it"). Without
 * REDIS_URL there is one process and nothing to tell. An announcement lost while Redis is unreachable is only
 * logged: listeners keep their own short TTL as the bound on what a lost one can leave stale.
 */
@Injectable()
export class ReplicaAnnouncements {
  private readonly logger = new Logger(ReplicaAnnouncements.name);

  constructor(private readonly redis: RedisConnectionsService) {}

  /** Not awaited by callers at start-up: with Redis down the server still starts, and hears once it is back. */
  hear(channel: string, handle: (message: string) => void): void {
    if (!this.redis.client) return;
    this.redis.channels.listen(channel, handle).catch((error: unknown) => {
      this.logger.error(`Could not listen on ${channel}: ${describe(error)}`);
    });
  }

  async announce(channel: string, message: string): Promise<void> {
    await this.redis.client?.publish(this.redis.channels.name(channel), message).catch((error: unknown) => {
      this.logger.warn(`Could not tell other replicas on ${channel}: ${describe(error)}`);
    });
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
