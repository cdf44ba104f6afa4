import { AppError } from '@app/common';
import type { KeysetPosition } from '@app/persistence';

type CursorValue = string | number | boolean;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * Page cursors are opaque to clients: base64url of a JSON array whose first element names the listing, so that
 * one listing's cursor is refused by another. Each listing reads and checks its own values.
 */
export function encodePageCursor(kind: string, values: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify([kind, ...values])).toString('base64url');
}

/** What `read` makes of the values of a cursor of this kind; 400 when it is not one or `read` refuses it (undefined). */
export function decodePageCursor<T>(kind: string, raw: string, read: (values: unknown[]) => T | undefined): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const position = Array.isArray(parsed) && parsed[0] === kind ? read(parsed.slice(1)) : undefined;
  if (position === undefined) throw new AppError('VALIDATION_FAILED', 'cursor is not valid');
  return position;
}

/** The cursor of a listing ordered by a time and an id (newest first): the last row of the previous page. */
export function encodeCursor(position: KeysetPosition): string {
  return encodePageCursor('k', [position.at.toISOString(), position.id]);
}

export function decodeCursor(raw: string): KeysetPosition {
  return decodePageCursor('k', raw, (values) => {
    const [at, id] = values;
    const date = typeof at === 'string' ? new Date(at) : undefined;
    return values.length === 2 && date && !Number.isNaN(date.getTime()) && isUuid(id) ? { at: date, id } : undefined;
  });
}
