import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Organisation-wide provider connections (admin API or CONNECTIONS_FILE): keys every member may use. */
export class ProviderConnections1766000000000 implements MigrationInterface {
  name = 'ProviderConnections1766000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "provider_connections" (
      "id" character varying(64) NOT NULL,
      "provider" character varying(32) NOT NULL,
      "name" character varying(100) NOT NULL,
      "api_key_encrypted" text,
      "api_key_hint" character varying(32),
      "base_url" character varying(2048),
      "models" character varying(200) array NOT NULL DEFAULT '{}',
      "enabled" boolean NOT NULL DEFAULT true,
      "source" character varying(8) NOT NULL DEFAULT 'api',
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_provider_connections" PRIMARY KEY ("id"))`);
    await db.query(`CREATE INDEX "IDX_provider_connections_provider" ON "provider_connections" ("provider", "enabled")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "provider_connections"`);
  }
}
