import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-session settings (system prompt, temperature, output limit, reasoning) and presets of them; a flag that
 * keeps a generated title from overwriting one the user chose.
 */
export class SessionSettings1766600000000 implements MigrationInterface {
  name = 'SessionSettings1766600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "chat_sessions" ADD "system_prompt" text`);
    await db.query(`ALTER TABLE "chat_sessions" ADD "temperature" double precision`);
    await db.query(`ALTER TABLE "chat_sessions" ADD "max_output_tokens" integer`);
    await db.query(`ALTER TABLE "chat_sessions" ADD "reasoning" jsonb`);
    await db.query(`ALTER TABLE "chat_sessions" ADD "title_set_by_user" boolean NOT NULL DEFAULT false`);

    await db.query(`CREATE TABLE "presets" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL,
      "name" character varying(100) NOT NULL,
      "system_prompt" text,
      "provider" character varying(32),
      "model" character varying(200),
      "temperature" double precision,
      "max_output_tokens" integer,
      "reasoning" jsonb,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_presets" PRIMARY KEY ("id"),
      CONSTRAINT "FK_presets_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE INDEX "IDX_presets_user" ON "presets" ("user_id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "presets"`);
    for (const column of ['title_set_by_user', 'reasoning', 'max_output_tokens', 'temperature', 'system_prompt']) {
      await db.query(`ALTER TABLE "chat_sessions" DROP COLUMN "${column}"`);
    }
  }
}
