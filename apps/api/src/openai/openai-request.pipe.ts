import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { ChatCompletionRequestDto } from './dto/chat-completion.request.js';

function messages(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((text) => (path ? `${path}.${text}` : text)),
    ...messages(error.children ?? [], path ? `${path}.${error.property}` : error.property),
  ]);
}

/**
 * Validates like the global pipe, but keeps the fields OpenAI clients send that we do not use instead of
 * refusing them; the handler's parameter is typed as a plain object so the global pipe leaves it alone.
 */
@Injectable()
export class OpenAiRequestPipe implements PipeTransform<unknown, Promise<ChatCompletionRequestDto>> {
  async transform(value: unknown): Promise<ChatCompletionRequestDto> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequestException('The body must be a JSON object');
    const request = plainToInstance(ChatCompletionRequestDto, value);
    const errors = await validate(request, { whitelist: true, forbidNonWhitelisted: false });
    if (errors.length > 0) throw new BadRequestException(messages(errors).join('; '));
    for (const [index, message] of request.messages.entries()) {
      const { content } = message;
      const valid = typeof content === 'string' || (Array.isArray(content) && content.every((part) => typeof part === 'object' && part !== null && typeof part.type === 'string'));
      if (!valid) throw new BadRequestException(`messages.${index}.content must be a string or an array of content parts`);
    }
    return request;
  }
}
