import { type PipeTransform, ValidationPipe } from '@nestjs/common';
import { WellFormedTextPipe } from './well-formed-text.pipe.js';

/**
 * The input rules every request and message goes through, in order: well-formed text first (so the validators
 * never see NUL or a lone surrogate), then the DTO's validation with unknown fields refused. The HTTP app
 * registers them globally; message handlers, which global pipes do not reach, list them themselves.
 */
export function inputPipes(): PipeTransform[] {
  return [new WellFormedTextPipe(), new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true })];
}
