import { describe, expect, it } from '@jest/globals';
import { checkJsonLimits, JsonLimitError, jsonNestingExceeds } from './json-limits.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

describe('jsonNestingExceeds', () => {
  it('counts arrays and objects, up to the limit and one beyond', () => {
    expect(jsonNestingExceeds(utf8(nested(32)), 32)).toBe(false);
    expect(jsonNestingExceeds(utf8(nested(33)), 32)).toBe(true);
    expect(jsonNestingExceeds(utf8('{"a":{"b":[{"c":[1,2,{}]}]}}'), 6)).toBe(false);
    expect(jsonNestingExceeds(utf8('{"a":{"b":[{"c":[1,2,{}]}]}}'), 5)).toBe(true);
    expect(jsonNestingExceeds(utf8(`{"zz":${nested(100_000)}}`), 32)).toBe(true);
  });

  it('does not count brackets inside strings, escaped quotes and backslashes included', () => {
    expect(jsonNestingExceeds(utf8(JSON.stringify({ text: '[[[[{{{{' })), 2)).toBe(false);
    expect(jsonNestingExceeds(utf8(JSON.stringify({ text: 'say "[[[[" \\ [[[[' })), 2)).toBe(false);
    expect(jsonNestingExceeds(utf8(JSON.stringify(['\\', [[]]])), 2)).toBe(true);
    expect(jsonNestingExceeds(utf8(JSON.stringify({ '[[[[': '\u00e9[\ud83d\ude00[' })), 1)).toBe(false);
  });

  it('costs time linear in the size, whatever the nesting', () => {
    const deep = utf8(`{"zz":${'['.repeat(500_000)}`);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) jsonNestingExceeds(deep, 1_000_000);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });
});

describe('checkJsonLimits', () => {
  it('refuses too large (413) or too deep (400) with a message naming the limit', () => {
    const limits = { maxBytes: 100, maxDepth: 3 };
    expect(checkJsonLimits(utf8('{"a":[[1]]}'), limits)).toBeUndefined();
    expect(checkJsonLimits(utf8('{"a":[[[1]]]}'), limits)).toEqual(new JsonLimitError(400, 'entity.too.deep', 'JSON body is nested deeper than 3 levels'));
    expect(checkJsonLimits(utf8(`"${'x'.repeat(200)}"`), limits, 'Message payload')).toEqual(
      new JsonLimitError(413, 'entity.too.large', 'Message payload is larger than 100 bytes'),
    );
  });
});
