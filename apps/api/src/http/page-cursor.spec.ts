import { describe, expect, it } from '@jest/globals';
import { decodeCursor, decodePageCursor, encodeCursor, encodePageCursor } from './page-cursor.js';

describe('page cursors', () => {
  const position = { at: new Date('2026-12-01T10:00:00.123Z'), id: '0b7c4d8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e' };

  it('reads back what it wrote', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it("refuses another listing's cursor, garbage and values its reader refuses with 400", () => {
    const readTwo = (values: unknown[]) => (values.length === 2 ? values : undefined);
    for (const raw of [encodePageCursor('other', [position.at.toISOString(), position.id]), 'bm90IGEgY3Vyc29y', '', '%%%', encodePageCursor('k', ['yesterday', position.id])]) {
      expect(() => decodeCursor(raw)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
    expect(() => decodePageCursor('x', encodePageCursor('x', [1, 2, 3]), readTwo)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(decodePageCursor('x', encodePageCursor('x', [1, 2]), readTwo)).toEqual([1, 2]);
  });
});
