/**
 * Imported first by main.ts, before anything loads Express or pg: starts tracing when OTEL_EXPORTER_OTLP_ENDPOINT
 * is set (see tracing.ts). A wrong value leaves tracing off here; the configuration check at start-up then stops
 * the server with a message naming it.
 */
import { createRequire } from 'node:module';
import type * as OtlpHttpModule from '@opentelemetry/exporter-trace-otlp-http';
import type * as TraceBaseModule from '@opentelemetry/sdk-trace-base';
import { parseTelemetryConfig } from '@app/common';
import { startTracing, type Tracing } from './tracing.js';

function exportingTracing(): Tracing | undefined {
  try {
    if (!parseTelemetryConfig(process.env).otlpEndpoint) return undefined;
  } catch {
    return undefined;
  }
  const load = createRequire(import.meta.url);
  const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttpModule;
  const { BatchSpanProcessor } = load('@opentelemetry/sdk-trace-base') as typeof TraceBaseModule;
  // The exporter reads the endpoint and its companions (OTEL_EXPORTER_OTLP_HEADERS, …) from the environment itself.
  return startTracing([new BatchSpanProcessor(new OTLPTraceExporter())]);
}

export const tracing = exportingTracing();
