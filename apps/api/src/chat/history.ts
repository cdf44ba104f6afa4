import type { ChatTurn } from '@app/ai';
import type { MessageEntity } from '@app/persistence';

/**
 * Picks the context for the next reply from the latest messages (given newest first): walks back from the
 * newest while the character budget allows, so long chats keep their most recent turns, not their first ones.
 * The newest message is always sent. Empty replies (failed before any text) carry nothing and are skipped, and
 * the window never opens on an assistant turn, which several providers reject.
 */
export function selectHistory(newestFirst: readonly Pick<MessageEntity, 'role' | 'content'>[], maxChars: number): ChatTurn[] {
  const picked: ChatTurn[] = [];
  let used = 0;
  for (const message of newestFirst) {
    if (message.content.length === 0) continue;
    if (picked.length > 0 && used + message.content.length > maxChars) break;
    used += message.content.length;
    picked.push({ role: message.role, content: message.content });
  }
  picked.reverse();
  while (picked.length > 1 && picked[0]!.role === 'assistant') picked.shift();
  return picked;
}
