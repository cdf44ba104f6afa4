import { Module } from '@nestjs/common';
import { Metrics } from './metrics.js';

/**
 * The Prometheus registry alone, for the modules that count (generations): without the metrics route, whose
 * controller pulls in the throttler, so services can be booted in a test without the HTTP layer.
 */
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
