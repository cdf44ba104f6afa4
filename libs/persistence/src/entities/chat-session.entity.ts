import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { FolderEntity } from './folder.entity.js';
import type { StoredReasoning } from './preset.entity.js';
import { UserEntity } from './user.entity.js';

@Entity('chat_sessions')
@Index('IDX_chat_sessions_user_pinned_updated', ['userId', 'pinned', 'updatedAt'])
@Index('IDX_chat_sessions_folder', ['folderId'])
// The retention job's scan (RETENTION_DAYS): the oldest sessions of every user.
@Index('IDX_chat_sessions_updated', ['updatedAt'])
// GIN is beyond TypeORM's index options: the migration creates it, the schema diff leaves it alone.
@Index('IDX_chat_sessions_search', { synchronize: false })
export class ChatSessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_chat_sessions_user' })
  user?: Relation<UserEntity>;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'varchar', length: 32 })
  provider: string;

  @Column({ type: 'varchar', length: 200 })
  model: string;

  @Column({ type: 'varchar', length: 32, default: 'normal' })
  mode: string;

  /** Sent first, as the system turn, with every turn of the session. */
  @Column({ name: 'system_prompt', type: 'text', nullable: true })
  systemPrompt: string | null;

  /** The session's settings for its turns; null: the server's default (a request may override each). */
  @Column({ type: 'double precision', nullable: true })
  temperature: number | null;

  @Column({ name: 'max_output_tokens', type: 'integer', nullable: true })
  maxOutputTokens: number | null;

  @Column({ type: 'jsonb', nullable: true })
  reasoning: StoredReasoning | null;

  /** A title the user chose, which a generated one never replaces. */
  @Column({ name: 'title_set_by_user', type: 'boolean', default: false })
  titleSetByUser: boolean;

  /** The newest message of the branch being shown; a new turn continues from it. */
  @Column({ name: 'active_message_id', type: 'uuid', nullable: true })
  activeMessageId: string | null;

  @Column({ type: 'boolean', default: false })
  archived: boolean;

  @Column({ type: 'boolean', default: false })
  pinned: boolean;

  @Column({ name: 'folder_id', type: 'uuid', nullable: true })
  folderId: string | null;

  @ManyToOne(() => FolderEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'folder_id', foreignKeyConstraintName: 'FK_chat_sessions_folder' })
  folder?: Relation<FolderEntity>;

  @Column({ type: 'varchar', length: 40, array: true, default: () => "'{}'" })
  tags: string[];

  /** The title's words for full-text search, kept by the database ('simple': no language's stemming, any script). */
  @Column({ name: 'search_vector', type: 'tsvector', generatedType: 'STORED', asExpression: `to_tsvector('simple', "title")`, select: false, insert: false, update: false })
  searchVector?: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
