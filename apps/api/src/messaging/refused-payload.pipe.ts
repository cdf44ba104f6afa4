import { Injectable, type PipeTransform } from '@nestjs/common';
import { RefusedPayload } from './json-limits.deserializer.js';

/** Answers a message JsonLimitsDeserializer refused with its error (through the controller's error filter). */
@Injectable()
export class RefusedPayloadPipe implements PipeTransform {
  transform(value: unknown): unknown {
    if (value instanceof RefusedPayload) throw value.error;
    return value;
  }
}
