import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { appConfig } from '@app/common';
import { GenerationsService } from '../generations/generations.service.js';

const IDLE_REAP_MS = 20;
const FLUSH_LIMIT_MS = 2_000;

/**
 * On shutdown: stop accepting connections, let running replies finish for SHUTDOWN_GRACE_MS, then stop and save
 * the rest as aborted. Runs before Nest closes the HTTP server and, after it, the database. The server's side of
 * it lives here; generations only know how to drain, whatever protocol their clients use.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);

  constructor(
    private readonly generations: GenerationsService,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    // A keep-alive connection whose response just ended must not carry new requests in: close it once idle.
    const reaper = server && setInterval(() => server.closeIdleConnections(), IDLE_REAP_MS);
    server?.closeIdleConnections();
    try {
      const { finished, stopped } = await this.generations.drain(this.config.shutdownGraceMs);
      if (finished + stopped > 0) this.logger.log(`Shutdown: ${finished} repl${finished === 1 ? 'y' : 'ies'} finished, ${stopped} stopped and saved as aborted`);
      // The stopped streams are still writing their last event; Nest force-closes every connection next.
      await this.until(closed, FLUSH_LIMIT_MS);
    } finally {
      clearInterval(reaper);
    }
  }

  private async until(done: Promise<void>, limitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)))]);
    clearTimeout(timer);
  }
}
