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

  it('assembles tool calls from their pieces, closing each when the next begins, with an id where the provider gave none', () => {
    const parts = new ReplyParts();
    parts.addText('Checking');
    expect(parts.addToolCallPiece({ index: 1, id: 'a', name: 'weather', arguments: '{"ci' }, 2)).toEqual({ position: 0, closed: null, opened: { id: 'a', name: 'weather' } });
    expect(parts.addToolCallPiece({ index: 1, arguments: 'ty":1}' }, 2)).toEqual({ position: 0, closed: null, opened: null });
    const second = parts.addToolCallPiece({ index: 2, name: 'time', arguments: '{}' }, 2);
    expect(second).toMatchObject({ position: 1, closed: { id: 'a', name: 'weather', arguments: '{"city":1}' }, opened: { id: expect.stringMatching(/^call_/), name: 'time' } });
    expect(parts.addToolCallPiece({ index: 1, arguments: 'late' }, 2)).toBe('out_of_order');
    expect(parts.addToolCallPiece({ index: 3, name: 'x', arguments: '' }, 2)).toBe('too_many');
    expect(parts.closeToolCall()).toMatchObject({ name: 'time', arguments: '{}' });
    expect(parts.saved()!.map((part) => part.type)).toEqual(['text', 'tool_call', 'tool_call']);
    expect(parts.toolCalls()).toHaveLength(2);
  });

  it('drops a call cut off by the end of the reply, keeping the complete ones', () => {
    const parts = new ReplyParts();
    parts.addToolCallPiece({ index: 0, id: 'a', name: 'weather', arguments: '{}' }, 5);
    parts.addToolCallPiece({ index: 1, id: 'b', name: 'time', arguments: '{"zo' }, 5);
    parts.dropOpenToolCall();
    expect(parts.closeToolCall()).toBeNull();
    expect(parts.toolCalls()).toEqual([{ id: 'a', name: 'weather', arguments: '{}' }]);
  });
});
