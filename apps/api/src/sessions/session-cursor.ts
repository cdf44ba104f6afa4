import { AppError } from '@app/common';
import type { SessionCursor, SessionSearchCursor } from '@app/persistence';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The time as the list query writes it: UTC, microseconds. */
const SORTED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const invalid = () => new AppError('VALIDATION_FAILED', 'cursor is not valid');
const encode = (...parts: (string | number)[]) => Buffer.from(parts.join('|')).toString('base64url');
const decode = (raw: string) => Buffer.from(raw, 'base64url').toString('utf8').split('|');

/** Opaque to clients: base64url of `l|pinned|updatedAt|id` of the last session on the previous page. */
export function encodeCursor(cursor: SessionCursor): string {
  return encode('l', cursor.pinned ? 1 : 0, cursor.updatedAt, cursor.id);
}

export function decodeCursor(raw: string): SessionCursor {
  const [kind, pinned, updatedAt, id, ...rest] = decode(raw);
  if (kind !== 'l' || (pinned !== '0' && pinned !== '1') || !SORTED_AT.test(updatedAt ?? '') || !UUID.test(id ?? '') || rest.length > 0) throw invalid();
  if (Number.isNaN(Date.parse(updatedAt!))) throw invalid();
  return { pinned: pinned === '1', updatedAt: updatedAt!, id: id! };
}

/** Opaque to clients: base64url of `s|rank|id` of the last hit on the previous page (a search's cursor only). */
export function encodeSearchCursor(cursor: SessionSearchCursor): string {
  return encode('s', cursor.rank, cursor.id);
}

export function decodeSearchCursor(raw: string): SessionSearchCursor {
  const [kind, rank, id, ...rest] = decode(raw);
  const value = Number(rank);
  if (kind !== 's' || !rank || !Number.isFinite(value) || value < 0 || !UUID.test(id ?? '') || rest.length > 0) throw invalid();
  return { rank: value, id: id! };
}
