import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SpanStatusCode } from '@opentelemetry/api';
import { chatTracer } from '@app/ai';
import { databaseConfig } from '@app/common';
import { ChatSessionsRepository } from '@app/persistence';
import { FilesService } from '../files/files.service.js';
import { MetricsService } from '../observability/metrics.service.js';

/** Sessions, or files, per statement: each batch's row locks last one short statement. */
const BATCH_SIZE = 500;
/** Not during start-up itself, where the job would compete with the migrations and the first requests. */
const FIRST_RUN_DELAY_MS = 60_000;
const DAY_MS = 86_400_000;

/** What one run deleted. */
export interface RetentionRun {
  sessions: number;
  unattachedFiles: number;
}

/**
 * Every RETENTION_INTERVAL_MS, by one replica at a time (an advisory lock; the others skip that run): sessions
 * untouched for longer than RETENTION_DAYS (unset: none) are deleted with their messages and files, and uploads
 * never attached to a session once older than FILES_UNATTACHED_TTL. Bytes kept under FILES_DIR go after their rows.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly sessions: ChatSessionsRepository,
    private readonly files: FilesService,
    private readonly metrics: MetricsService,
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(Math.min(FIRST_RUN_DELAY_MS, this.config.retentionIntervalMs));
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * One run: deletes what is older than RETENTION_DAYS, and the unattached uploads older than FILES_UNATTACHED_TTL,
   * before `now`; null when another replica holds the job. Each batch of sessions is counted in the metric as it is
   * deleted, so a run that fails half-way still counts its part.
   */
  async run(now = new Date()): Promise<RetentionRun | null> {
    const days = this.config.retentionDays;
    const before = days === undefined ? undefined : new Date(now.getTime() - days * DAY_MS);
    // A span of its own: the job's statements are not part of any request.
    return chatTracer.startActiveSpan('retention', async (span) => {
      try {
        const deleted = await this.sessions.withRetentionLock(async (manager) => ({
          sessions: before
            ? await this.sessions.deleteUntouchedSince(manager, before, BATCH_SIZE, async (batch) => {
                this.metrics.retentionDeletedSessions.inc(batch.count);
                await this.files.removeExternalBytes(batch.externalFiles);
              })
            : 0,
          unattachedFiles: await this.files.deleteUnattached(manager, now, BATCH_SIZE),
        }));
        span.setAttribute('retention.deleted_sessions', deleted?.sessions ?? 0);
        span.setAttribute('retention.deleted_unattached_files', deleted?.unattachedFiles ?? 0);
        if (deleted === null) this.logger.debug('Retention: another replica is running it');
        else
          this.logger.log(
            `Retention: deleted ${deleted.sessions} session(s)${before ? ` untouched since ${before.toISOString()}` : ''} and ${deleted.unattachedFiles} unattached upload(s)`,
          );
        return deleted;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.run()
        .catch((error: unknown) => this.logger.error('Retention run failed; retried at the next interval', error instanceof Error ? error.stack : String(error)))
        .finally(() => this.stopped || this.schedule(this.config.retentionIntervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
