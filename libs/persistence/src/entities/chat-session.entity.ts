import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';

@Entity('chat_sessions')
@Index('IDX_chat_sessions_user_updated', ['userId', 'updatedAt'])
// The retention job's scan (RETENTION_DAYS): the oldest sessions of every user.
@Index('IDX_chat_sessions_updated', ['updatedAt'])
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

  /** The newest message of the branch being shown; a new turn continues from it. */
  @Column({ name: 'active_message_id', type: 'uuid', nullable: true })
  activeMessageId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
