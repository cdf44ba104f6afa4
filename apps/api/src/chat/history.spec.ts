import { describe, expect, it } from '@jest/globals';
import type { MessageEntity } from '@app/persistence';
import { capTurns, readFiles, selectHistory, storedTurns, toolsOfHistory } from './history.js';

const message = (role: MessageEntity['role'], content: string) => ({ role, content }) as MessageEntity;

/** 30 turns, oldest first: user 0, assistant 0, user 1, ... */
const conversation = Array.from({ length: 30 }, (_, i) => [message('user', `question ${i}`), message('assistant', `answer ${i}`)]).flat();
const newestFirst = [...conversation].reverse();

describe('selectHistory', () => {
  it('keeps the latest turns, oldest first, within the budget', () => {
    const budget = 'question 29'.length + 'answer 28'.length + 'question 28'.length;
    expect(selectHistory(newestFirst.slice(1), budget)).toEqual([
      { role: 'user', content: 'question 28' },
      { role: 'assistant', content: 'answer 28' },
      { role: 'user', content: 'question 29' },
    ]);
  });

  it('returns everything when it fits', () => {
    const history = selectHistory(newestFirst, 1_000_000);
    expect(history).toHaveLength(60);
    expect(history[0]).toEqual({ role: 'user', content: 'question 0' });
    expect(history.at(-1)).toEqual({ role: 'assistant', content: 'answer 29' });
  });

  it('always sends the newest message, even over budget', () => {
    expect(selectHistory([message('user', 'x'.repeat(500))], 10)).toEqual([{ role: 'user', content: 'x'.repeat(500) }]);
  });

  it('never opens on an assistant turn and skips empty replies', () => {
    const turns = [message('user', 'again?'), message('assistant', ''), message('user', 'hi'), message('assistant', 'old answer')];
    expect(selectHistory(turns, 1000)).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'user', content: 'again?' },
    ]);
    expect(selectHistory([message('user', 'q'), message('assistant', 'a'.repeat(100))], 50)).toEqual([{ role: 'user', content: 'q' }]);
  });

  describe('tool calls', () => {
    const call = { type: 'tool_call' as const, id: 'c1', name: 'weather', arguments: '{"city":"Paris"}' };
    const signed = { type: 'reasoning' as const, text: 'think', metadata: { signature: 'sig' } };
    const stored = (role: MessageEntity['role'], content: string, parts: MessageEntity['parts'] = null) => ({ role, content, parts }) as MessageEntity;
    // Newest first: the answer after the results, the results, the reply that called, the question.
    const loop = [
      stored('assistant', 'It rains'),
      stored('tool', '', [{ type: 'tool_result', toolCallId: 'c1', content: 'rain' }]),
      stored('assistant', '', [signed, call]),
      stored('user', 'weather?'),
    ];

    it('maps calls, their reasoning and results to turns', () => {
      expect(selectHistory(storedTurns(loop), 1000)).toEqual([
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Paris"}' }], reasoning: [{ text: 'think', signature: 'sig' }] },
        { role: 'tool', content: 'rain', toolCallId: 'c1' },
        { role: 'assistant', content: 'It rains' },
      ]);
    });

    it('never cuts between a call and its result, whatever the budget', () => {
      const window = selectHistory(storedTurns([...loop.slice(1), stored('assistant', 'old'), stored('user', 'older')]), 1);
      expect(window.map((turn) => turn.role)).toEqual(['user', 'assistant', 'tool']);
    });

    it('tells the tools the newest calling reply was offered, and sends none of them as a turn field', async () => {
      const tools = [{ name: 'weather', parameters: { type: 'object' } }];
      const offered = [loop[0]!, loop[1]!, { ...loop[2]!, tools } as MessageEntity, loop[3]!];
      const window = selectHistory(storedTurns(offered), 1000);
      expect(toolsOfHistory(window)).toEqual(tools);
      expect(toolsOfHistory(selectHistory(storedTurns(loop), 1000))).toBeUndefined();
      const read = await readFiles(window, 1000, { sizes: async () => new Map(), bytes: async () => new Map() });
      expect(read.some((turn) => 'offeredTools' in turn)).toBe(false);
    });

    /** Newest first: `rounds` calls each answered by its result, after the question `go`. */
    const longLoop = (rounds: number) => [
      ...Array.from({ length: rounds }, (_, i) => [
        stored('tool', '', [{ type: 'tool_result', toolCallId: `c${i}`, content: `r${i}` }]),
        stored('assistant', '', [{ ...call, id: `c${i}` }]),
      ])
        .reverse()
        .flat(),
      stored('user', 'go'),
    ];

    it('sends a chain cut from its oldest rounds with its question, the cut round left out whole', () => {
      // The branch read up to the cap, then the question read further back (see ChatService.branchWithQuestion).
      const loop = longLoop(10);
      const window = selectHistory(storedTurns([...loop.slice(0, 5), loop.at(-1)!]), 1);
      expect(window.map((turn) => turn.toolCallId ?? turn.toolCalls?.[0]?.id ?? turn.content)).toEqual(['go', 'c8', 'c8', 'c9', 'c9']);
      expect(window.map((turn) => turn.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool']);
    });

    it('capTurns keeps the question of a chain longer than the cap in place of its oldest turn', () => {
      const turns = storedTurns(longLoop(10));
      const capped = capTurns(turns, 6);
      expect(capped).toHaveLength(6);
      expect(capped.at(-1)).toEqual({ role: 'user', content: 'go' });
      expect(selectHistory(capped, 1).map((turn) => turn.toolCallId ?? turn.toolCalls?.[0]?.id ?? turn.content)).toEqual(['go', 'c8', 'c8', 'c9', 'c9']);
      // A window that holds a user turn, or a chain without one, is only cut.
      expect(capTurns(turns, 21)).toEqual(turns.slice(0, 21));
      expect(capTurns(turns.slice(0, 20), 6)).toEqual(turns.slice(0, 6));
    });

    it('leaves out calls never answered, keeping their text', () => {
      const unanswered = [stored('user', 'next'), stored('assistant', 'let me see', [{ type: 'text', text: 'let me see' }, call]), stored('user', 'weather?')];
      expect(selectHistory(storedTurns(unanswered), 1000)).toEqual([
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: 'let me see' },
        { role: 'user', content: 'next' },
      ]);
    });
  });
});

describe('readFiles', () => {
  const file = (fileId: string) => ({ type: 'file' as const, fileId, mediaType: 'image/png' });
  const sizes = new Map([
    ['a', 40],
    ['b', 40],
    ['c', 40],
  ]);
  const reader = {
    sizes: async (ids: readonly string[]) => new Map(ids.filter((id) => sizes.has(id)).map((id) => [id, sizes.get(id)!])),
    bytes: async (ids: readonly string[]) => new Map(ids.map((id) => [id, Buffer.from(id)])),
  };

  it('sends the newest turns’ files first and leaves out the older ones beyond the budget, keeping their text', async () => {
    const turns = [
      { role: 'user' as const, content: 'old', files: [file('a')] },
      { role: 'assistant' as const, content: 'ok' },
      { role: 'user' as const, content: 'new', files: [file('b'), file('c'), file('gone')] },
    ];
    expect(await readFiles(turns, 100, reader)).toEqual([
      { role: 'user', content: 'old' },
      { role: 'assistant', content: 'ok' },
      {
        role: 'user',
        content: 'new',
        attachments: [
          { mediaType: 'image/png', data: Buffer.from('b').toString('base64') },
          { mediaType: 'image/png', data: Buffer.from('c').toString('base64') },
        ],
      },
    ]);
  });
});
