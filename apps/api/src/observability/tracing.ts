/**
 * The OpenTelemetry SDK, started only when traces are exported. Everything else in the app speaks to
 * `@opentelemetry/api` alone, whose tracer is a no-op while no SDK is registered: with tracing off, none of the
 * SDK or its instrumentations is even loaded.
 *
 * The SDK's packages are CommonJS and loaded with `require`, synchronously, on purpose: the instrumentations patch
 * `http` and `pg` through require hooks, which must be in place before Express and pg are loaded, and main.ts
 * imports this module's bootstrap first. An `await import()` would let the modules imported after it run first.
 */
import type { Request } from 'express';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type * as HttpInstrumentationModule from '@opentelemetry/instrumentation-http';
import type * as PgInstrumentationModule from '@opentelemetry/instrumentation-pg';
import type * as SdkNodeModule from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { redactUrl } from './request-logging.middleware.js';
import { routeOf } from './http-metrics.middleware.js';

const load = createRequire(import.meta.url);

/** Requests that would only add noise: scrapes and probes. */
const UNTRACED_PATHS = /^\/(metrics|api\/health)(\/|\?|$)/;

export interface Tracing {
  /** Sends the spans still buffered; called once the app has closed. */
  shutdown(): Promise<void>;
}

/**
 * Registers the SDK (context manager, W3C trace-context propagator, tracer provider) with the API, and the HTTP
 * server and pg instrumentations. `spanProcessors` decide where spans go: the OTLP exporter in production.
 */
export function startTracing(spanProcessors: SpanProcessor[]): Tracing {
  const { NodeSDK } = load('@opentelemetry/sdk-node') as typeof SdkNodeModule;
  const { HttpInstrumentation } = load('@opentelemetry/instrumentation-http') as typeof HttpInstrumentationModule;
  const { PgInstrumentation } = load('@opentelemetry/instrumentation-pg') as typeof PgInstrumentationModule;
  const sdk = new NodeSDK({
    serviceName: 'llm-chat-backend',
    spanProcessors,
    // Traces only: the metrics are Prometheus' (/metrics) and the logs are pino's lines, which carry the trace id.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // The server side only: our one outgoing HTTP path (undici, to providers) has spans of its own.
        disableOutgoingRequestInstrumentation: true,
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        // Overrides the instrumentation's query attribute with the one redaction the request log uses.
        startIncomingSpanHook: (request) => {
          const query = queryOf(request);
          return query === undefined ? {} : { 'url.query': query };
        },
        // Express has matched the route by the time the response ends; the span is named after its pattern.
        applyCustomAttributesOnSpan: (span, request) => {
          const route = routeOf(request as unknown as Request);
          if (!route) return;
          span.setAttribute('http.route', route);
          span.updateName(`${request.method} ${route}`);
        },
      }),
      // Statement text only (parameterized): values are never recorded (`enhancedDatabaseReporting` stays off).
      // Only inside a trace: migrations and the minutely sweep would otherwise each start one of their own.
      new PgInstrumentation({ ignoreConnectSpans: true, requireParentSpan: true }),
    ],
  });
  sdk.start();
  // pg's Client is patched when pg is first required; the PGlite pool imports pg (an ESM import, which require
  // hooks do not see) and may be the only user, so require it here while the hook listens.
  load('pg');
  return { shutdown: () => sdk.shutdown() };
}

function queryOf(request: IncomingMessage): string | undefined {
  const url = redactUrl(request.url ?? '');
  const start = url.indexOf('?');
  return start < 0 ? undefined : url.slice(start + 1);
}
