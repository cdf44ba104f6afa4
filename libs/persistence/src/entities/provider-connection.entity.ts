import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Who manages a connection: the admin API, or the CONNECTIONS_FILE read at start-up (read-only through the API). */
export const CONNECTION_SOURCES = ['api', 'file'] as const;
export type ConnectionSource = (typeof CONNECTION_SOURCES)[number];

/** A provider key the organisation pays for, used by every member who has no key of their own for that provider. */
@Entity('provider_connections')
@Index('IDX_provider_connections_provider', ['provider', 'enabled'])
export class ProviderConnectionEntity {
  /** A uuid for connections made through the API; the file's own stable slug (`openai-main`) for file connections. */
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_provider_connections' })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  provider: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** AES-256-GCM sealed (see SecretCipher); null for providers that need no key. */
  @Column({ name: 'api_key_encrypted', type: 'text', nullable: true })
  apiKeyEncrypted: string | null;

  /** The masked key (`sk-…abcd`), kept so responses never need to decrypt. */
  @Column({ name: 'api_key_hint', type: 'varchar', length: 32, nullable: true })
  apiKeyHint: string | null;

  @Column({ name: 'base_url', type: 'varchar', length: 2048, nullable: true })
  baseUrl: string | null;

  /** The models this connection serves; empty: any model of its provider. */
  @Column({ type: 'varchar', length: 200, array: true, default: () => "'{}'" })
  models: string[];

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ type: 'varchar', length: 8, default: 'api' })
  source: ConnectionSource;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
