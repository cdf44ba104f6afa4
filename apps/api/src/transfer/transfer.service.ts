import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type ChatSessionEntity, ConversationTransferRepository, type MessageEntity, type MessagePart, MessagesRepository, type SessionToImport } from '@app/persistence';
import { ConversationTree } from '../sessions/conversation-tree.js';
import { messageParts } from '../sessions/dto/session-response.dto.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportedConversation, type ImportedConversation, parseImport } from './conversation-formats.js';

/** Sessions read per query while exporting everything: memory holds one page and one conversation at a time. */
const EXPORT_PAGE = 50;

export interface ImportReport {
  sessions: { id: string; title: string; messages: number }[];
  messages: number;
}

function exported(session: ChatSessionEntity, messages: MessageEntity[]): ExportedConversation {
  const { id, title, provider, model, mode, archived, pinned, tags, activeMessageId, createdAt, updatedAt } = session;
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    session: { id, title, provider, model, mode, archived, pinned, tags, activeMessageId, createdAt: new Date(createdAt).toISOString(), updatedAt: new Date(updatedAt).toISOString() },
    messages: messages.map((message) => ({
      id: message.id,
      parentId: message.parentId,
      role: message.role,
      content: message.content,
      parts: messageParts(message),
      status: message.status,
      model: message.model,
      createdAt: message.createdAt.toISOString(),
    })),
  };
}

const ROLE_HEADINGS = { user: 'You', assistant: 'Assistant', system: 'System', tool: 'Tool results' } as const;

/** A code fence longer than any run of backticks in the text, so that the text cannot close it. */
function fenced(text: string, info = ''): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${text}\n${fence}`;
}

/** One line of plain text, Markdown's special characters escaped. */
const inline = (text: string) => text.replace(/\s+/g, ' ').replace(/[\\`*_[\]<>]/g, '\\$&');
/** A code span for an id or a name: nothing is escaped inside one, so backticks and line breaks become spaces. */
const code = (text: string) => `\`${text.replace(/[`\s]+/g, ' ')}\``;

/**
 * One part as Markdown: text as written; reasoning folded in a <details> block (provider signatures and redacted
 * data are opaque and left out; a redacted block is only mentioned); tool calls and results as code; files by name.
 */
function markdownPart(part: MessagePart): string {
  switch (part.type) {
    case 'text':
      return part.text;
    case 'reasoning':
      if (part.text === '') return part.metadata?.redactedData ? '_Reasoning redacted by the provider._' : '';
      return `<details>\n<summary>Reasoning</summary>\n\n${part.text.split('\n').map((line) => `> ${line}`).join('\n')}\n\n</details>`;
    case 'tool_call':
      return `**Tool call** ${code(part.name)} (${code(part.id)})\n\n${fenced(part.arguments, 'json')}`;
    case 'tool_result':
      return `**Tool result** for ${code(part.toolCallId)}\n\n${fenced(part.content)}`;
    case 'file':
      return `[file: ${inline(part.filename ?? 'unnamed')} (${inline(part.mediaType)})]`;
  }
}

/** The branch shown, as Markdown: the title, then each message under its author, part by part. */
function markdown(session: ChatSessionEntity, branch: MessageEntity[]): string {
  const sections = [`# ${session.title.replace(/\s+/g, ' ')}`];
  for (const message of branch) {
    const author = message.role === 'assistant' && message.model ? `${ROLE_HEADINGS.assistant} (${message.model})` : ROLE_HEADINGS[message.role];
    const body = messageParts(message).map(markdownPart).filter((text) => text !== '');
    sections.push(`## ${author}\n\n${body.join('\n\n')}`);
  }
  return `${sections.join('\n\n')}\n`;
}

/** Whole conversations out (our JSON, Markdown, JSON lines of everything) and in (ours and ChatGPT's). */
@Injectable()
export class TransferService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly messages: MessagesRepository,
    private readonly transfer: ConversationTransferRepository,
  ) {}

  /** JSON: every branch, with the one shown; Markdown: the branch shown. */
  async exportSession(userId: string, sessionId: string, format: 'json' | 'markdown'): Promise<string> {
    const session = await this.sessions.get(userId, sessionId);
    const messages = await this.messages.listOwned(userId, sessionId);
    if (format === 'json') return JSON.stringify(exported(session, messages));
    return markdown(session, new ConversationTree(messages).branchTo(session.activeMessageId));
  }

  /**
   * Every session of the user, one JSON line each, read a page of sessions and one conversation at a time. The
   * first page is read before anything is sent, so that a database outage is a 503, not a broken file.
   */
  async exportAll(userId: string): Promise<AsyncIterable<string>> {
    const first = await this.transfer.listPageOwned(userId, EXPORT_PAGE);
    return this.exportLines(userId, first);
  }

  private async *exportLines(userId: string, first: ChatSessionEntity[]): AsyncGenerator<string> {
    for (let page = first; ; page = await this.transfer.listPageOwned(userId, EXPORT_PAGE, page.at(-1)!.id)) {
      for (const session of page) {
        yield `${JSON.stringify(exported(session, await this.messages.listOwned(userId, session.id)))}\n`;
      }
      if (page.length < EXPORT_PAGE) return;
    }
  }

  /** Validates the whole file first, then writes it in one transaction: a bad file writes nothing. */
  async import(userId: string, body: unknown): Promise<ImportReport> {
    const sessions = parseImport(body).map((conversation) => this.withIds(conversation));
    await this.transfer.importOwned(userId, sessions);
    return {
      sessions: sessions.map((session) => ({ id: session.id, title: session.title, messages: session.messages.length })),
      messages: sessions.reduce((sum, session) => sum + session.messages.length, 0),
    };
  }

  /**
   * New ids for everything (an import never touches existing rows, even from our own export of the same
   * sessions), and times kept in the tree's order: a message without one, or one older than its parent, is
   * placed just after its parent.
   */
  private withIds(conversation: ImportedConversation): SessionToImport {
    const ids = new Map(conversation.messages.map((message) => [message.key, randomUUID()]));
    const times = new Map<string, Date>();
    let fallback = conversation.createdAt ?? conversation.messages.find((message) => message.createdAt)?.createdAt ?? new Date();
    const messages = conversation.messages.map((message) => {
      const parentTime = message.parentKey === null ? null : times.get(message.parentKey)!;
      let createdAt = message.createdAt ?? fallback;
      if (parentTime && createdAt <= parentTime) createdAt = new Date(parentTime.getTime() + 1);
      times.set(message.key, createdAt);
      fallback = createdAt;
      return {
        id: ids.get(message.key)!,
        parentId: message.parentKey === null ? null : ids.get(message.parentKey)!,
        role: message.role,
        content: message.content,
        parts: message.parts,
        model: message.model,
        provider: message.role === 'assistant' ? conversation.provider : null,
        createdAt,
      };
    });
    const newest = messages.reduce<(typeof messages)[number] | undefined>((latest, message) => (!latest || message.createdAt >= latest.createdAt ? message : latest), undefined);
    const activeMessageId = conversation.activeKey === null ? (newest?.id ?? null) : ids.get(conversation.activeKey)!;
    const createdAt = conversation.createdAt ?? messages[0]?.createdAt ?? new Date();
    return {
      id: randomUUID(),
      title: conversation.title,
      provider: conversation.provider,
      model: conversation.model,
      archived: conversation.archived,
      pinned: conversation.pinned,
      tags: conversation.tags,
      createdAt,
      updatedAt: conversation.updatedAt ?? newest?.createdAt ?? createdAt,
      activeMessageId,
      messages,
    };
  }
}
