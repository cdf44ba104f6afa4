import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { MessageEntity } from './message.entity.js';
import { UserEntity } from './user.entity.js';

export const FEEDBACK_RATINGS = ['up', 'down'] as const;
export type FeedbackRating = (typeof FEEDBACK_RATINGS)[number];

/** A user's thumbs-up or thumbs-down on one assistant reply: one per reply, replaced when given again. */
@Entity('message_feedback')
@Check('CHK_message_feedback_rating', `"rating" IN ('up', 'down')`)
@Index('IDX_message_feedback_user', ['userId'])
export class MessageFeedbackEntity {
  @PrimaryColumn({ name: 'message_id', type: 'uuid', primaryKeyConstraintName: 'PK_message_feedback' })
  messageId: string;

  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id', foreignKeyConstraintName: 'FK_message_feedback_message' })
  message?: Relation<MessageEntity>;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_message_feedback_user' })
  user?: Relation<UserEntity>;

  @Column({ type: 'varchar', length: 8 })
  rating: FeedbackRating;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  comment: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
