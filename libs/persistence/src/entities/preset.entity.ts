import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';

/** Reasoning options as stored (the API validates them): effort `low | medium | high`, a token budget. */
export interface StoredReasoning {
  effort?: string;
  budgetTokens?: number;
}

/** A user's named session settings; a new session can start from one. Null settings are left to the server's defaults. */
@Entity('presets')
@Index('IDX_presets_user', ['userId'])
export class PresetEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_presets' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_presets_user' })
  user?: Relation<UserEntity>;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'system_prompt', type: 'text', nullable: true })
  systemPrompt: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  provider: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model: string | null;

  @Column({ type: 'double precision', nullable: true })
  temperature: number | null;

  @Column({ name: 'max_output_tokens', type: 'integer', nullable: true })
  maxOutputTokens: number | null;

  @Column({ type: 'jsonb', nullable: true })
  reasoning: StoredReasoning | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
