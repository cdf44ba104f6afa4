import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Money crosses this boundary as decimal strings (`numeric` as PostgreSQL prints it): never a float. */
type Decimal = string;

export interface RoleLimit {
  role: string;
  monthlyLimit: Decimal;
  updatedAt: Date;
}

/** Whose budget applies to a user: their own, else their role's, else none (unlimited). */
export interface EffectiveLimit {
  role: string;
  monthlyLimit: Decimal | null;
  source: 'user' | 'role' | null;
}

export interface PeriodSpend {
  spent: Decimal;
  /** The highest audit threshold (0, 80, 100) already written for this month. */
  alertedPercent: number;
}

export interface NewReservation {
  userId: string;
  /** `YYYY-MM` */
  period: string;
  replyId: string;
  amount: Decimal;
  limit: Decimal;
  ttlMs: number;
}

export interface ReservationOutcome {
  granted: boolean;
  spent: Decimal;
  /** What the user's other running replies hold, before this one. */
  reserved: Decimal;
}

/** Role and user budgets, the spend per user and month, and (without Redis) the running replies' reservations. */
@Injectable()
export class BudgetsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  roleLimits(): Promise<RoleLimit[]> {
    return this.dataSource.query(`SELECT role, monthly_limit AS "monthlyLimit", updated_at AS "updatedAt" FROM role_budgets ORDER BY role`);
  }

  async setRoleLimit(role: string, limit: Decimal): Promise<RoleLimit> {
    const rows: RoleLimit[] = await this.dataSource.query(
      `INSERT INTO role_budgets (role, monthly_limit) VALUES ($1, $2)
       ON CONFLICT (role) DO UPDATE SET monthly_limit = EXCLUDED.monthly_limit, updated_at = now()
       RETURNING role, monthly_limit AS "monthlyLimit", updated_at AS "updatedAt"`,
      [role, limit],
    );
    return rows[0]!;
  }

  async removeRoleLimit(role: string): Promise<boolean> {
    const [rows] = (await this.dataSource.query(`DELETE FROM role_budgets WHERE role = $1 RETURNING role`, [role])) as [unknown[], number];
    return rows.length > 0;
  }

  /** Null when there is no such user. */
  async setUserLimit(userId: string, limit: Decimal): Promise<Decimal | null> {
    const rows: { monthlyLimit: Decimal }[] = await this.dataSource.query(
      `INSERT INTO user_budgets (user_id, monthly_limit) SELECT id, $2 FROM users WHERE id = $1
       ON CONFLICT (user_id) DO UPDATE SET monthly_limit = EXCLUDED.monthly_limit, updated_at = now()
       RETURNING monthly_limit AS "monthlyLimit"`,
      [userId, limit],
    );
    return rows[0]?.monthlyLimit ?? null;
  }

  async removeUserLimit(userId: string): Promise<boolean> {
    const [rows] = (await this.dataSource.query(`DELETE FROM user_budgets WHERE user_id = $1 RETURNING user_id`, [userId])) as [unknown[], number];
    return rows.length > 0;
  }

  /** The user's own limit, or null when they have none (or there is no such user). */
  async userLimit(userId: string): Promise<Decimal | null> {
    const rows: { monthlyLimit: Decimal }[] = await this.dataSource.query(`SELECT monthly_limit AS "monthlyLimit" FROM user_budgets WHERE user_id = $1`, [userId]);
    return rows[0]?.monthlyLimit ?? null;
  }

  /** Null when there is no such user. */
  async limitOf(userId: string): Promise<EffectiveLimit | null> {
    const rows: { role: string; userLimit: Decimal | null; roleLimit: Decimal | null }[] = await this.dataSource.query(
      `SELECT u.role, ub.monthly_limit AS "userLimit", rb.monthly_limit AS "roleLimit"
       FROM users u LEFT JOIN user_budgets ub ON ub.user_id = u.id LEFT JOIN role_budgets rb ON rb.role = u.role
       WHERE u.id = $1`,
      [userId],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.userLimit !== null) return { role: row.role, monthlyLimit: row.userLimit, source: 'user' };
    return { role: row.role, monthlyLimit: row.roleLimit, source: row.roleLimit === null ? null : 'role' };
  }

  async spendIn(userId: string, period: string): Promise<PeriodSpend> {
    const rows: PeriodSpend[] = await this.dataSource.query(
      `SELECT spent, alerted_percent AS "alertedPercent" FROM budget_periods WHERE user_id = $1 AND period = $2`,
      [userId, period],
    );
    return rows[0] ?? { spent: '0', alertedPercent: 0 };
  }

  /**
   * Holds `amount` for the reply if the month's spend, the unexpired reservations and it fit the limit. The
   * month's row is locked first (created if new), so a user's reservations and settlements take turns: two
   * replies cannot both see the room only one of them fits in. Expired reservations (a replica that died) are
   * dropped on the way.
   */
  reserve(hold: NewReservation): Promise<ReservationOutcome> {
    return this.dataSource.transaction(async (db) => {
      const [{ spent }] = (await db.query(
        `INSERT INTO budget_periods (user_id, period) VALUES ($1, $2)
         ON CONFLICT (user_id, period) DO UPDATE SET updated_at = now() RETURNING spent`,
        [hold.userId, hold.period],
      )) as [{ spent: Decimal }];
      const [outcome] = (await db.query(
        `WITH expired AS (DELETE FROM budget_reservations WHERE user_id = $1 AND expires_at <= now()),
              held AS (SELECT COALESCE(SUM(amount), 0) AS reserved FROM budget_reservations WHERE user_id = $1 AND period = $2 AND expires_at > now()),
              granted AS (
                INSERT INTO budget_reservations (reply_id, user_id, period, amount, expires_at)
                SELECT $3, $1, $2, $4, now() + $5 * interval '1 millisecond' FROM held
                WHERE $6::numeric + held.reserved + $4::numeric <= $7::numeric
                RETURNING reply_id)
         SELECT held.reserved::text AS reserved, EXISTS (SELECT 1 FROM granted) AS granted FROM held`,
        [hold.userId, hold.period, hold.replyId, hold.amount, hold.ttlMs, spent, hold.limit],
      )) as [{ reserved: Decimal; granted: boolean }];
      return { granted: outcome.granted, spent, reserved: outcome.reserved };
    });
  }

  /** What the user's unexpired reservations of the month hold. */
  async reservedIn(userId: string, period: string): Promise<Decimal> {
    const [row] = (await this.dataSource.query(
      `SELECT COALESCE(SUM(amount), 0)::text AS reserved FROM budget_reservations WHERE user_id = $1 AND period = $2 AND expires_at > now()`,
      [userId, period],
    )) as [{ reserved: Decimal }];
    return row.reserved;
  }

  /**
   * Adds the reply's real cost to the month and drops its reservation (if any) in one statement, so no reservation
   * sees the money neither held nor spent.
   */
  async settle(userId: string, period: string, replyId: string, cost: Decimal): Promise<PeriodSpend> {
    const rows: PeriodSpend[] = await this.dataSource.query(
      `WITH released AS (DELETE FROM budget_reservations WHERE reply_id = $3)
       INSERT INTO budget_periods (user_id, period, spent) VALUES ($1, $2, $4)
       ON CONFLICT (user_id, period) DO UPDATE SET spent = budget_periods.spent + EXCLUDED.spent, updated_at = now()
       RETURNING spent, alerted_percent AS "alertedPercent"`,
      [userId, period, replyId, cost],
    );
    return rows[0]!;
  }

  /** Marks the threshold reached for the month; true only the first time, across replicas. */
  async raiseAlert(userId: string, period: string, percent: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO budget_periods (user_id, period, alerted_percent) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, period) DO UPDATE SET alerted_percent = EXCLUDED.alerted_percent
       WHERE budget_periods.alerted_percent < EXCLUDED.alerted_percent
       RETURNING 1`,
      [userId, period, percent],
    );
    return rows.length > 0;
  }
}
