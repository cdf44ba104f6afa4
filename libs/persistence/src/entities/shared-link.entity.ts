import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { ChatSessionEntity } from './chat-session.entity.js';
import { UserEntity } from './user.entity.js';

/** What a share link shows: the conversation as it was when it was shared, and nothing else of the session. */
export interface SharedSnapshot {
  title: string;
  messages: { role: string; content: string; createdAt: string }[];
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
