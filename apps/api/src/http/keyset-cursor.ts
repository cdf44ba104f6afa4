import { AppError } from '@app/common';
import type { KeysetPosition } from '@app/persistence';

/** Opaque to clients: base64url of `at|id`. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(`${position.at.toISOString()}|${position.id}`).toString('base64url');
}

export function decodeCursor(raw: string): KeysetPosition {
  const [at, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(date.getTime())) {
    throw new AppError('VALIDATION_FAILED', 'cursor is not valid');
  }
  return { at: date, id };
}
