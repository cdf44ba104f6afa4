import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Model governance, routing half: which models a role (or one user) may use and within which limits, the
 * administrators' model aliases (weighted targets, then fallbacks), and the route each reply took.
 */
export class ModelRouting1766100000000 implements MigrationInterface {
  name = 'ModelRouting1766100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "model_policies" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "role" character varying(16),
      "user_id" uuid,
      "models" jsonb,
      "max_output_tokens" integer,
      "min_temperature" double precision,
      "max_temperature" double precision,
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_model_policies" PRIMARY KEY ("id"),
      CONSTRAINT "CHK_model_policies_subject" CHECK (("role" IS NULL) <> ("user_id" IS NULL)),
      CONSTRAINT "FK_model_policies_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE UNIQUE INDEX "UQ_model_policies_role" ON "model_policies" ("role")`);
    await db.query(`CREATE UNIQUE INDEX "UQ_model_policies_user" ON "model_policies" ("user_id")`);
    await db.query(`CREATE TABLE "model_aliases" (
      "name" character varying(64) NOT NULL,
      "targets" jsonb NOT NULL,
      "fallbacks" jsonb NOT NULL DEFAULT '[]',
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_model_aliases" PRIMARY KEY ("name"))`);
    await db.query(`ALTER TABLE "messages" ADD "attempts" jsonb`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "messages" DROP COLUMN "attempts"`);
    await db.query(`DROP TABLE "model_aliases"`);
    await db.query(`DROP TABLE "model_policies"`);
  }
}
