import { describe, expect, it } from '@jest/globals';
import type { ChatTurn } from '../chat-provider.interface.js';
import { anthropicUserContent, geminiUserParts, openAiUserContent } from './attachments.js';

const png = { mediaType: 'image/png', data: 'iVBORw0KGgo=' };
const pdf = { mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'report.pdf' };
const turn: ChatTurn = { role: 'user', content: 'Compare these', attachments: [png, pdf] };
const plain: ChatTurn = { role: 'user', content: 'Hello' };

describe('attachments in each wire format', () => {
  it('OpenAI: image_url data URLs and file parts with file_data, then the text; a plain turn stays a string', () => {
    expect(openAiUserContent(turn)).toEqual([
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'file', file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
      { type: 'text', text: 'Compare these' },
    ]);
    expect(openAiUserContent(plain)).toBe('Hello');
    expect(openAiUserContent({ ...plain, attachments: [] })).toBe('Hello');
  });

  it('Anthropic: image and document blocks with a base64 source, then the text', () => {
    expect(anthropicUserContent(turn)).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
      { type: 'text', text: 'Compare these' },
    ]);
    expect(anthropicUserContent(plain)).toBe('Hello');
  });

  it('Gemini: inlineData parts, then the text part', () => {
    expect(geminiUserParts(turn)).toEqual([
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { text: 'Compare these' },
    ]);
    expect(geminiUserParts(plain)).toEqual([{ text: 'Hello' }]);
  });
});
