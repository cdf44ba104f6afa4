import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The conversation library: folders, archive, pin and tags on sessions; full-text search over titles and messages
 * (generated `tsvector` columns with GIN indexes, 'simple' configuration so any language and script is split into
 * tokens the same way); thumbs-up/down on replies; read-only share links.
 */
export class ConversationLibrary1765400000000 implements MigrationInterface {
  name = 'ConversationLibrary1765400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "folders" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL,
      "name" character varying(100) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_folders" PRIMARY KEY ("id"),
      CONSTRAINT "FK_folders_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE INDEX "IDX_folders_user" ON "folders" ("user_id", "created_at")`);

    await db.query(`ALTER TABLE "chat_sessions" ADD "archived" boolean NOT NULL DEFAULT false`);
    await db.query(`ALTER TABLE "chat_sessions" ADD "pinned" boolean NOT NULL DEFAULT false`);
    await db.query(`ALTER TABLE "chat_sessions" ADD "folder_id" uuid`);
    await db.query(`ALTER TABLE "chat_sessions" ADD "tags" character varying(40) array NOT NULL DEFAULT '{}'`);
    await db.query(
      `ALTER TABLE "chat_sessions" ADD CONSTRAINT "FK_chat_sessions_folder" FOREIGN KEY ("folder_id") REFERENCES "folders"("id") ON DELETE SET NULL`,
    );
    await db.query(`CREATE INDEX "IDX_chat_sessions_folder" ON "chat_sessions" ("folder_id")`);
    // The list is sorted pinned first, then newest: this index replaces the one on (user_id, updated_at).
    await db.query(`DROP INDEX "IDX_chat_sessions_user_updated"`);
    await db.query(`CREATE INDEX "IDX_chat_sessions_user_pinned_updated" ON "chat_sessions" ("user_id", "pinned", "updated_at")`);

    // TypeORM reads a generated column's expression from its metadata table (the catalogue's text is reformatted).
    await db.query(`CREATE TABLE IF NOT EXISTS "typeorm_metadata" (
      "type" character varying NOT NULL, "database" character varying, "schema" character varying,
      "table" character varying, "name" character varying, "value" text)`);
    for (const [table, source] of [
      ['chat_sessions', 'title'],
      ['messages', 'content'],
    ] as const) {
      const expression = `to_tsvector('simple', "${source}")`;
      await db.query(`ALTER TABLE "${table}" ADD "search_vector" tsvector GENERATED ALWAYS AS (${expression}) STORED NOT NULL`);
      await db.query(
        `INSERT INTO "typeorm_metadata" ("database", "schema", "table", "type", "name", "value")
         VALUES (current_database(), current_schema(), $1, 'GENERATED_COLUMN', 'search_vector', $2)`,
        [table, expression],
      );
      await db.query(`CREATE INDEX "IDX_${table}_search" ON "${table}" USING GIN ("search_vector")`);
    }

    await db.query(`CREATE TABLE "message_feedback" (
      "message_id" uuid NOT NULL,
      "user_id" uuid NOT NULL,
      "rating" character varying(8) NOT NULL,
      "comment" character varying(2000),
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_message_feedback" PRIMARY KEY ("message_id"),
      CONSTRAINT "CHK_message_feedback_rating" CHECK ("rating" IN ('up', 'down')),
      CONSTRAINT "FK_message_feedback_message" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE,
      CONSTRAINT "FK_message_feedback_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE INDEX "IDX_message_feedback_user" ON "message_feedback" ("user_id")`);

    await db.query(`CREATE TABLE "shared_links" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL,
      "session_id" uuid NOT NULL,
      "token_hash" character(64) NOT NULL,
      "snapshot" jsonb NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "expires_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_shared_links" PRIMARY KEY ("id"),
      CONSTRAINT "FK_shared_links_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE,
      CONSTRAINT "FK_shared_links_session" FOREIGN KEY ("session_id") REFERENCES "chat_sessions"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE UNIQUE INDEX "UQ_shared_links_token_hash" ON "shared_links" ("token_hash")`);
    await db.query(`CREATE INDEX "IDX_shared_links_session" ON "shared_links" ("session_id")`);
    await db.query(`CREATE INDEX "IDX_shared_links_user" ON "shared_links" ("user_id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "shared_links"`);
    await db.query(`DROP TABLE "message_feedback"`);
    await db.query(`DELETE FROM "typeorm_metadata" WHERE "type" = 'GENERATED_COLUMN' AND "name" = 'search_vector' AND "table" IN ('chat_sessions', 'messages')`);
    await db.query(`ALTER TABLE "messages" DROP COLUMN "search_vector"`);
    await db.query(`ALTER TABLE "chat_sessions" DROP COLUMN "search_vector"`);
    await db.query(`DROP INDEX "IDX_chat_sessions_user_pinned_updated"`);
    await db.query(`CREATE INDEX "IDX_chat_sessions_user_updated" ON "chat_sessions" ("user_id", "updated_at")`);
    await db.query(`ALTER TABLE "chat_sessions" DROP CONSTRAINT "FK_chat_sessions_folder"`);
    await db.query(`ALTER TABLE "chat_sessions" DROP COLUMN "tags", DROP COLUMN "folder_id", DROP COLUMN "pinned", DROP COLUMN "archived"`);
    await db.query(`DROP TABLE "folders"`);
  }
}
