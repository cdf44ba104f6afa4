import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "users" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "email" character varying(320) NOT NULL,
      "password_hash" character varying(255) NOT NULL,
      "display_name" character varying(100) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_users" PRIMARY KEY ("id"))`);
    await db.query(`CREATE UNIQUE INDEX "UQ_users_email" ON "users" ("email")`);

    await db.query(`CREATE TABLE "provider_credentials" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL,
      "provider" character varying(32) NOT NULL,
      "api_key_encrypted" text,
      "api_key_hint" character varying(32),
      "base_url" character varying(2048),
      "default_model" character varying(200),
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_provider_credentials" PRIMARY KEY ("id"),
      CONSTRAINT "FK_provider_credentials_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(
      `CREATE UNIQUE INDEX "UQ_provider_credentials_user_provider" ON "provider_credentials" ("user_id", "provider")`,
    );

    await db.query(`CREATE TABLE "chat_sessions" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL,
      "title" character varying(200) NOT NULL,
      "provider" character varying(32) NOT NULL,
      "model" character varying(200) NOT NULL,
      "mode" character varying(32) NOT NULL DEFAULT 'normal',
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_chat_sessions" PRIMARY KEY ("id"),
      CONSTRAINT "FK_chat_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE INDEX "IDX_chat_sessions_user_updated" ON "chat_sessions" ("user_id", "updated_at")`);

    await db.query(`CREATE TABLE "messages" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "session_id" uuid NOT NULL,
      "role" character varying(16) NOT NULL,
      "content" text NOT NULL,
      "status" character varying(16) NOT NULL DEFAULT 'complete',
      "error_code" character varying(64),
      "error" text,
      "provider" character varying(32),
      "model" character varying(200),
      "response_time_ms" integer,
      "prompt_tokens" integer,
      "completion_tokens" integer,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(),
      CONSTRAINT "PK_messages" PRIMARY KEY ("id"),
      CONSTRAINT "FK_messages_session" FOREIGN KEY ("session_id") REFERENCES "chat_sessions"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE INDEX "IDX_messages_session_created" ON "messages" ("session_id", "created_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "messages"`);
    await db.query(`DROP TABLE "chat_sessions"`);
    await db.query(`DROP TABLE "provider_credentials"`);
    await db.query(`DROP TABLE "users"`);
  }
}
