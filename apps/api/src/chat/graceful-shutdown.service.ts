import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { appConfig } from '@app/common';
import { GenerationTracker } from './generation.tracker.js';

const FLUSH_POLL_MS = 20;
const FLUSH_LIMIT_MS = 2_000;

/**
 * On shutdown: stop accepting connections, let running replies finish for SHUTDOWN_GRACE_MS, then stop and save
 * the rest as aborted. Runs before Nest closes the HTTP server and, after it, the database.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);

  constructor(
    private readonly tracker: GenerationTracker,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    server?.closeIdleConnections();
    const { finished, stopped } = await this.tracker.drain(this.config.shutdownGraceMs);
    if (finished + stopped > 0) this.logger.log(`Shutdown: ${finished} repl${finished === 1 ? 'y' : 'ies'} finished, ${stopped} stopped and saved as aborted`);
    if (server) await this.untilFlushed(server, closed);
  }

  /**
   * The last events of the stopped streams are still being written; Nest force-closes every connection next.
   * Connections become idle once their response has ended, so closing idle ones until none is left lets each
   * client get its final event.
   */
  private async untilFlushed(server: Server, closed: Promise<void>): Promise<void> {
    const reaper = setInterval(() => server.closeIdleConnections(), FLUSH_POLL_MS);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_LIMIT_MS)))]);
    clearInterval(reaper);
    clearTimeout(timer);
  }
}
