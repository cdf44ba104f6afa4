import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '@app/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsModule } from './metrics.module.js';
import { MetricsServer } from './metrics.server.js';
import { createRootLogger, ROOT_LOGGER } from './pino.logger.js';

@Module({
  imports: [MetricsModule],
  controllers: [MetricsController],
  providers: [
    MetricsServer,
    { provide: ROOT_LOGGER, inject: [appConfig.KEY], useFactory: (config: ConfigType<typeof appConfig>) => createRootLogger(config.logLevel) },
  ],
  exports: [MetricsModule, ROOT_LOGGER],
})
export class ObservabilityModule {}
