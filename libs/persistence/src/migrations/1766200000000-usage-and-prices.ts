import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SEED_PRICES } from '../seeds/model-prices.seed.js';

/**
 * Prices per provider/model with their effective dates, and one usage row per assistant reply. The catalogue's
 * list prices are seeded here, once: a restart never overwrites or restores what an admin changed since.
 */
export class UsageAndPrices1766200000000 implements MigrationInterface {
  name = 'UsageAndPrices1766200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "model_prices" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "provider" character varying(32) NOT NULL,
      "model" character varying(200) NOT NULL,
      "currency" character varying(3) NOT NULL,
      "input_per_million" numeric(14,6) NOT NULL,
      "output_per_million" numeric(14,6) NOT NULL,
      "cached_input_per_million" numeric(14,6) NOT NULL,
      "reasoning_per_million" numeric(14,6) NOT NULL,
      "effective_from" TIMESTAMP WITH TIME ZONE NOT NULL,
      "source" character varying(500),
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_model_prices" PRIMARY KEY ("id"),
      CONSTRAINT "CHK_model_prices_non_negative" CHECK ("input_per_million" >= 0 AND "output_per_million" >= 0 AND "cached_input_per_million" >= 0 AND "reasoning_per_million" >= 0),
      CONSTRAINT "CHK_model_prices_currency" CHECK ("currency" ~ '^[A-Z]{3}$'))`);
    await db.query(`CREATE UNIQUE INDEX "UQ_model_prices_model_effective" ON "model_prices" ("provider", "model", "effective_from")`);

    await db.query(`CREATE TABLE "usage_records" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL,
      "message_id" uuid,
      "provider" character varying(32) NOT NULL,
      "model" character varying(200) NOT NULL,
      "status" character varying(16) NOT NULL,
      "prompt_tokens" integer NOT NULL,
      "completion_tokens" integer NOT NULL,
      "cached_prompt_tokens" integer NOT NULL,
      "reasoning_tokens" integer NOT NULL,
      "estimated" boolean NOT NULL,
      "cost" numeric(20,9),
      "currency" character varying(3),
      "price_id" uuid,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_usage_records" PRIMARY KEY ("id"))`);
    await db.query(`CREATE INDEX "IDX_usage_records_user_created" ON "usage_records" ("user_id", "created_at")`);
    await db.query(`CREATE INDEX "IDX_usage_records_created" ON "usage_records" ("created_at")`);
    await db.query(`CREATE INDEX "IDX_usage_records_message" ON "usage_records" ("message_id")`);

    for (const seed of SEED_PRICES) {
      await db.query(
        `INSERT INTO "model_prices" ("provider", "model", "currency", "input_per_million", "output_per_million", "cached_input_per_million", "reasoning_per_million", "effective_from", "source")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [seed.provider, seed.model, seed.currency, seed.input, seed.output, seed.cachedInput, seed.reasoning, seed.effectiveFrom, seed.source],
      );
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "usage_records"`);
    await db.query(`DROP TABLE "model_prices"`);
  }
}
