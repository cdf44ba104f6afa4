import { describe, expect, it } from '@jest/globals';
import { ReplyParts } from './reply-parts.js';

describe('ReplyParts', () => {
  it('merges consecutive deltas of one kind into one part, in order', () => {
    const parts = new ReplyParts();
    parts.addReasoning({ text: 'Let ' });
    parts.addReasoning({ text: 'me think' });
    parts.addText('The ');
    parts.addText('answer');
    parts.addReasoning({ text: 'again' });
    expect(parts.saved()).toEqual([
      { type: 'reasoning', text: 'Let me think' },
      { type: 'text', text: 'The answer' },
      { type: 'reasoning', text: 'again' },
    ]);
    expect(parts.text()).toBe('The answer');
    expect(parts.deltas).toBe(5);
  });

  it('seals a thinking block with its signature and keeps a redacted block apart', () => {
    const parts = new ReplyParts();
    parts.addReasoning({ text: 'hmm' });
    parts.addReasoning({ text: '', signature: 'sig-1' });
    parts.addReasoning({ text: '', redactedData: 'opaque' });
    parts.addReasoning({ text: 'more' });
    parts.addReasoning({ text: '', signature: 'sig-2' });
    parts.addText('Done');
    expect(parts.saved()).toEqual([
      { type: 'reasoning', text: 'hmm', metadata: { signature: 'sig-1' } },
      { type: 'reasoning', text: '', metadata: { redactedData: 'opaque' } },
      { type: 'reasoning', text: 'more', metadata: { signature: 'sig-2' } },
      { type: 'text', text: 'Done' },
    ]);
  });

  it('saves no parts for a reply that is text alone', () => {
    const parts = new ReplyParts();
    parts.addText('plain');
    expect(parts.saved()).toBeNull();
    expect(parts.text()).toBe('plain');
  });
});
