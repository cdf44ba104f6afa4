import { AppError } from '@app/common';
import type { SessionCursor } from '@app/persistence';

/** Opaque to clients: base64url of `updatedAt|id` of the last session on the previous page. */
export function encodeCursor(cursor: SessionCursor): string {
  return Buffer.from(`${cursor.updatedAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(raw: string): SessionCursor {
  const [updatedAt, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const date = new Date(updatedAt ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(date.getTime())) {
    throw new AppError('VALIDATION_FAILED', 'cursor is not valid');
  }
  return { updatedAt: date, id };
}
