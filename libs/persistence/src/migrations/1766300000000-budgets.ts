import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Monthly budgets (per role, per user), the spend per user and month, and the running replies' reservations. */
export class Budgets1766300000000 implements MigrationInterface {
  name = 'Budgets1766300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "role_budgets" (
      "role" character varying(16) NOT NULL,
      "monthly_limit" numeric(14,4) NOT NULL,
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "CHK_role_budgets_limit" CHECK ("monthly_limit" >= 0),
      CONSTRAINT "PK_role_budgets" PRIMARY KEY ("role"))`);
    await db.query(`CREATE TABLE "user_budgets" (
      "user_id" uuid NOT NULL,
      "monthly_limit" numeric(14,4) NOT NULL,
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "CHK_user_budgets_limit" CHECK ("monthly_limit" >= 0),
      CONSTRAINT "PK_user_budgets" PRIMARY KEY ("user_id"),
      CONSTRAINT "FK_user_budgets_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE TABLE "budget_periods" (
      "user_id" uuid NOT NULL,
      "period" character varying(7) NOT NULL,
      "spent" numeric(20,9) NOT NULL DEFAULT '0',
      "alerted_percent" smallint NOT NULL DEFAULT '0',
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_budget_periods" PRIMARY KEY ("user_id", "period"),
      CONSTRAINT "FK_budget_periods_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE TABLE "budget_reservations" (
      "reply_id" uuid NOT NULL,
      "user_id" uuid NOT NULL,
      "period" character varying(7) NOT NULL,
      "amount" numeric(20,9) NOT NULL,
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "PK_budget_reservations" PRIMARY KEY ("reply_id"),
      CONSTRAINT "FK_budget_reservations_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE INDEX "IDX_budget_reservations_user_period" ON "budget_reservations" ("user_id", "period")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "budget_reservations"`);
    await db.query(`DROP TABLE "budget_periods"`);
    await db.query(`DROP TABLE "user_budgets"`);
    await db.query(`DROP TABLE "role_budgets"`);
  }
}
