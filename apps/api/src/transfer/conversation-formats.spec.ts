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

  it('keeps every kind of part, checked; drops provider data and turns files into a note naming them', () => {
    const [conversation] = parseImport(
      ours([
        { id: 'q', parentId: null, role: 'user', content: 'x', parts: [{ type: 'file', fileId: 'f1', mediaType: 'image/png', filename: 'cat.png' }, { type: 'text', text: 'What is it?' }] },
        {
          id: 'a',
          parentId: 'q',
          role: 'assistant',
          content: 'ignored',
          parts: [
            { type: 'reasoning', text: 'Looking.', metadata: { signature: 'forged' } },
            { type: 'reasoning', text: '', metadata: { redactedData: 'opaque' } },
            { type: 'tool_call', id: 'c1', name: 'look_up', arguments: '{"q":"cat"}' },
          ],
        },
        { id: 't', parentId: 'a', role: 'tool', content: '', parts: [{ type: 'tool_result', toolCallId: 'c1', content: 'a cat' }] },
        { id: 'b', parentId: 't', role: 'assistant', content: 'A cat.', parts: [{ type: 'text', text: 'A cat.' }] },
      ]),
    );
    expect(conversation!.messages.map(({ content, parts }) => ({ content, parts }))).toEqual([
      { content: '[file: cat.png]What is it?', parts: [{ type: 'text', text: '[file: cat.png]' }, { type: 'text', text: 'What is it?' }] },
      { content: '', parts: [{ type: 'reasoning', text: 'Looking.' }, { type: 'tool_call', id: 'c1', name: 'look_up', arguments: '{"q":"cat"}' }] },
      { content: '', parts: [{ type: 'tool_result', toolCallId: 'c1', content: 'a cat' }] },
      { content: 'A cat.', parts: null },
    ]);
  });

  it('refuses a part it does not know, a part of the wrong role, a wrong field, and tool messages without their call', () => {
    const question = { id: 'q', parentId: null, role: 'user', content: 'x' };
    const refuse = (messages: Record<string, unknown>[], problem: RegExp) => expect(() => parseImport(ours(messages))).toThrow(problem);
    refuse([question, { id: 'a', parentId: 'q', role: 'assistant', content: '', parts: [{ type: 'text', text: 'ok' }, { type: 'image' }] }], /conversation\.messages\[1\]\.parts\[1\]\.type: must be one of/);
    refuse([{ ...question, parts: [{ type: 'reasoning', text: 'mine' }] }], /messages\[0\]\.parts\[0\]\.type: reasoning is not a part of a user message/);
    refuse([question, { id: 'a', parentId: 'q', role: 'assistant', content: '', parts: [{ type: 'tool_call', id: 'c', name: 'f', arguments: {} }] }], /parts\[0\]\.arguments: must be a string/);
    refuse([question, { id: 'a', parentId: 'q', role: 'assistant', content: '', parts: [{ type: 'tool_call', id: 'c', name: 'no spaces', arguments: '{}' }] }], /parts\[0\]\.name/);
    refuse([question, { id: 't', parentId: 'q', role: 'tool', content: 'x' }], /messages\[1\]\.parts: are required/);
    refuse([question, { id: 't', parentId: 'q', role: 'tool', content: '', parts: [{ type: 'text', text: 'x' }] }], /text is not a part of a tool message/);
    refuse([question, { id: 't', parentId: 'q', role: 'tool', content: '', parts: [{ type: 'tool_result', toolCallId: 'c', content: 'x' }] }], /toolCallId: answers no tool call/);
    refuse([{ ...question, parts: 'text' }], /parts: must be an array/);
    refuse([{ ...question, parts: Array.from({ length: IMPORT_LIMITS.partsPerMessage + 1 }, () => ({ type: 'text', text: '' })) }], /at most 500 parts/);
    refuse([{ ...question, parts: [{ type: 'text', text: 'x'.repeat(300_000) }, { type: 'text', text: 'x'.repeat(300_000) }] }], /characters in all/);
  });
});
