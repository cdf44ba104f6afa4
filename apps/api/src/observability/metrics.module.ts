import { Module } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';

/**
 * The Prometheus registry alone, for the modules that count (generations): without the metrics route, whose
 * controller pulls in the throttler, so services can be booted in a test without the HTTP layer.
 */
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
