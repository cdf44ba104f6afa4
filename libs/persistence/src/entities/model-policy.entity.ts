import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import type { UserRole } from './user.entity.js';

/**
 * Which models a role may use, or one user (an override that replaces the role's policy for that user), and
 * within which limits. No row: no limit.
 */
@Entity('model_policies')
@Check('CHK_model_policies_subject', `("role" IS NULL) <> ("user_id" IS NULL)`)
export class ModelPolicyEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_model_policies' })
  id: string;

  @Index('UQ_model_policies_role', { unique: true })
  @Column({ type: 'varchar', length: 16, nullable: true })
  role: UserRole | null;

  @Index('UQ_model_policies_user', { unique: true })
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_model_policies_user' })
  user?: Relation<UserEntity>;

  /** `provider/model` patterns (`openai/gpt-4o*`, `alias/fast`); null allows every model. */
  @Column({ type: 'jsonb', nullable: true })
  models: string[] | null;

  @Column({ name: 'max_output_tokens', type: 'integer', nullable: true })
  maxOutputTokens: number | null;

  @Column({ name: 'min_temperature', type: 'double precision', nullable: true })
  minTemperature: number | null;

  @Column({ name: 'max_temperature', type: 'double precision', nullable: true })
  maxTemperature: number | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
