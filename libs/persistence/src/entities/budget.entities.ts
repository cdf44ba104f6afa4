import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';

/**
 * Money columns: limits are set by people (four decimals is a hundredth of a cent), spend and reservations are
 * sums of per-token prices (nine decimals keep a one-token reply of the cheapest model).
 */
const LIMIT = { type: 'numeric', precision: 14, scale: 4 } as const;
const AMOUNT = { type: 'numeric', precision: 20, scale: 9 } as const;

/** The monthly budget of every user of a role, unless the user has one of their own. No row: unlimited. */
@Entity('role_budgets')
@Check('CHK_role_budgets_limit', `"monthly_limit" >= 0`)
export class RoleBudgetEntity {
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'PK_role_budgets' })
  role: string;

  /** In the price table's currency. */
  @Column({ name: 'monthly_limit', ...LIMIT })
  monthlyLimit: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** One user's monthly budget, which wins over their role's. */
@Entity('user_budgets')
@Check('CHK_user_budgets_limit', `"monthly_limit" >= 0`)
export class UserBudgetEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_user_budgets' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_user_budgets_user' })
  user?: Relation<UserEntity>;

  @Column({ name: 'monthly_limit', ...LIMIT })
  monthlyLimit: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/**
 * What a user spent in a calendar month (UTC), the durable record the budget is checked against; kept for every
 * user, budget or not, so a budget set mid-month counts what was already spent.
 */
@Entity('budget_periods')
export class BudgetPeriodEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_budget_periods' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_budget_periods_user' })
  user?: Relation<UserEntity>;

  /** `YYYY-MM`. */
  @PrimaryColumn({ type: 'varchar', length: 7, primaryKeyConstraintName: 'PK_budget_periods' })
  period: string;

  @Column({ ...AMOUNT, default: 0 })
  spent: string;

  /** The highest threshold (80, 100) already written to the audit log this month, so each is written once. */
  @Column({ name: 'alerted_percent', type: 'smallint', default: 0 })
  alertedPercent: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/**
 * A running reply's worst-case cost, held against its user's budget until the reply settles (without Redis).
 * It expires, so a replica that died mid-reply does not hold the money forever.
 */
@Entity('budget_reservations')
@Index('IDX_budget_reservations_user_period', ['userId', 'period'])
export class BudgetReservationEntity {
  @PrimaryColumn({ name: 'reply_id', type: 'uuid', primaryKeyConstraintName: 'PK_budget_reservations' })
  replyId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_budget_reservations_user' })
  user?: Relation<UserEntity>;

  @Column({ type: 'varchar', length: 7 })
  period: string;

  @Column(AMOUNT)
  amount: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
