import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversations become trees: each message points at the one it follows, and a session remembers the leaf of
 * the branch being shown. Existing conversations become single branches in their time order.
 */
export class MessageBranches1764200000000 implements MigrationInterface {
  name = 'MessageBranches1764200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "messages" ADD "parent_id" uuid`);
    await db.query(`ALTER TABLE "chat_sessions" ADD "active_message_id" uuid`);
    await db.query(`UPDATE "messages" m SET "parent_id" = ordered.previous
      FROM (SELECT "id", LAG("id") OVER (PARTITION BY "session_id" ORDER BY "created_at", "id") AS previous FROM "messages") ordered
      WHERE ordered."id" = m."id" AND ordered.previous IS NOT NULL`);
    await db.query(`UPDATE "chat_sessions" s SET "active_message_id" =
      (SELECT "id" FROM "messages" WHERE "session_id" = s."id" ORDER BY "created_at" DESC, "id" DESC LIMIT 1)`);
    await db.query(`CREATE INDEX "IDX_messages_parent" ON "messages" ("parent_id")`);
    await db.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "FK_messages_parent" FOREIGN KEY ("parent_id") REFERENCES "messages"("id") ON DELETE CASCADE`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_messages_parent"`);
    await db.query(`DROP INDEX "IDX_messages_parent"`);
    await db.query(`ALTER TABLE "chat_sessions" DROP COLUMN "active_message_id"`);
    await db.query(`ALTER TABLE "messages" DROP COLUMN "parent_id"`);
  }
}
