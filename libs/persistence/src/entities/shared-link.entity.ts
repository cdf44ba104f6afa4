import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { ChatSessionEntity } from './chat-session.entity.js';
import { UserEntity } from './user.entity.js';

/**
 * A message part as a share link shows it: what a reader can read. Provider data (signatures, redacted
 * reasoning) and file ids are not part of it; a file is its name and type, never its bytes.
 */
export type SharedPart =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'tool_call'; id: string; name: string; arguments: string }
  | { type: 'tool_result'; toolCallId: string; content: string }
  | { type: 'file'; mediaType: string; filename?: string };

/** What a share link shows: the conversation as it was when it was shared, and nothing else of the session. */
export interface SharedSnapshot {
  title: string;
  /** `parts`: absent from links made before messages had parts (their content is the one text part). */
  messages: { role: string; content: string; parts?: SharedPart[]; createdAt: string }[];
}

/**
 * A read-only link to a snapshot of a session's branch. Only a SHA-256 of the token is kept; deleting the session
 * deletes its links.
 */
@Entity('shared_links')
@Index('IDX_shared_links_session', ['sessionId'])
@Index('IDX_shared_links_user', ['userId'])
export class SharedLinkEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_shared_links' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_shared_links_user' })
  user?: Relation<UserEntity>;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @ManyToOne(() => ChatSessionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_shared_links_session' })
  session?: Relation<ChatSessionEntity>;

  @Index('UQ_shared_links_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  @Column({ type: 'jsonb' })
  snapshot: SharedSnapshot;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Null: until revoked. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;
}
