import type { SessionCursor, SessionSearchCursor } from '@app/persistence';
import { decodePageCursor, encodePageCursor, isUuid } from '../http/page-cursor.js';

/** The time as the list query writes it: UTC, microseconds. */
const SORTED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The last session on the previous page of the list: pinned first, then the most recently updated. */
export function encodeCursor(cursor: SessionCursor): string {
  return encodePageCursor('l', [cursor.pinned, cursor.updatedAt, cursor.id]);
}

export function decodeCursor(raw: string): SessionCursor {
  return decodePageCursor('l', raw, (values) => {
    const [pinned, updatedAt, id] = values;
    const sortedAt = typeof updatedAt === 'string' && SORTED_AT.test(updatedAt) && !Number.isNaN(Date.parse(updatedAt));
    return values.length === 3 && typeof pinned === 'boolean' && sortedAt && isUuid(id) ? { pinned, updatedAt, id } : undefined;
  });
}

/** The last hit on the previous page of a search (a search's cursor only). */
export function encodeSearchCursor(cursor: SessionSearchCursor): string {
  return encodePageCursor('s', [cursor.rank, cursor.id]);
}

export function decodeSearchCursor(raw: string): SessionSearchCursor {
  return decodePageCursor('s', raw, (values) => {
    const [rank, id] = values;
    return values.length === 2 && typeof rank === 'number' && Number.isFinite(rank) && rank >= 0 && isUuid(id) ? { rank, id } : undefined;
  });
}
