import { describe, expect, it } from '@jest/globals';
import { isEmail } from 'class-validator';
import { isEmailAddress } from './is-email-address.decorator.js';

describe('isEmailAddress', () => {
  it('accepts ordinary addresses', () => {
    expect(isEmailAddress('ada@example.com')).toBe(true);
    expect(isEmailAddress('a.b+c@sub.example.org')).toBe(true);
  });

  it('answers false, never throws, for a lone surrogate, NUL or a non-string', () => {
    // The reason this exists: the library validator throws on this input.
    expect(() => isEmail('a\ud800@example.com')).toThrow(URIError);
    for (const value of ['a\ud800@example.com', '\udc00@example.com', 'ada@exa\ud800mple.com', 'a\u0000@example.com', '', 42, null, undefined, {}]) {
      expect([value, isEmailAddress(value)]).toEqual([value, false]);
    }
  });
});
