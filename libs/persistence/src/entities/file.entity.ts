import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { ChatSessionEntity } from './chat-session.entity.js';
import { UserEntity } from './user.entity.js';

/**
 * A file a user uploaded (an image or a PDF, its type read from its bytes). It belongs to the first session it is
 * attached to, and goes with it; `bytes` is null when the bytes are kept in FILES_DIR instead.
 */
@Entity('files')
@Index('IDX_files_user_created', ['userId', 'createdAt'])
@Index('IDX_files_session', ['sessionId'])
export class FileEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_files' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_files_user' })
  user?: Relation<UserEntity>;

  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId: string | null;

  @ManyToOne(() => ChatSessionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_files_session' })
  session?: Relation<ChatSessionEntity>;

  @Column({ name: 'media_type', type: 'varchar', length: 64 })
  mediaType: string;

  @Column({ type: 'integer' })
  size: number;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  @Column({ type: 'varchar', length: 255 })
  filename: string;

  @Column({ type: 'bytea', nullable: true, select: false })
  bytes: Buffer | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
