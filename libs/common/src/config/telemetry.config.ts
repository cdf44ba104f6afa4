import { registerAs } from '@nestjs/config';
import { EnvReader, type Env } from './env-reader.js';

/**
 * Traces. The OTEL_* names are OpenTelemetry's own: the SDK's exporter reads the endpoint (and its standard
 * companions such as OTEL_EXPORTER_OTLP_HEADERS) itself; they are parsed here so that a wrong value stops start-up.
 */
export function parseTelemetryConfig(env: Env) {
  const read = new EnvReader(env);
  return {
    /** Where spans are sent over OTLP/HTTP (`/v1/traces` is appended); absent, tracing is off and costs nothing. */
    otlpEndpoint: read.url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']),
    /** Record prompts and replies on the generation spans: off by default, since traces are read by more people than chats. */
    captureContent: read.bool('OTEL_GENAI_CAPTURE_CONTENT', false),
  };
}

export const telemetryConfig = registerAs('telemetry', () => parseTelemetryConfig(process.env));
export type TelemetryConfig = ReturnType<typeof parseTelemetryConfig>;
