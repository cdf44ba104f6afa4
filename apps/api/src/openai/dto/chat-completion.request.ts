import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type ChatTurn, REASONING_EFFORTS, type ReasoningEffort, type ToolChoice } from '@app/ai';
import { MAX_TOOL_DESCRIPTION, MAX_TOOL_RESULT_CHARS, MAX_TOOLS, TOOL_NAME } from '../../chat/dto/tools.dto.js';
import type { CompatibleTurn } from '../openai.service.js';
import { imageAttachments } from './image-content.js';
import { contentText, IsTextContent, type TextContent } from './text-content.js';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

export const OPENAI_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

export class FunctionCallDto {
  @ApiProperty({ example: 'get_weather' }) @IsString() @Length(1, 200) name: string;
  @ApiProperty({ example: '{"city":"Paris"}', description: "The model's arguments, JSON text" }) @IsString() @MaxLength(MAX_TOOL_RESULT_CHARS) arguments: string;
}

/** A call an earlier assistant message made, as the client sends the conversation back. */
export class MessageToolCallDto {
  @ApiProperty({ example: 'call_abc123' }) @IsString() @Length(1, 200) id: string;
  @ApiProperty({ enum: ['function'] }) @IsIn(['function']) type: 'function';
  @ApiProperty({ type: FunctionCallDto }) @ValidateNested() @Type(() => FunctionCallDto) function: FunctionCallDto;
}

export class FunctionDefinitionDto {
  @ApiProperty({ pattern: TOOL_NAME.source, example: 'get_weather' }) @IsString() @Matches(TOOL_NAME, { message: 'name must be 1 to 64 letters, digits, _ or -' }) name: string;
  @ApiPropertyOptional({ maxLength: MAX_TOOL_DESCRIPTION }) @IsOptional() @IsString() @MaxLength(MAX_TOOL_DESCRIPTION) description?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "The arguments' JSON Schema" }) @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Accepted; not forwarded' }) @IsOptional() @IsBoolean() strict?: boolean;
}

export class ChatCompletionToolDto {
  @ApiProperty({ enum: ['function'] }) @IsIn(['function']) type: 'function';
  @ApiProperty({ type: FunctionDefinitionDto }) @ValidateNested() @Type(() => FunctionDefinitionDto) function: FunctionDefinitionDto;
}

type OpenAiToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

const isOpenAiToolChoice = (value: unknown) => {
  if (typeof value === 'string') return ['auto', 'none', 'required'].includes(value);
  const named = value as { type?: unknown; function?: { name?: unknown } } | null;
  return typeof named === 'object' && named !== null && named.type === 'function' && typeof named.function?.name === 'string' && TOOL_NAME.test(named.function.name);
};

export class StreamOptionsDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_usage?: boolean;
}

export class ChatCompletionMessageDto {
  @ApiProperty({ enum: OPENAI_ROLES, example: 'user' }) @IsIn(OPENAI_ROLES) role: (typeof OPENAI_ROLES)[number];

  /**
   * A string, or content parts of which the text ones and the images (data URLs) are used; null for an assistant
   * message that only calls tools.
   */
  @ApiProperty({
    description: 'A string, or content parts: `text`, and on user messages `image_url` with a base64 data URL (a remote URL is refused, never fetched)',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }],
    nullable: true,
    example: 'Hello!',
  })
  @ValidateIf((message: ChatCompletionMessageDto) => message.role !== 'assistant' || message.content !== null)
  @IsTextContent()
  content: TextContent | null;

  @ApiPropertyOptional({ type: [MessageToolCallDto], description: 'An assistant message: the tool calls it made' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => MessageToolCallDto)
  tool_calls?: MessageToolCallDto[];

  @ApiPropertyOptional({ description: 'A tool message: the call it answers' })
  @ValidateIf((message: ChatCompletionMessageDto) => message.role === 'tool')
  @IsString()
  @Length(1, 200)
  tool_call_id?: string;
}

/** OpenAI's request body; fields we do not use (n, top_p, …) are accepted and ignored, as OpenAI clients send them. */
export class ChatCompletionRequestDto {
  @ApiProperty({ example: 'echo/echo-1', description: '`provider/model`, or a bare model name of a provider you configured' })
  @IsString()
  @Length(1, 300)
  model: string;

  @ApiProperty({ type: [ChatCompletionMessageDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionMessageDto)
  messages: ChatCompletionMessageDto[];

  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream?: boolean;

  @ApiPropertyOptional({ type: StreamOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 }) @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_tokens?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_completion_tokens?: number;

  @ApiPropertyOptional({ enum: REASONING_EFFORTS, description: "Mapped to each provider's reasoning parameter (Anthropic and Gemini: a thinking budget)" })
  @IsOptional()
  @IsIn(REASONING_EFFORTS)
  reasoning_effort?: ReasoningEffort;

  @ApiPropertyOptional({ type: [ChatCompletionToolDto], maxItems: MAX_TOOLS, description: 'Functions the model may call, translated for every provider kind' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionToolDto)
  tools?: ChatCompletionToolDto[];

  @ApiPropertyOptional({ oneOf: [{ type: 'string', enum: ['auto', 'none', 'required'] }, { type: 'object' }], description: '`auto`, `none`, `required` or `{type: "function", function: {name}}`' })
  @IsOptional()
  @ValidateBy({ name: 'isToolChoice', validator: { validate: isOpenAiToolChoice, defaultMessage: () => 'tool_choice must be auto, none, required or {type: "function", function: {name}}' } })
  tool_choice?: OpenAiToolChoice;

  @ApiPropertyOptional() @IsOptional() @IsBoolean() parallel_tool_calls?: boolean;

  @ApiPropertyOptional({ default: true, description: 'false: the call is not recorded as a session' })
  @IsOptional()
  @IsBoolean()
  store?: boolean;
}

/** `maxImageBytes`: the largest image a user message may carry (FILES_MAX_BYTES). */
async function chatTurn(message: ChatCompletionMessageDto, maxImageBytes: number): Promise<ChatTurn> {
  const content = message.content === null ? '' : contentText(message.content);
  if (message.role === 'tool') return { role: 'tool', content, toolCallId: message.tool_call_id! };
  if (message.role === 'assistant' && message.tool_calls?.length) {
    return { role: 'assistant', content, toolCalls: message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })) };
  }
  const attachments = message.role === 'user' && message.content !== null ? await imageAttachments(message.content, maxImageBytes) : [];
  return { role: message.role === 'developer' ? 'system' : message.role, content, ...(attachments.length > 0 && { attachments }) };
}

function toolChoice(choice: OpenAiToolChoice): ToolChoice {
  return typeof choice === 'string' ? choice : { name: choice.function.name };
}

export async function chatCompletionTurn(request: ChatCompletionRequestDto, maxImageBytes: number): Promise<CompatibleTurn> {
  const messages: ChatTurn[] = [];
  for (const message of request.messages) messages.push(await chatTurn(message, maxImageBytes));
  return {
    model: request.model,
    messages,
    ...(request.tools?.length && {
      tools: request.tools.map(({ function: fn }) => ({
        name: fn.name,
        ...(fn.description !== undefined && { description: fn.description }),
        // OpenAI's default when a function takes no arguments; the other providers want a schema.
        parameters: fn.parameters ?? { type: 'object', properties: {} },
      })),
      ...(request.tool_choice !== undefined && { toolChoice: toolChoice(request.tool_choice) }),
      ...(request.parallel_tool_calls !== undefined && { parallelToolCalls: request.parallel_tool_calls }),
    }),
    temperature: request.temperature,
    maxTokens: request.max_completion_tokens ?? request.max_tokens,
    ...(request.reasoning_effort && { reasoning: { effort: request.reasoning_effort } }),
    store: request.store,
  };
}
