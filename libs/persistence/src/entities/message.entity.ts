import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { ChatSessionEntity } from './chat-session.entity.js';

/** `tool`: the results a client sent for an assistant message's tool calls, as `tool_result` parts. */
export const MESSAGE_ROLES = ['system', 'user', 'assistant', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** `streaming` only while a generation runs; every other state is final. */
export const MESSAGE_STATUSES = ['complete', 'streaming', 'aborted', 'error'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * One upstream attempt of a reply, in the order they were made: `ok` answered, `failed` (with our error code)
 * was given up on, `skipped` was cooling down after an earlier failure, `aborted` was stopped by the client or
 * the server. `connection` is the organisation connection, null for the user's own key.
 */
export interface ReplyAttempt {
  provider: string;
  connection: string | null;
  model: string;
  status: 'ok' | 'failed' | 'skipped' | 'aborted';
  code?: string;
  ms: number;
}

/**
 * One piece of a message, in the order the model produced it. `metadata` is the provider's opaque data for the
 * part (Anthropic's thinking `signature`, a redacted_thinking block's `redactedData`), kept to be sent back
 * verbatim where the provider requires it. A `tool_call` is complete (its `arguments` the model's JSON text, its
 * `signature` Gemini's thoughtSignature, sent back with it); a
 * `tool_result` answers one by id; a `file` names an uploaded file (its bytes stay in the files store).
 */
export type MessagePart =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string; metadata?: PartMetadata }
  | { type: 'tool_call'; id: string; name: string; arguments: string; signature?: string }
  | { type: 'tool_result'; toolCallId: string; content: string }
  | { type: 'file'; fileId: string; mediaType: string; filename?: string };
export type MessagePartType = MessagePart['type'];
export const MESSAGE_PART_TYPES: readonly MessagePartType[] = ['text', 'reasoning', 'tool_call', 'tool_result', 'file'];

/** A function the model was offered (see the AI library's ToolDefinition): kept on a reply so that answering its calls can offer them again. */
export interface OfferedTool {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

export interface PartMetadata {
  signature?: string;
  redactedData?: string;
}

@Entity('messages')
@Index('IDX_messages_session_created', ['sessionId', 'createdAt'])
@Index('IDX_messages_parent', ['parentId'])
// GIN is beyond TypeORM's index options: the migration creates it, the schema diff leaves it alone.
@Index('IDX_messages_search', { synchronize: false })
export class MessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @ManyToOne(() => ChatSessionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_messages_session' })
  session?: Relation<ChatSessionEntity>;

  /** The message this one follows; siblings (same parent) are the versions of one turn. Null opens the conversation. */
  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'FK_messages_parent' })
  parent?: Relation<MessageEntity>;

  @Column({ type: 'varchar', length: 16 })
  role: MessageRole;

  @Column({ type: 'text' })
  content: string;

  /**
   * The message's parts, when it has more than its text (a reply with reasoning); null means one text part, the
   * content, as every message written before parts existed, every question and every plain reply is.
   */
  @Column({ type: 'jsonb', nullable: true })
  parts: MessagePart[] | null;

  @Column({ type: 'varchar', length: 16, default: 'complete' })
  status: MessageStatus;

  /** What a user may see of a failure: a stable code and a short summary, never an upstream body or key. */
  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  provider: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model: string | null;

  @Column({ name: 'response_time_ms', type: 'integer', nullable: true })
  responseTimeMs: number | null;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens: number | null;

  /**
   * The tools the reply's request offered the model (null: none). Answering its tool calls continues the turn
   * with the same tools, without the client sending them again.
   */
  @Column({ type: 'jsonb', nullable: true })
  tools: OfferedTool[] | null;

  /** The route the reply took (see ReplyAttempt); null for replies older than routing, and for questions. */
  @Column({ type: 'jsonb', nullable: true })
  attempts: ReplyAttempt[] | null;

  /** The content's words for full-text search, kept by the database ('simple': no language's stemming, any script). */
  @Column({ name: 'search_vector', type: 'tsvector', generatedType: 'STORED', asExpression: `to_tsvector('simple', "content")`, select: false, insert: false, update: false })
  searchVector?: string;

  /** clock_timestamp(), not now(): two messages written in one transaction must still sort in order. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt: Date;
}
