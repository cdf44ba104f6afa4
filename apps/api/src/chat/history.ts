import type { ChatAttachment, ChatTurn, ReasoningBlock, ToolCall, ToolDefinition } from '@app/ai';
import type { MessageEntity, MessagePart } from '@app/persistence';

/** A file part of a message: the file stays in the files store, the message names it. */
export type FilePart = Extract<MessagePart, { type: 'file' }>;

/**
 * A turn of the context, with the files its message names, still to be read (see `readFiles`), and for a reply
 * that called tools the tools its request offered (see `toolsOfHistory`).
 */
export type HistoryTurn = ChatTurn & { files?: FilePart[]; offeredTools?: ToolDefinition[] };

export const fileParts = (parts: readonly MessagePart[] | null | undefined): FilePart[] => (parts ?? []).filter((part): part is FilePart => part.type === 'file');

type StoredMessage = Pick<MessageEntity, 'role' | 'content' | 'parts'> & Partial<Pick<MessageEntity, 'tools'>>;

/**
 * The turns recorded messages stand for, newest first like the branch they come from. A reply that made tool
 * calls carries them, with its reasoning blocks (a provider may require its signed thinking back on a tool turn;
 * its strategy decides); a message of tool results is one `tool` turn per result; a question keeps the files it
 * names.
 */
export function storedTurns(newestFirst: readonly StoredMessage[]): HistoryTurn[] {
  return newestFirst.flatMap((message): HistoryTurn[] => {
    const parts = message.parts ?? [];
    if (message.role === 'tool') {
      return parts.flatMap((part) => (part.type === 'tool_result' ? [{ role: 'tool' as const, content: part.content, toolCallId: part.toolCallId }] : [])).reverse();
    }
    const toolCalls = parts.flatMap(({ type, ...call }) => (type === 'tool_call' ? [call as ToolCall] : []));
    if (message.role !== 'assistant' || toolCalls.length === 0) {
      const files = fileParts(parts);
      return [{ role: message.role, content: message.content, ...(files.length > 0 && { files }) }];
    }
    const reasoning = parts.flatMap((part): ReasoningBlock[] =>
      part.type === 'reasoning' ? [{ text: part.text, ...(part.metadata?.signature && { signature: part.metadata.signature }), ...(part.metadata?.redactedData && { redactedData: part.metadata.redactedData }) }] : [],
    );
    return [{ role: 'assistant', content: message.content, toolCalls, ...(reasoning.length > 0 && { reasoning }), ...(message.tools?.length && { offeredTools: message.tools }) }];
  });
}

/** What a turn weighs against the history's character budget: its text and its calls' names and arguments (files are weighed by `readFiles`). */
function size(turn: ChatTurn): number {
  return turn.content.length + (turn.toolCalls?.reduce((sum, call) => sum + call.name.length + call.arguments.length, 0) ?? 0);
}

/** A tool turn needs the call it answers before it, and a reply that calls tools the question or results it answers. */
const needsPredecessor = (turn: ChatTurn) => turn.role === 'tool' || (turn.role === 'assistant' && (turn.toolCalls?.length ?? 0) > 0);

/**
 * Picks the context for the next reply from the latest turns (given newest first): walks back from the newest
 * while the character budget allows, so long chats keep their most recent turns, not their first ones. The
 * newest turn is always sent, and so is the chain of tool calls and results it ends (back to the question that
 * began it), whatever the budget: the window never falls between a call and its result. Empty replies (failed
 * before any text) carry nothing and are skipped, and the window never opens on an assistant or tool turn, which
 * several providers reject.
 */
export function selectHistory(newestFirst: readonly HistoryTurn[], maxChars: number): HistoryTurn[] {
  const picked: HistoryTurn[] = [];
  let used = 0;
  for (const turn of newestFirst) {
    if (turn.content.length === 0 && turn.role !== 'tool' && !turn.toolCalls?.length && !turn.attachments?.length && !turn.files?.length) continue;
    const chained = picked.length > 0 && needsPredecessor(picked.at(-1)!);
    if (picked.length > 0 && !chained && used + size(turn) > maxChars) break;
    used += size(turn);
    picked.push(turn);
  }
  picked.reverse();
  while (picked.length > 1 && (picked[0]!.role === 'assistant' || picked[0]!.role === 'tool')) picked.shift();
  return pairToolTurns(picked);
}

/**
 * The newest `max` turns (given newest first). When they hold no user turn (a chain of tool calls and results
 * longer than the cap), the question that began the chain is kept in place of the oldest of them: the chain is
 * sent with its question, its middle rounds left out (`selectHistory` drops a call cut from its results whole).
 */
export function capTurns<T extends ChatTurn>(newestFirst: readonly T[], max: number): T[] {
  const kept = newestFirst.slice(0, max);
  if (kept.some((turn) => turn.role === 'user')) return kept;
  const question = newestFirst.slice(max).find((turn) => turn.role === 'user');
  return question ? [...kept.slice(0, max - 1), question] : kept;
}

/**
 * Every provider wants each tool call answered by the turns right after it, and no result without its call. A
 * reply whose calls were never all answered (stopped, or the user wrote instead) keeps only its text; results
 * without their call are left out.
 */
function pairToolTurns(oldestFirst: readonly HistoryTurn[]): HistoryTurn[] {
  const paired: HistoryTurn[] = [];
  for (let index = 0; index < oldestFirst.length; index++) {
    const turn = oldestFirst[index]!;
    if (turn.role === 'tool') continue;
    if (turn.role !== 'assistant' || !turn.toolCalls?.length) {
      paired.push(turn);
      continue;
    }
    const results: HistoryTurn[] = [];
    while (oldestFirst[index + 1]?.role === 'tool') results.push(oldestFirst[++index]!);
    const ids = new Set(turn.toolCalls.map((call) => call.id));
    const answered = new Set(results.map((result) => result.toolCallId).filter((id) => id !== undefined && ids.has(id)));
    if (answered.size === ids.size && results.length === ids.size) paired.push(turn, ...results);
    else if (turn.content) paired.push({ role: 'assistant', content: turn.content });
  }
  return paired;
}
/**
 * The tools the newest reply of the window that called tools was offered. Anthropic refuses a history of tool
 * calls without tool definitions (and Gemini may): a turn that offers none is offered these, with the choice
 * `none`, so that the model reads the calls and results and makes no new call.
 */
export function toolsOfHistory(window: readonly HistoryTurn[]): ToolDefinition[] | undefined {
  return window.findLast((turn) => turn.offeredTools?.length)?.offeredTools;
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
  if (named.length === 0) return turns.map(({ files: _none, offeredTools: _offered, ...turn }) => turn);
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
  return turns.map(({ files, offeredTools: _offered, ...turn }) => {
    const attachments: ChatAttachment[] = (files ?? []).flatMap((part) => {
      const read = bytes.get(part.fileId);
      return read ? [{ mediaType: part.mediaType, data: read.toString('base64'), ...(part.filename && { filename: part.filename }) }] : [];
    });
    return attachments.length > 0 ? { ...turn, attachments: [...(turn.attachments ?? []), ...attachments] } : turn;
  });
}
