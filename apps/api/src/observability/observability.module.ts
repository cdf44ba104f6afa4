import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '@app/common';
import { Metrics } from './metrics.js';
import { MetricsController } from './metrics.controller.js';
import { createRootLogger, ROOT_LOGGER } from './pino.logger.js';

@Module({
  controllers: [MetricsController],
  providers: [Metrics, { provide: ROOT_LOGGER, inject: [appConfig.KEY], useFactory: (config: ConfigType<typeof appConfig>) => createRootLogger(config.logLevel) }],
  exports: [Metrics, ROOT_LOGGER],
})
export class ObservabilityModule {}
