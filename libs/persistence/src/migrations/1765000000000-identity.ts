import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Roles, disabled accounts, token versions and single sign-on identities; refresh tokens, login codes, the audit log. */
export class Identity1765000000000 implements MigrationInterface {
  name = 'Identity1765000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "users" ADD "role" character varying(16) NOT NULL DEFAULT 'member'`);
    await db.query(`ALTER TABLE "users" ADD CONSTRAINT "CHK_users_role" CHECK ("role" IN ('admin', 'member'))`);
    await db.query(`ALTER TABLE "users" ADD "disabled_at" TIMESTAMP WITH TIME ZONE`);
    await db.query(`ALTER TABLE "users" ADD "token_version" integer NOT NULL DEFAULT '0'`);
    await db.query(`ALTER TABLE "users" ADD "oidc_issuer" character varying(500)`);
    await db.query(`ALTER TABLE "users" ADD "oidc_subject" character varying(255)`);
    await db.query(`ALTER TABLE "users" ALTER COLUMN "password_hash" DROP NOT NULL`);
    await db.query(`CREATE UNIQUE INDEX "UQ_users_oidc_identity" ON "users" ("oidc_issuer", "oidc_subject")`);

    await db.query(`CREATE TABLE "refresh_tokens" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL,
      "family_id" uuid NOT NULL,
      "token_hash" character(64) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "used_at" TIMESTAMP WITH TIME ZONE,
      "revoked_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_refresh_tokens" PRIMARY KEY ("id"),
      CONSTRAINT "FK_refresh_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE UNIQUE INDEX "UQ_refresh_tokens_token_hash" ON "refresh_tokens" ("token_hash")`);
    await db.query(`CREATE INDEX "IDX_refresh_tokens_family" ON "refresh_tokens" ("family_id")`);
    await db.query(`CREATE INDEX "IDX_refresh_tokens_user" ON "refresh_tokens" ("user_id")`);

    await db.query(`CREATE TABLE "login_codes" (
      "code_hash" character(64) NOT NULL,
      "user_id" uuid NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "PK_login_codes" PRIMARY KEY ("code_hash"),
      CONSTRAINT "FK_login_codes_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await db.query(`CREATE INDEX "IDX_login_codes_user" ON "login_codes" ("user_id")`);

    await db.query(`CREATE TABLE "audit_events" (
      "id" BIGSERIAL NOT NULL,
      "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "actor" character varying(64) NOT NULL,
      "action" character varying(64) NOT NULL,
      "target" character varying(200),
      "client_address" character varying(64),
      "request_id" character varying(64),
      "detail" jsonb,
      CONSTRAINT "PK_audit_events" PRIMARY KEY ("id"))`);
    await db.query(`CREATE INDEX "IDX_audit_events_at" ON "audit_events" ("at")`);
    await db.query(`CREATE INDEX "IDX_audit_events_actor" ON "audit_events" ("actor", "id")`);
    await db.query(`CREATE INDEX "IDX_audit_events_action" ON "audit_events" ("action", "id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "audit_events"`);
    await db.query(`DROP TABLE "login_codes"`);
    await db.query(`DROP TABLE "refresh_tokens"`);
    await db.query(`DROP INDEX "UQ_users_oidc_identity"`);
    await db.query(`ALTER TABLE "users" ALTER COLUMN "password_hash" SET NOT NULL`);
    await db.query(`ALTER TABLE "users" DROP CONSTRAINT "CHK_users_role"`);
    await db.query(`ALTER TABLE "users" DROP COLUMN "oidc_subject", DROP COLUMN "oidc_issuer", DROP COLUMN "token_version", DROP COLUMN "disabled_at", DROP COLUMN "role"`);
  }
}
