import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { upstreamConfig } from '@app/common';
import { MessagesRepository } from '@app/persistence';
import { longestGenerationMs } from './stores/generation.store.js';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * No reply may stay `streaming` forever: after a crash or a kill, whatever was still streaming is marked
 * `aborted` once it is older than any generation can run, at start-up and then every minute.
 */
@Injectable()
export class StaleReplySweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StaleReplySweeper.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly messages: MessagesRepository,
    @Inject(upstreamConfig.KEY) private readonly upstream: ConfigType<typeof upstreamConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    try {
      const swept = await this.messages.abortStaleReplies(new Date(Date.now() - longestGenerationMs(this.upstream)));
      if (swept > 0) this.logger.warn(`Marked ${swept} interrupted repl${swept === 1 ? 'y' : 'ies'} as aborted`);
    } catch (error) {
      this.logger.error('Sweeping interrupted replies failed', error instanceof Error ? error.stack : String(error));
    }
  }
}
