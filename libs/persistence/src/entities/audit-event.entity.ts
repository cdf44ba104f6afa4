import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A few flat facts about an audited action. */
export type AuditDetail = Record<string, string | number | boolean | null>;

/**
 * Who did what to whom, for administrators. Rows outlive the users they name (no foreign key), so the record
 * of a deleted account stays. The detail never holds a secret.
 */
@Entity('audit_events')
@Index('IDX_audit_events_at', ['at'])
@Index('IDX_audit_events_actor', ['actor', 'id'])
@Index('IDX_audit_events_action', ['action', 'id'])
export class AuditEventEntity {
  /** Increasing, so it is the listing's cursor. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'PK_audit_events' })
  id: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;

  /** A user id, or `system` for what the server did by itself. */
  @Column({ type: 'varchar', length: 64 })
  actor: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  /** What the action was done to: a user id, an API key id, a provider name. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  target: string | null;

  @Column({ name: 'client_address', type: 'varchar', length: 64, nullable: true })
  clientAddress: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  @Column({ type: 'jsonb', nullable: true })
  detail: AuditDetail | null;
}
