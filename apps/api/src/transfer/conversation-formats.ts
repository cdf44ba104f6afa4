import { AppError } from '@app/common';
import { MESSAGE_PART_TYPES, MESSAGE_ROLES, type MessagePart, type MessageRole } from '@app/persistence';

/** Our export format's name and version, written into every exported conversation and required on import. */
export const EXPORT_FORMAT = 'llm-chat-export';
export const EXPORT_VERSION = 1;

/** What one import may hold: the body limit bounds bytes, these bound the work and the rows. */
export const IMPORT_LIMITS = {
  conversations: 1000,
  messagesPerConversation: 10_000,
  messagesTotal: 100_000,
  contentChars: 400_000,
  titleChars: 200,
  partsPerMessage: 500,
  /** Every string of a message's parts together: a message is at most a long text, whatever it is cut into. */
  partsChars: 400_000,
  idChars: 200,
  toolNameChars: 64,
  mediaTypeChars: 255,
  filenameChars: 255,
} as const;

/** A conversation read from a file, before it gets ids of ours: messages refer to each other by their keys. */
export interface ImportedConversation {
  title: string;
  provider: string;
  model: string;
  createdAt: Date | null;
  updatedAt: Date | null;
  archived: boolean;
  pinned: boolean;
  tags: string[];
  /** Parents before children. */
  messages: ImportedMessage[];
  /** The key of the message ending the branch shown; null for the newest message. */
  activeKey: string | null;
}

export interface ImportedMessage {
  key: string;
  parentKey: string | null;
  role: MessageRole;
  content: string;
  /** Null: the message is its content alone (see MessageEntity.parts). */
  parts: MessagePart[] | null;
  model: string | null;
  createdAt: Date | null;
}

/** Our own export, one conversation: `GET /api/chat/sessions/:id/export?format=json` and each line of `GET /api/chat/export`. */
export interface ExportedConversation {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  session: {
    id: string;
    title: string;
    provider: string;
    model: string;
    mode: string;
    archived: boolean;
    pinned: boolean;
    tags: string[];
    activeMessageId: string | null;
    createdAt: string;
    updatedAt: string;
  };
  messages: {
    id: string;
    parentId: string | null;
    role: string;
    content: string;
    /** Every part of the message, as the API shows it (a plain message is one text part). */
    parts: MessagePart[];
    status: string;
    model: string | null;
    createdAt: string;
  }[];
}

const invalid = (where: string, problem: string) => new AppError('VALIDATION_FAILED', `${where}: ${problem}`);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function text(value: unknown, where: string, max: number, { optional = false } = {}): string | null {
  if (value === undefined || value === null) {
    if (optional) return null;
    throw invalid(where, 'is required');
  }
  if (typeof value !== 'string') throw invalid(where, 'must be a string');
  if (value.length > max) throw invalid(where, `must be at most ${max} characters`);
  return value;
}

/** ISO text (ours) or seconds since the epoch (ChatGPT's); null when absent. */
function time(value: unknown, where: string): Date | null {
  if (value === undefined || value === null) return null;
  const date = typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1970 || date.getUTCFullYear() > 9999) throw invalid(where, 'is not a valid time');
  return date;
}

/**
 * A message's parts from a file, checked kind by kind. What a file cannot be trusted with is changed, not kept:
 * - `file` parts become a text note naming the file: the id would point into the files store, where the importer
 *   owns no file of that id (an export is not a copy of the bytes), and taking it would let a file name anyone's.
 * - a reasoning part loses its `metadata`: a signature vouches to the provider for thinking text the file may have
 *   edited, and a redacted block is data only the provider reads; neither can be checked here, so a conversation
 *   continued after an import never sends forged provider data upstream. The reasoning text stays, to be read; a
 *   redacted block, which has none, is left out.
 * Returns null when the message is its content alone, as an unchanged plain message is stored.
 */
function partsOf(value: unknown, role: MessageRole, content: string, at: string): MessagePart[] | null {
  if (value === undefined || value === null) {
    if (role === 'tool') throw invalid(`${at}.parts`, 'are required for a tool message (its tool_result parts)');
    return null;
  }
  if (!Array.isArray(value)) throw invalid(`${at}.parts`, 'must be an array');
  if (value.length > IMPORT_LIMITS.partsPerMessage) throw invalid(`${at}.parts`, `must hold at most ${IMPORT_LIMITS.partsPerMessage} parts`);
  let chars = 0;
  const field = (part: Record<string, unknown>, name: string, where: string, max: number, optional = false) => {
    const found = text(part[name], `${where}.${name}`, max, { optional });
    chars += found?.length ?? 0;
    if (chars > IMPORT_LIMITS.partsChars) throw invalid(`${at}.parts`, `must hold at most ${IMPORT_LIMITS.partsChars} characters in all`);
    return found;
  };
  const allowed: Record<MessageRole, readonly string[]> = {
    system: ['text'],
    user: ['text', 'file'],
    assistant: ['text', 'reasoning', 'tool_call'],
    tool: ['tool_result'],
  };
  const parts: MessagePart[] = [];
  value.forEach((part: unknown, index) => {
    const where = `${at}.parts[${index}]`;
    if (!isObject(part)) throw invalid(where, 'must be an object');
    const type = part.type;
    if (typeof type !== 'string' || !(MESSAGE_PART_TYPES as readonly string[]).includes(type)) throw invalid(`${where}.type`, `must be one of ${MESSAGE_PART_TYPES.join(', ')}`);
    if (!allowed[role].includes(type)) throw invalid(`${where}.type`, `${type} is not a part of a ${role} message (it may hold ${allowed[role].join(', ')})`);
    if (type === 'text') parts.push({ type, text: field(part, 'text', where, IMPORT_LIMITS.contentChars)! });
    else if (type === 'reasoning') {
      const reasoning = field(part, 'text', where, IMPORT_LIMITS.contentChars)!;
      if (part.metadata !== undefined && part.metadata !== null && !isObject(part.metadata)) throw invalid(`${where}.metadata`, 'must be an object');
      if (reasoning !== '') parts.push({ type, text: reasoning });
    } else if (type === 'tool_call') {
      const name = field(part, 'name', where, IMPORT_LIMITS.toolNameChars)!;
      if (!/^[A-Za-z0-9_-]+$/.test(name)) throw invalid(`${where}.name`, 'must be letters, digits, _ or -');
      parts.push({ type, id: field(part, 'id', where, IMPORT_LIMITS.idChars)!, name, arguments: field(part, 'arguments', where, IMPORT_LIMITS.contentChars)! });
    } else if (type === 'tool_result') {
      parts.push({ type, toolCallId: field(part, 'toolCallId', where, IMPORT_LIMITS.idChars)!, content: field(part, 'content', where, IMPORT_LIMITS.contentChars)! });
    } else {
      field(part, 'fileId', where, IMPORT_LIMITS.idChars);
      field(part, 'mediaType', where, IMPORT_LIMITS.mediaTypeChars);
      const name = field(part, 'filename', where, IMPORT_LIMITS.filenameChars, true)?.replace(/\s+/g, ' ').trim();
      parts.push({ type: 'text', text: `[file: ${name || 'unnamed'}]` });
    }
  });
  if (role === 'tool' && parts.length === 0) throw invalid(`${at}.parts`, 'must hold the tool message\'s tool_result parts');
  if (parts.length === 1 && parts[0]!.type === 'text' && parts[0]!.text === content) return null;
  if (parts.length === 0 && content === '') return null;
  return parts;
}

/** A tool message answers its parent's calls: the parent is an assistant message holding a call of each id. */
function checkToolResults(messages: ImportedMessage[], where: string): void {
  const byKey = new Map(messages.map((message) => [message.key, message]));
  messages.forEach((message, index) => {
    if (message.role !== 'tool') return;
    const parent = message.parentKey === null ? undefined : byKey.get(message.parentKey);
    const calls = new Set((parent?.role === 'assistant' ? (parent.parts ?? []) : []).flatMap((part) => (part.type === 'tool_call' ? [part.id] : [])));
    message.parts!.forEach((part, partIndex) => {
      if (part.type === 'tool_result' && !calls.has(part.toolCallId)) {
        throw invalid(`${where}.messages[${index}].parts[${partIndex}].toolCallId`, 'answers no tool call of the assistant message it follows');
      }
    });
  });
}

function titleOf(value: unknown, where: string): string {
  const title = text(value, where, 10 * IMPORT_LIMITS.titleChars, { optional: true })?.trim().slice(0, IMPORT_LIMITS.titleChars);
  return title || 'Imported conversation';
}

/**
 * Orders messages parents first and checks the tree: unique keys, parents that exist, no cycles. Iterative, so
 * that a conversation of thousands of turns cannot overflow the stack.
 */
function treeOrder(messages: ImportedMessage[], where: string): ImportedMessage[] {
  const byKey = new Map<string, ImportedMessage>();
  for (const message of messages) {
    if (byKey.has(message.key)) throw invalid(where, `message ${message.key} appears twice`);
    byKey.set(message.key, message);
  }
  const children = new Map<string | null, ImportedMessage[]>();
  for (const message of messages) {
    if (message.parentKey !== null && !byKey.has(message.parentKey)) throw invalid(where, `message ${message.key} follows a message that is not there`);
    children.set(message.parentKey, [...(children.get(message.parentKey) ?? []), message]);
  }
  const ordered: ImportedMessage[] = [];
  const pending = [...(children.get(null) ?? [])].reverse();
  while (pending.length > 0) {
    const message = pending.pop()!;
    ordered.push(message);
    pending.push(...[...(children.get(message.key) ?? [])].reverse());
  }
  if (ordered.length !== messages.length) throw invalid(where, 'messages form a cycle');
  return ordered;
}

function checkCounts(conversations: ImportedConversation[]): ImportedConversation[] {
  if (conversations.length > IMPORT_LIMITS.conversations) throw invalid('file', `holds more than ${IMPORT_LIMITS.conversations} conversations`);
  const total = conversations.reduce((sum, conversation) => sum + conversation.messages.length, 0);
  if (total > IMPORT_LIMITS.messagesTotal) throw invalid('file', `holds more than ${IMPORT_LIMITS.messagesTotal} messages`);
  return conversations;
}

function ourConversation(value: unknown, where: string): ImportedConversation {
  if (!isObject(value) || value.format !== EXPORT_FORMAT || value.version !== EXPORT_VERSION) throw invalid(where, `is not a ${EXPORT_FORMAT} v${EXPORT_VERSION} conversation`);
  const { session, messages } = value;
  if (!isObject(session)) throw invalid(`${where}.session`, 'must be an object');
  if (!Array.isArray(messages)) throw invalid(`${where}.messages`, 'must be an array');
  if (messages.length > IMPORT_LIMITS.messagesPerConversation) throw invalid(`${where}.messages`, `must hold at most ${IMPORT_LIMITS.messagesPerConversation} messages`);
  const tags = session.tags ?? [];
  if (!Array.isArray(tags) || tags.length > 20 || !tags.every((tag) => typeof tag === 'string' && /^\S(.*\S)?$/s.test(tag) && tag.length <= 40)) {
    throw invalid(`${where}.session.tags`, 'must be at most 20 tags of 1 to 40 characters');
  }
  const imported = messages.map((message, index): ImportedMessage => {
    const at = `${where}.messages[${index}]`;
    if (!isObject(message)) throw invalid(at, 'must be an object');
    const role = message.role;
    if (typeof role !== 'string' || !(MESSAGE_ROLES as readonly string[]).includes(role)) throw invalid(`${at}.role`, `must be one of ${MESSAGE_ROLES.join(', ')}`);
    const content = text(message.content, `${at}.content`, IMPORT_LIMITS.contentChars)!;
    const parts = partsOf(message.parts, role as MessageRole, content, at);
    return {
      key: text(message.id, `${at}.id`, 200)!,
      parentKey: text(message.parentId, `${at}.parentId`, 200, { optional: true }),
      role: role as MessageRole,
      // With parts, the content is their text, as a reply's is: what search finds is what the parts show.
      content: parts ? parts.map((part) => (part.type === 'text' ? part.text : '')).join('') : content,
      parts,
      model: text(message.model, `${at}.model`, 200, { optional: true }),
      createdAt: time(message.createdAt, `${at}.createdAt`),
    };
  });
  checkToolResults(imported, where);
  const activeKey = text(session.activeMessageId, `${where}.session.activeMessageId`, 200, { optional: true });
  if (activeKey !== null && !imported.some((message) => message.key === activeKey)) throw invalid(`${where}.session.activeMessageId`, 'is not one of its messages');
  const flag = (name: 'archived' | 'pinned') => {
    const raw = session[name] ?? false;
    if (typeof raw !== 'boolean') throw invalid(`${where}.session.${name}`, 'must be true or false');
    return raw;
  };
  return {
    title: titleOf(session.title, `${where}.session.title`),
    provider: text(session.provider, `${where}.session.provider`, 32)!,
    model: text(session.model, `${where}.session.model`, 200)!,
    createdAt: time(session.createdAt, `${where}.session.createdAt`),
    updatedAt: time(session.updatedAt, `${where}.session.updatedAt`),
    archived: flag('archived'),
    pinned: flag('pinned'),
    tags: tags as string[],
    messages: treeOrder(imported, where),
    activeKey,
  };
}

/** The text of a ChatGPT message: its string parts (images, files and tool payloads are left out). */
function chatGptText(content: unknown, where: string): string {
  if (!isObject(content)) return '';
  if (typeof content.text === 'string') return text(content.text, where, IMPORT_LIMITS.contentChars)!;
  if (!Array.isArray(content.parts)) return '';
  const joined = content.parts.filter((part): part is string => typeof part === 'string').join('\n');
  return text(joined, where, IMPORT_LIMITS.contentChars)!;
}

/**
 * One conversation of ChatGPT's `conversations.json`: its `mapping` is a tree of nodes (`parent`, `children`,
 * `message`), `current_node` the end of the branch shown. Nodes without a user's or assistant's text (the root,
 * system and tool messages, hidden context) are skipped, their children attached to the nearest kept ancestor, so
 * edits and regenerations become versions of a turn as in our own tree.
 */
function chatGptConversation(value: unknown, where: string): ImportedConversation {
  if (!isObject(value) || !isObject(value.mapping)) throw invalid(where, 'is not a ChatGPT conversation (no mapping)');
  const nodes = Object.entries(value.mapping);
  if (nodes.length > IMPORT_LIMITS.messagesPerConversation) throw invalid(`${where}.mapping`, `must hold at most ${IMPORT_LIMITS.messagesPerConversation} nodes`);
  const parents = new Map<string, string | null>();
  const kept = new Map<string, ImportedMessage>();
  let model: string | null = null;
  for (const [id, node] of nodes) {
    const at = `${where}.mapping.${id.slice(0, 64)}`;
    if (!isObject(node)) throw invalid(at, 'must be an object');
    parents.set(id, text(node.parent, `${at}.parent`, 200, { optional: true }));
    const message = node.message;
    if (message === null || message === undefined) continue;
    if (!isObject(message) || !isObject(message.author)) throw invalid(`${at}.message`, 'must be an object with an author');
    const role = message.author.role;
    if (role !== 'user' && role !== 'assistant') continue;
    const metadata = isObject(message.metadata) ? message.metadata : {};
    if (metadata.is_visually_hidden_from_conversation === true) continue;
    const content = chatGptText(message.content, `${at}.message.content`);
    if (content.trim() === '') continue;
    const slug = text(metadata.model_slug, `${at}.message.metadata.model_slug`, 200, { optional: true });
    if (role === 'assistant' && slug) model = slug;
    kept.set(id, { key: id, parentKey: null, role, content, parts: null, model: role === 'assistant' ? slug : null, createdAt: time(message.create_time, `${at}.message.create_time`) });
  }
  for (const [id, parent] of parents) {
    if (parent !== null && !parents.has(parent)) throw invalid(`${where}.mapping.${id.slice(0, 64)}.parent`, 'is not a node of the mapping');
  }
  if (kept.size === 0) throw invalid(where, 'has no messages to import');
  // Remembered for every node walked through, so that long runs of skipped nodes are walked once, not per child.
  const resolved = new Map<string, string | null>();
  const nearestKept = (id: string | null): string | null => {
    const seen = new Set<string>();
    let found: string | null = null;
    for (let current = id; current !== null; current = parents.get(current) ?? null) {
      if (resolved.has(current)) {
        found = resolved.get(current)!;
        break;
      }
      if (seen.has(current)) throw invalid(where, 'mapping forms a cycle');
      seen.add(current);
      if (kept.has(current)) {
        found = current;
        break;
      }
    }
    for (const walked of seen) resolved.set(walked, found);
    return found;
  };
  for (const message of kept.values()) message.parentKey = nearestKept(parents.get(message.key) ?? null);
  const current = text(value.current_node, `${where}.current_node`, 200, { optional: true });
  return {
    title: titleOf(value.title, `${where}.title`),
    provider: 'openai',
    model: model ?? 'chatgpt',
    createdAt: time(value.create_time, `${where}.create_time`),
    updatedAt: time(value.update_time, `${where}.update_time`),
    archived: value.is_archived === true,
    pinned: false,
    tags: [],
    messages: treeOrder([...kept.values()], where),
    activeKey: current === null ? null : nearestKept(current),
  };
}

/**
 * Reads an import body: one conversation of ours, a list of them, or ChatGPT's `conversations.json` (a list of
 * conversations with a `mapping`). Throws VALIDATION_FAILED naming the first problem; nothing is written before.
 */
export function parseImport(body: unknown): ImportedConversation[] {
  if (isObject(body)) return checkCounts([ourConversation(body, 'conversation')]);
  if (!Array.isArray(body) || body.length === 0) throw invalid('file', `must be a ${EXPORT_FORMAT} conversation, a list of them, or ChatGPT's conversations.json`);
  if (body.length > IMPORT_LIMITS.conversations) throw invalid('file', `holds more than ${IMPORT_LIMITS.conversations} conversations`);
  const chatGpt = isObject(body[0]) && 'mapping' in body[0];
  return checkCounts(body.map((item, index) => (chatGpt ? chatGptConversation(item, `[${index}]`) : ourConversation(item, `[${index}]`))));
}
