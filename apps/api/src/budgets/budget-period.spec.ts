import { describe, expect, it } from '@jest/globals';
import { promptTokenBound } from './budget-period.js';

describe('promptTokenBound', () => {
  it('counts a third of the text, with framing per message', () => {
    expect(promptTokenBound([{ role: 'user', content: 'x'.repeat(30) }])).toBe(10 + 8);
  });

  it("counts a reply's tool calls and the tools offered, which are prompt tokens too", () => {
    const calls = [{ role: 'assistant' as const, content: '', toolCalls: [{ id: 'c', name: 'abc', arguments: 'x'.repeat(27) }] }];
    expect(promptTokenBound(calls)).toBe(10 + 8);
    const tools = [{ name: 'weather', parameters: { type: 'object' } }];
    expect(promptTokenBound(calls, tools)).toBe(10 + 8 + Math.ceil(JSON.stringify(tools).length / 3));
  });

  it('counts an image at its worst case and a PDF by its size, at least a few pages', () => {
    const image = { mediaType: 'image/png', data: 'AAAA' };
    const smallPdf = { mediaType: 'application/pdf', data: 'AAAA' };
    const bigPdf = { mediaType: 'application/pdf', data: 'A'.repeat(400_000) };
    expect(promptTokenBound([{ role: 'user', content: '', attachments: [image] }])).toBe(1_600 + 8);
    expect(promptTokenBound([{ role: 'user', content: '', attachments: [smallPdf] }])).toBe(3_000 + 8);
    expect(promptTokenBound([{ role: 'user', content: '', attachments: [bigPdf] }])).toBe(300_000 / 20 + 8);
  });
});
