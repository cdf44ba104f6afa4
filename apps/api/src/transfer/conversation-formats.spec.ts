import { describe, expect, it } from '@jest/globals';
import { EXPORT_FORMAT, IMPORT_LIMITS, parseImport } from './conversation-formats.js';

const node = (id: string, parent: string | null, message: Record<string, unknown> | null) => ({ id, parent, children: [], message });
const say = (role: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({ author: { role }, content, create_time: 1_700_000_000, metadata });
const ours = (messages: Record<string, unknown>[], session: Record<string, unknown> = {}) => ({
  format: EXPORT_FORMAT,
  version: 1,
  session: { title: 'T', provider: 'echo', model: 'echo-1', ...session },
  messages,
});

describe('parseImport', () => {
  it("keeps a ChatGPT message's text parts only, skips hidden and tool nodes and attaches their children above them", () => {
    const [conversation] = parseImport([
      {
        title: '  ',
        mapping: {
          r: node('r', null, null),
          u: node('u', 'r', say('user', { content_type: 'multimodal_text', parts: [{ asset_pointer: 'file-service://x' }, 'What is in this picture?'] })),
          h: node('h', 'u', say('assistant', { content_type: 'text', parts: ['hidden'] }, { is_visually_hidden_from_conversation: true })),
          t: node('t', 'h', say('tool', { content_type: 'text', parts: ['tool output'] })),
          a: node('a', 't', say('assistant', { content_type: 'code', text: 'print(1)' }, { model_slug: 'gpt-4o-mini' })),
        },
      },
    ]);
    expect(conversation).toEqual(
      expect.objectContaining({
        title: 'Imported conversation',
        provider: 'openai',
        model: 'gpt-4o-mini',
        activeKey: null,
        messages: [
          expect.objectContaining({ key: 'u', parentKey: null, role: 'user', content: 'What is in this picture?' }),
          expect.objectContaining({ key: 'a', parentKey: 'u', role: 'assistant', content: 'print(1)', model: 'gpt-4o-mini' }),
        ],
      }),
    );
  });

  it('orders our messages parents first and refuses duplicates, missing parents and cycles', () => {
    const [conversation] = parseImport(
      ours([
        { id: 'b', parentId: 'a', role: 'assistant', content: 'answer' },
        { id: 'a', parentId: null, role: 'user', content: 'question' },
      ]),
    );
    expect(conversation!.messages.map((message) => message.key)).toEqual(['a', 'b']);
    const refuse = (messages: Record<string, unknown>[], problem: RegExp) => expect(() => parseImport(ours(messages))).toThrow(problem);
    refuse([{ id: 'a', parentId: null, role: 'user', content: 'x' }, { id: 'a', parentId: null, role: 'user', content: 'y' }], /appears twice/);
    refuse([{ id: 'a', parentId: 'nowhere', role: 'user', content: 'x' }], /not there/);
    refuse([{ id: 'a', parentId: 'b', role: 'user', content: 'x' }, { id: 'b', parentId: 'a', role: 'assistant', content: 'y' }], /cycle/);
    expect(() => parseImport(ours([], { activeMessageId: 'missing' }))).toThrow(/not one of its messages/);
    expect(() => parseImport(ours([], { tags: ['ok', ' padded'] }))).toThrow(/tags/);
  });

  it('handles a conversation thousands of turns deep without recursion, and refuses more than the limits', () => {
    const depth = 5000;
    const messages = Array.from({ length: depth }, (_, i) => ({ id: `m${i}`, parentId: i === 0 ? null : `m${i - 1}`, role: i % 2 ? 'assistant' : 'user', content: `${i}` }));
    expect(parseImport(ours(messages))[0]!.messages).toHaveLength(depth);
    const tooMany = Array.from({ length: IMPORT_LIMITS.messagesPerConversation + 1 }, (_, i) => ({ id: `m${i}`, parentId: null, role: 'user', content: 'x' }));
    expect(() => parseImport(ours(tooMany))).toThrow(/at most/);
    expect(() => parseImport(Array.from({ length: IMPORT_LIMITS.conversations + 1 }, () => ours([])))).toThrow(/more than/);
  });
});
