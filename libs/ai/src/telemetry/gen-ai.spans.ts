import { trace } from '@opentelemetry/api';

/**
 * OpenTelemetry's GenAI semantic-convention attribute names. They are still "development" in the conventions, so
 * @opentelemetry/semantic-conventions only has them in its incubating entry point, which it asks users not to
 * import: they are copied here, as its README recommends.
 */
export const GEN_AI = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  temperature: 'gen_ai.request.temperature',
  maxTokens: 'gen_ai.request.max_tokens',
  responseModel: 'gen_ai.response.model',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  conversationId: 'gen_ai.conversation.id',
  /** Message content: recorded only with OTEL_GENAI_CAPTURE_CONTENT=true. */
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
} as const;

/** `error.type`: the stable code of what failed (`upstream_timeout`), never a provider's text. */
export const ERROR_TYPE = 'error.type';

/**
 * The tracer of the chat's own spans (generations, upstream attempts). A no-op until an SDK is registered
 * (OTEL_EXPORTER_OTLP_ENDPOINT): then the same calls record.
 */
export const chatTracer = trace.getTracer('llm-chat-backend');
