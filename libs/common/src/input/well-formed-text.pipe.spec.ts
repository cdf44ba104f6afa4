import { describe, expect, it } from '@jest/globals';
import { AppError } from '../errors/app.error.js';
import { findIllFormedText, isWellFormedText, WellFormedTextPipe } from './well-formed-text.pipe.js';

describe('well-formed text', () => {
  it('refuses NUL and unpaired surrogates, accepts paired ones and everything else', () => {
    expect(isWellFormedText('héllo 😀 \t\n\u0001')).toBe(true);
    for (const bad of ['a\u0000b', '\ud800', 'x\udc00', '\ud83d', '\ude00\ud83d']) expect([bad, isWellFormedText(bad)]).toEqual([bad, false]);
  });

  it('names the path of the first bad string, in values and keys, at any depth', () => {
    expect(findIllFormedText({ title: 'ok', n: 1, list: [null, true, 'fine'] })).toBeUndefined();
    expect(findIllFormedText({ messages: [{ role: 'user', content: 'ok' }, { role: 'user', content: 'x\u0000' }] })).toBe('messages[1].content');
    expect(findIllFormedText({ a: { 'b\ud800': 1 } })).toBe('a.b\ud800');
    expect(findIllFormedText(['ok', ['\udfff']])).toBe('[1][0]');
    expect(findIllFormedText('\u0000')).toBe('');
  });

  it('answers 400 VALIDATION_FAILED for bodies, queries and params; leaves custom parameters alone', () => {
    const pipe = new WellFormedTextPipe();
    expect(pipe.transform({ title: 'ok' }, { type: 'body' })).toEqual({ title: 'ok' });
    expect(() => pipe.transform({ title: 'a\u0000' }, { type: 'body' })).toThrow(
      new AppError('VALIDATION_FAILED', 'title must not contain NUL characters or unpaired surrogates'),
    );
    expect(() => pipe.transform('\u0000', { type: 'param', data: 'id' })).toThrow(/^id must not contain/);
    expect(() => pipe.transform({ cursor: '\ud800' }, { type: 'query' })).toThrow(/^cursor must not contain/);
    const user = { id: '\u0000' };
    expect(pipe.transform(user, { type: 'custom' })).toBe(user);
  });
});
