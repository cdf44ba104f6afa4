import type { ChatTurn, ReasoningBlock, ToolCall } from '@app/ai';
import type { MessageEntity } from '@app/persistence';

type StoredMessage = Pick<MessageEntity, 'role' | 'content' | 'parts'>;

/**
 * The turns recorded messages stand for, newest first like the branch they come from. A reply that made tool
 * calls carries them, with its reasoning blocks (a provider may require its signed thinking back on a tool turn;
 * its strategy decides); a message of tool results is one `tool` turn per result.
 */
export function storedTurns(newestFirst: readonly StoredMessage[]): ChatTurn[] {
  return newestFirst.flatMap((message): ChatTurn[] => {
    const parts = message.parts ?? [];
    if (message.role === 'tool') {
      return parts.flatMap((part) => (part.type === 'tool_result' ? [{ role: 'tool' as const, content: part.content, toolCallId: part.toolCallId }] : [])).reverse();
    }
    const toolCalls = parts.flatMap(({ type, ...call }) => (type === 'tool_call' ? [call as ToolCall] : []));
    if (message.role !== 'assistant' || toolCalls.length === 0) return [{ role: message.role, content: message.content }];
    const reasoning = parts.flatMap((part): ReasoningBlock[] =>
      part.type === 'reasoning' ? [{ text: part.text, ...(part.metadata?.signature && { signature: part.metadata.signature }), ...(part.metadata?.redactedData && { redactedData: part.metadata.redactedData }) }] : [],
    );
    return [{ role: 'assistant', content: message.content, toolCalls, ...(reasoning.length > 0 && { reasoning }) }];
  });
}

/** What a turn weighs against the history's character budget: its text and its calls' names and arguments. */
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
export function selectHistory(newestFirst: readonly ChatTurn[], maxChars: number): ChatTurn[] {
  const picked: ChatTurn[] = [];
  let used = 0;
  for (const turn of newestFirst) {
    if (turn.content.length === 0 && turn.role !== 'tool' && !turn.toolCalls?.length) continue;
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
 * Every provider wants each tool call answered by the turns right after it, and no result without its call. A
 * reply whose calls were never all answered (stopped, or the user wrote instead) keeps only its text; results
 * without their call are left out.
 */
function pairToolTurns(oldestFirst: readonly ChatTurn[]): ChatTurn[] {
  const paired: ChatTurn[] = [];
  for (let index = 0; index < oldestFirst.length; index++) {
    const turn = oldestFirst[index]!;
    if (turn.role === 'tool') continue;
    if (turn.role !== 'assistant' || !turn.toolCalls?.length) {
      paired.push(turn);
      continue;
    }
    const results: ChatTurn[] = [];
    while (oldestFirst[index + 1]?.role === 'tool') results.push(oldestFirst[++index]!);
    const ids = new Set(turn.toolCalls.map((call) => call.id));
    const answered = new Set(results.map((result) => result.toolCallId).filter((id) => id !== undefined && ids.has(id)));
    if (answered.size === ids.size && results.length === ids.size) paired.push(turn, ...results);
    else if (turn.content) paired.push({ role: 'assistant', content: turn.content });
  }
  return paired;
}
