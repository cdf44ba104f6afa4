import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { type ClassConstructor, plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';

function messages(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((text) => (path ? `${path}.${text}` : text)),
    ...messages(error.children ?? [], path ? `${path}.${error.property}` : error.property),
  ]);
}

/**
 * Validates like the global pipe, but keeps the fields the official SDKs send that we do not use instead of
 * refusing them; the handler's parameter is typed as a plain object so the global pipe leaves it alone.
 */
@Injectable()
export class LenientBodyPipe<T extends object> implements PipeTransform<unknown, Promise<T>> {
  constructor(private readonly type: ClassConstructor<T>) {}

  async transform(value: unknown): Promise<T> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequestException('The body must be a JSON object');
    const request = plainToInstance(this.type, value);
    const errors = await validate(request, { whitelist: true, forbidNonWhitelisted: false });
    if (errors.length > 0) throw new BadRequestException(messages(errors).join('; '));
    return request;
  }
}
