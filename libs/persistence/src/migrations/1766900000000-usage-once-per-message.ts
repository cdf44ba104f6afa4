import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * At most one usage record per message: a reply's record is written with its row and retried with it through an
 * outage, and the unique index lets a retry whose first attempt committed unseen do nothing (`ON CONFLICT`).
 * Records of replies that are not stored have no message (NULL), and NULLs never conflict. A second record of one
 * message could not be written before this version; should one exist, the earliest is kept.
 */
export class UsageOncePerMessage1766900000000 implements MigrationInterface {
  name = 'UsageOncePerMessage1766900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `DELETE FROM "usage_records" later USING "usage_records" earlier
        WHERE later."message_id" = earlier."message_id" AND (later."created_at", later."id") > (earlier."created_at", earlier."id")`,
    );
    await db.query(`DROP INDEX "IDX_usage_records_message"`);
    await db.query(`CREATE UNIQUE INDEX "IDX_usage_records_message" ON "usage_records" ("message_id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX "IDX_usage_records_message"`);
    await db.query(`CREATE INDEX "IDX_usage_records_message" ON "usage_records" ("message_id")`);
  }
}
