import { describe, expect, it } from '@jest/globals';
import { cleanTitle, TITLE_MAX_CHARS } from './titles.service.js';

describe('cleanTitle', () => {
  it('keeps the first non-empty line, without a label, quotes, markdown marks or a final full stop', () => {
    expect(cleanTitle('\n  Title: "Sourdough starter basics".\nMore text')).toBe('Sourdough starter basics');
    expect(cleanTitle('**«Rust lifetimes explained»**')).toBe('Rust lifetimes explained');
    expect(cleanTitle("'Don't panic' guide")).toBe("Don't panic' guide");
  });

  it('drops inline reasoning and control characters, and collapses spaces', () => {
    expect(cleanTitle('<think>the user asks about\nbread</think>Bread \u0007 at   home')).toBe('Bread at home');
  });

  it(`cuts at ${TITLE_MAX_CHARS} characters, at a word when one is near, never inside a surrogate pair`, () => {
    const words = cleanTitle('word '.repeat(30))!;
    expect(words.length).toBeLessThanOrEqual(TITLE_MAX_CHARS);
    expect(words.endsWith('word')).toBe(true);
    const emoji = cleanTitle('x' + '😀'.repeat(40))!;
    expect(emoji.length).toBeLessThanOrEqual(TITLE_MAX_CHARS);
    expect(/[\ud800-\udbff]$/.test(emoji)).toBe(false);
  });

  it('is null when nothing is left', () => {
    expect(cleanTitle('')).toBeNull();
    expect(cleanTitle(' \n "" \n')).toBeNull();
    expect(cleanTitle('<think>only thoughts')).toBeNull();
  });
});
