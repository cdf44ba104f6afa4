import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Everything operators can scrape at /metrics. Labels stay low-cardinality: no ids, no free-form model names. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route and status (streams: until the stream ends)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly streamSetup = new Histogram({
    name: 'http_stream_setup_seconds',
    help: "Event streams by route, until their headers: the gateway's work before the upstream request (also sent as Server-Timing)",
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly activeStreams = new Gauge({ name: 'chat_active_streams', help: 'Replies being generated now', registers: [this.registry] });

  readonly timeToFirstToken = new Histogram({
    name: 'chat_time_to_first_token_seconds',
    help: 'From the stream request to the first delta relayed',
    labelNames: ['provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  readonly deltas = new Counter({ name: 'chat_deltas_relayed_total', help: 'Content deltas relayed to clients', labelNames: ['provider', 'model'] as const, registers: [this.registry] });

  readonly tokens = new Counter({
    name: 'chat_tokens_total',
    help: 'Tokens reported by providers',
    labelNames: ['provider', 'model', 'kind'] as const,
    registers: [this.registry],
  });

  readonly generations = new Counter({
    name: 'chat_generations_total',
    help: 'Replies by how they ended: complete, error, aborted',
    labelNames: ['provider', 'status'] as const,
    registers: [this.registry],
  });

  readonly retentionDeletedSessions = new Counter({
    name: 'retention_deleted_sessions_total',
    help: 'Sessions deleted, with their messages, for being untouched longer than RETENTION_DAYS',
    registers: [this.registry],
  });

  readonly upstreamErrors = new Counter({ name: 'chat_upstream_errors_total', help: 'Upstream failures by code', labelNames: ['provider', 'code'] as const, registers: [this.registry] });

  readonly upstreamAttempts = new Counter({
    name: 'chat_upstream_attempts_total',
    help: 'Upstream requests made for replies, by how each ended (ok, failed, aborted)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly fallbacks = new Counter({
    name: 'chat_fallbacks_total',
    help: 'Replies moved on to their next target before the first byte, by the provider given up on and why',
    labelNames: ['provider', 'code'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
