import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { UserEntity } from './user.entity.js';

/**
 * A one-time code that the single sign-on callback hands to the portal in its redirect, instead of a token in a
 * URL; the portal exchanges it once for a token pair. Kept in the database so any replica can redeem it.
 */
@Entity('login_codes')
@Index('IDX_login_codes_user', ['userId'])
export class LoginCodeEntity {
  /** SHA-256 of the code: a leaked table does not leak usable codes. */
  @PrimaryColumn({ name: 'code_hash', type: 'char', length: 64, primaryKeyConstraintName: 'PK_login_codes' })
  codeHash: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_login_codes_user' })
  user?: Relation<UserEntity>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
