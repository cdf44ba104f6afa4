import type { ChatAttachment, ChatTurn } from '@app/ai';
import type { MessagePart } from '@app/persistence';

/** A file part of a message: the file stays in the files store, the message names it. */
export type FilePart = Extract<MessagePart, { type: 'file' }>;

/** A turn of the context as the chat service gathers it: a recorded message keeps its parts (its files among them). */
export type ContextTurn = ChatTurn & { parts?: MessagePart[] | null };

/** A turn of the window, with the files its message names, still to be read. */
export type HistoryTurn = ChatTurn & { files?: FilePart[] };

export const fileParts = (parts: readonly MessagePart[] | null | undefined): FilePart[] => (parts ?? []).filter((part): part is FilePart => part.type === 'file');

/**
 * Picks the context for the next reply from the latest messages (given newest first): walks back from the
 * newest while the character budget allows, so long chats keep their most recent turns, not their first ones.
 * The newest message is always sent. Empty replies (failed before any text) carry nothing and are skipped, and
 * the window never opens on an assistant turn, which several providers reject. Files are not counted here: see
 * `readFiles`.
 */
export function selectHistory(newestFirst: readonly ContextTurn[], maxChars: number): HistoryTurn[] {
  const picked: HistoryTurn[] = [];
  let used = 0;
  for (const message of newestFirst) {
    if (message.content.length === 0) continue;
    if (picked.length > 0 && used + message.content.length > maxChars) break;
    used += message.content.length;
    const files = fileParts(message.parts);
    picked.push({ role: message.role, content: message.content, ...(message.attachments && { attachments: message.attachments }), ...(files.length > 0 && { files }) });
  }
  picked.reverse();
  while (picked.length > 1 && picked[0]!.role === 'assistant') picked.shift();
  return picked;
}

/** Reads the files the store still has (deleted ones are left out): sizes first, bytes only of those chosen. */
export interface FileReader {
  sizes(fileIds: readonly string[]): Promise<Map<string, number>>;
  bytes(fileIds: readonly string[]): Promise<Map<string, Buffer>>;
}

/**
 * The window's files as attachments, within `maxBytes` in all: the newest turn's first (the caller checked they
 * fit), then the earlier turns', newest first; once one does not fit, it and every older one are left out (their
 * turns keep their text), so the model sees the files the conversation is about now. A file deleted since is
 * left out.
 */
export async function readFiles(turns: readonly HistoryTurn[], maxBytes: number, reader: FileReader): Promise<ChatTurn[]> {
  const named = turns.flatMap((turn) => turn.files ?? []).map((part) => part.fileId);
  if (named.length === 0) return turns.map(({ files: _none, ...turn }) => turn);
  const sizes = await reader.sizes([...new Set(named)]);
  const chosen = new Set<string>();
  let used = 0;
  let full = false;
  for (const turn of [...turns].reverse()) {
    for (const part of turn.files ?? []) {
      const size = sizes.get(part.fileId);
      if (size === undefined || full || chosen.has(part.fileId)) continue;
      if (used + size > maxBytes) {
        full = true;
        continue;
      }
      used += size;
      chosen.add(part.fileId);
    }
  }
  const bytes = await reader.bytes([...chosen]);
  return turns.map(({ files, ...turn }) => {
    const attachments: ChatAttachment[] = (files ?? []).flatMap((part) => {
      const read = bytes.get(part.fileId);
      return read ? [{ mediaType: part.mediaType, data: read.toString('base64'), ...(part.filename && { filename: part.filename }) }] : [];
    });
    return attachments.length > 0 ? { ...turn, attachments: [...(turn.attachments ?? []), ...attachments] } : turn;
  });
}
