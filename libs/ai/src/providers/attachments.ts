import type { ChatAttachment, ChatTurn } from '../chat-provider.interface.js';

/**
 * A user turn's content in each wire format: its text alone when it has no files, else the files and the text as
 * the provider's content parts. The files come first, as Anthropic advises (the others do not mind).
 */

const isPdf = (file: ChatAttachment) => file.mediaType === 'application/pdf';
const dataUrl = (file: ChatAttachment) => `data:${file.mediaType};base64,${file.data}`;

export type OpenAiContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } }
  | { type: 'file'; file: { filename: string; file_data: string } };

/** OpenAI Chat Completions: images as `image_url` data URLs, PDFs as `file` parts with base64 `file_data`. */
export function openAiUserContent(turn: ChatTurn): string | OpenAiContentPart[] {
  if (!turn.attachments?.length) return turn.content;
  const files = turn.attachments.map(
    (file): OpenAiContentPart =>
      isPdf(file) ? { type: 'file', file: { filename: file.filename ?? 'document.pdf', file_data: dataUrl(file) } } : { type: 'image_url', image_url: { url: dataUrl(file) } },
  );
  return [...files, { type: 'text', text: turn.content }];
}

export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image' | 'document'; source: { type: 'base64'; media_type: string; data: string } };

/** Anthropic Messages: `image` and `document` (PDF) blocks with a base64 source. */
export function anthropicUserContent(turn: ChatTurn): string | AnthropicContentBlock[] {
  if (!turn.attachments?.length) return turn.content;
  const files = turn.attachments.map(
    (file): AnthropicContentBlock => ({ type: isPdf(file) ? 'document' : 'image', source: { type: 'base64', media_type: file.mediaType, data: file.data } }),
  );
  return [...files, { type: 'text', text: turn.content }];
}

export type GeminiPart = { text: string } | { inlineData: { mimeType: string; data: string } };

/** Gemini generateContent: `inlineData` parts. */
export function geminiUserParts(turn: ChatTurn): GeminiPart[] {
  const files = (turn.attachments ?? []).map((file): GeminiPart => ({ inlineData: { mimeType: file.mediaType, data: file.data } }));
  return [...files, { text: turn.content }];
}
