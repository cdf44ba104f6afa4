import { Controller, Get, Header, Headers, Inject, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { AppError, appConfig } from '@app/common';
import { Public } from '../auth/public.decorator.js';
import { scrapeAllowed } from './metrics-token.js';
import { MetricsService } from './metrics.service.js';

/**
 * Prometheus text format at /metrics on the API port; with METRICS_TOKEN set, scrapers must send it as a bearer
 * token. With METRICS_PORT set the metrics live on that port only (MetricsServer) and this route answers 404.
 */
@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Headers('authorization') authorization?: string): Promise<string> {
    if (this.config.metricsPort !== undefined) throw new NotFoundException('Cannot GET /metrics');
    if (!scrapeAllowed(this.config.metricsToken, authorization)) throw new AppError('UNAUTHENTICATED', 'A valid metrics token is required');
    return this.metrics.registry.metrics();
  }
}
