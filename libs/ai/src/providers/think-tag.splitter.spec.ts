import { describe, expect, it } from '@jest/globals';
import { type ContentSegment, ThinkTagSplitter } from './think-tag.splitter.js';

/** Feeds the chunks and merges what comes out, as the saved reply merges consecutive deltas of one kind. */
function split(chunks: string[]): ContentSegment[] {
  const splitter = new ThinkTagSplitter();
  const merged: ContentSegment[] = [];
  for (const segment of [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.flush()]) {
    const last = merged.at(-1);
    if (last?.type === segment.type) last.text += segment.text;
    else merged.push({ ...segment });
  }
  return merged;
}

describe('ThinkTagSplitter', () => {
  const content = '<think>Let me see: 2 < 3.</think>\n\nThe answer is <b>4</b>.';
  const expected = [
    { type: 'reasoning', text: 'Let me see: 2 < 3.' },
    { type: 'text', text: 'The answer is <b>4</b>.' },
  ];

  it('splits content given whole', () => {
    expect(split([content])).toEqual(expected);
  });

  it('splits content cut at every single point', () => {
    for (let at = 0; at <= content.length; at++) expect(split([content.slice(0, at), content.slice(at)])).toEqual(expected);
  });

  it('splits content cut at every pair of points', () => {
    for (let first = 0; first <= content.length; first++) {
      for (let second = first; second <= content.length; second++) {
        expect(split([content.slice(0, first), content.slice(first, second), content.slice(second)])).toEqual(expected);
      }
    }
  });

  it('splits content streamed a character at a time', () => {
    expect(split([...content])).toEqual(expected);
  });

  it('leaves content without tags as text, holding back only what could begin a tag', () => {
    const splitter = new ThinkTagSplitter();
    expect(splitter.push('a <b> and <thi')).toEqual([{ type: 'text', text: 'a <b> and ' }]);
    expect(splitter.push('ng')).toEqual([{ type: 'text', text: '<thing' }]);
    expect(splitter.push(' <')).toEqual([{ type: 'text', text: ' ' }]);
    expect(splitter.flush()).toEqual([{ type: 'text', text: '<' }]);
  });

  it('keeps reasoning that never closes as reasoning', () => {
    expect(split(['<think>still thinking', ' </thin'])).toEqual([{ type: 'reasoning', text: 'still thinking </thin' }]);
  });

  it('handles several think blocks among the text', () => {
    expect(split(['Hi <think>a</think> there <think>b</think>'])).toEqual([
      { type: 'text', text: 'Hi ' },
      { type: 'reasoning', text: 'a' },
      { type: 'text', text: 'there ' },
      { type: 'reasoning', text: 'b' },
    ]);
  });
});
