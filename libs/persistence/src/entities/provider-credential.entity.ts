import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';

@Entity('provider_credentials')
@Index('UQ_provider_credentials_user_provider', ['userId', 'provider'], { unique: true })
export class ProviderCredentialEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_provider_credentials_user' })
  user?: Relation<UserEntity>;

  @Column({ type: 'varchar', length: 32 })
  provider: string;

  /** AES-256-GCM sealed (see SecretCipher); null for providers that need no key. */
  @Column({ name: 'api_key_encrypted', type: 'text', nullable: true })
  apiKeyEncrypted: string | null;

  /** The masked key (`sk-…abcd`), kept so responses never need to decrypt. */
  @Column({ name: 'api_key_hint', type: 'varchar', length: 32, nullable: true })
  apiKeyHint: string | null;

  @Column({ name: 'base_url', type: 'varchar', length: 2048, nullable: true })
  baseUrl: string | null;

  @Column({ name: 'default_model', type: 'varchar', length: 200, nullable: true })
  defaultModel: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
