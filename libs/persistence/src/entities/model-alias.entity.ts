import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * One place a reply may be sent: an organisation connection (which names its provider), or a provider, served
 * by the caller's own key or the organisation's as any request to it would be.
 */
export interface AliasTarget {
  connection?: string;
  provider?: string;
  model: string;
  /** Targets only: the share of requests it gets first. */
  weight?: number;
}

/** A model name of the administrators' choosing (`fast`) that stands for weighted targets, then ordered fallbacks. */
@Entity('model_aliases')
export class ModelAliasEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_model_aliases' })
  name: string;

  @Column({ type: 'jsonb' })
  targets: AliasTarget[];

  @Column({ type: 'jsonb', default: () => `'[]'` })
  fallbacks: AliasTarget[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
