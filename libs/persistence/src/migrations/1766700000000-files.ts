import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Uploaded files: owned by a user, bound to the session they are first attached to, deleted with either. */
export class Files1766700000000 implements MigrationInterface {
  name = 'Files1766700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "files" (
      "id" uuid NOT NULL,
      "user_id" uuid NOT NULL,
      "session_id" uuid,
      "media_type" character varying(64) NOT NULL,
      "size" integer NOT NULL,
      "sha256" character(64) NOT NULL,
      "filename" character varying(255) NOT NULL,
      "bytes" bytea,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_files" PRIMARY KEY ("id"),
      CONSTRAINT "FK_files_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE,
      CONSTRAINT "FK_files_session" FOREIGN KEY ("session_id") REFERENCES "chat_sessions"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE INDEX "IDX_files_user_created" ON "files" ("user_id", "created_at")`);
    await db.query(`CREATE INDEX "IDX_files_session" ON "files" ("session_id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "files"`);
  }
}
