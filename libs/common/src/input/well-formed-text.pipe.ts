import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from '../errors/app.error.js';

declare global {
  interface String {
    /** ES2024 (Node 20 has it); our TypeScript lib stops at ES2023. */
    isWellFormed(): boolean;
  }
}

/** Text no field may carry: PostgreSQL refuses NUL in text, and a lone surrogate has no UTF-8 form. */
export function isWellFormedText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

/**
 * The path (`messages[0].content`, `title`) of the first string in `value`, key or value, that is not well-formed
 * text; undefined when all are. Iterative, so even a value nobody bounded cannot overflow the stack.
 */
export function findIllFormedText(value: unknown): string | undefined {
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (typeof current === 'string') {
      if (!isWellFormedText(current)) return path;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push([current[i], `${path}[${i}]`]);
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, item] of Object.entries(current).reverse()) {
        const itemPath = path ? `${path}.${key}` : key;
        if (!isWellFormedText(key)) return itemPath;
        pending.push([item, itemPath]);
      }
    }
  }
  return undefined;
}

/**
 * One input rule for all text, applied to every body, query and route parameter (and NATS payload) before
 * validation: NUL characters and unpaired surrogates are refused with 400, so they never reach an upstream
 * provider (already paid for) or a database write (which would fail late as a 500).
 */
@Injectable()
export class WellFormedTextPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // Custom parameters (the signed-in user, the request) are ours, not the client's.
    if (metadata.type === 'custom') return value;
    const path = findIllFormedText(value);
    if (path === undefined) return value;
    const field = path || metadata.data || metadata.type;
    throw new AppError('VALIDATION_FAILED', `${field} must not contain NUL characters or unpaired surrogates`);
  }
}
