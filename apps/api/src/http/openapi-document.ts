import { ApiProperty, ApiPropertyOptional, type OpenAPIObject, getSchemaPath } from '@nestjs/swagger';
import { ReplyAttemptDto } from '../sessions/dto/session-response.dto.js';

type PathItem = OpenAPIObject['paths'][string];
type Operation = NonNullable<PathItem['get']>;
type Response = Extract<Operation['responses'][string], { description: string }>;

/** `{statusCode, error, message, code?, errorId?}`: every error of the /api routes (AllExceptionsFilter). */
export class ErrorResponseDto {
  @ApiProperty({ example: 404 }) statusCode: number;
  @ApiProperty({ example: 'Not Found' }) error: string;
  @ApiProperty({ example: 'Session not found' }) message: string;
  @ApiPropertyOptional({ example: 'SESSION_NOT_FOUND', description: 'A stable code, when the error has one' }) code?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'On 5xx: the id the server logged the error under' }) errorId?: string;
}

class OpenAiErrorDetailDto {
  @ApiProperty() message: string;
  @ApiProperty({ example: 'invalid_request_error' }) type: string;
  @ApiProperty({ nullable: true, type: String }) param: string | null;
  @ApiProperty({ nullable: true, type: String }) code: string | null;
}

/** The /v1 OpenAI routes' errors. */
export class OpenAiErrorDto {
  @ApiProperty({ type: OpenAiErrorDetailDto }) error: OpenAiErrorDetailDto;
}

class AnthropicErrorDetailDto {
  @ApiProperty({ example: 'invalid_request_error' }) type: string;
  @ApiProperty() message: string;
}

/** /v1/messages' errors. */
export class AnthropicErrorDto {
  @ApiProperty({ enum: ['error'] }) type: 'error';
  @ApiProperty({ type: AnthropicErrorDetailDto }) error: AnthropicErrorDetailDto;
}

/** The chat stream's events (`event:` name, then its `data:` JSON), for generated clients. */
export class ChatSessionEventDto {
  @ApiProperty({ format: 'uuid' }) sessionId: string;
  @ApiProperty({ format: 'uuid' }) messageId: string;
}
export class ChatMessageEventDto {
  @ApiProperty() content: string;
}
class UsageDto {
  @ApiProperty() promptTokens: number;
  @ApiProperty() completionTokens: number;
}
export class ChatDoneEventDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({ type: UsageDto, nullable: true }) usage: UsageDto | null;
  @ApiProperty() responseTimeMs: number;
  @ApiPropertyOptional() stopped?: boolean;
  @ApiPropertyOptional({ enum: ['user', 'client_disconnected'] }) reason?: string;
  @ApiProperty({ type: [ReplyAttemptDto], description: 'The route the reply took: every upstream attempt, in order' }) attempts: ReplyAttemptDto[];
}
export class ChatErrorEventDto {
  @ApiProperty() error: string;
  @ApiProperty({ example: 'upstream_rate_limited' }) code: string;
  @ApiPropertyOptional({ format: 'uuid' }) messageId?: string;
}

export const OPENAPI_EXTRA_MODELS = [ErrorResponseDto, OpenAiErrorDto, AnthropicErrorDto, ChatSessionEventDto, ChatMessageEventDto, ChatDoneEventDto, ChatErrorEventDto];

/** `chat_stream`, `sessions_list`, `open_ai_complete`: what generated clients name their methods after. */
export function operationId(controllerKey: string, methodKey: string): string {
  const controller = controllerKey.replace(/Controller$/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return `${controller}_${methodKey.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

/** What every authenticated route may answer besides its own errors. */
const COMMON_ERRORS: Record<string, string> = {
  '401': 'No valid access token or API key',
  '429': 'Too many requests; see Retry-After and X-RateLimit-*',
};

const errorSchemaFor = (path: string) =>
  getSchemaPath(path.startsWith('/v1/messages') ? AnthropicErrorDto : path.startsWith('/v1/') ? OpenAiErrorDto : ErrorResponseDto);

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * Every error response of every route gets its protocol's error schema, and the errors any authenticated route
 * can answer (401, 429) are listed where the route does not list them; SSE routes name their events' schemas.
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation: Operation | undefined = item[method];
      if (!operation) continue;
      const responses = operation.responses as Record<string, Response>;
      const authenticated = (operation.security ?? document.security ?? []).length > 0;
      for (const [status, description] of Object.entries(COMMON_ERRORS)) {
        if (authenticated && !responses[status]) responses[status] = { description };
      }
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400) continue;
        response.content = { 'application/json': { schema: { $ref: errorSchemaFor(path) } } };
      }
      const events = responses['200']?.content?.['text/event-stream'];
      if (events && path.startsWith('/api/chat/')) {
        events.schema = {
          type: 'string',
          description: 'Server-Sent Events; each `data:` is one of the event schemas named in `x-events` by its `event:` name',
        };
        Object.assign(events, {
          'x-events': {
            session: { $ref: getSchemaPath(ChatSessionEventDto) },
            message: { $ref: getSchemaPath(ChatMessageEventDto) },
            done: { $ref: getSchemaPath(ChatDoneEventDto) },
            error: { $ref: getSchemaPath(ChatErrorEventDto) },
          },
        });
      }
    }
  }
  return document;
}
