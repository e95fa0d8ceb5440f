-- Create "login_failures" table
CREATE TABLE "login_failures" (
  "id" uuid NOT NULL,
  "email" character varying(320) NOT NULL,
  "client_address" character varying(64) NOT NULL,
  "failed_at" timestamptz NOT NULL,
  PRIMARY KEY ("id")
);
-- Create index "ix_login_failures_client_address_failed_at" to table: "login_failures"
CREATE INDEX "ix_login_failures_client_address_failed_at" ON "login_failures" ("client_address", "failed_at");
-- Create index "ix_login_failures_email_failed_at" to table: "login_failures"
CREATE INDEX "ix_login_failures_email_failed_at" ON "login_failures" ("email", "failed_at");
-- Create "refresh_tokens" table
CREATE TABLE "refresh_tokens" (
  "id" uuid NOT NULL,
  "token_hash" bytea NOT NULL,
  "family_id" uuid NOT NULL,
  "user_id" uuid NOT NULL,
  "created_at" timestamptz NOT NULL,
  "expires_at" timestamptz NOT NULL,
  "rotated_at" timestamptz NULL,
  "revoked_at" timestamptz NULL,
  PRIMARY KEY ("id"),
  CONSTRAINT "fk_refresh_tokens_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE
);
-- Create index "ix_refresh_tokens_family_id" to table: "refresh_tokens"
CREATE INDEX "ix_refresh_tokens_family_id" ON "refresh_tokens" ("family_id");
-- Create index "ix_refresh_tokens_user_id" to table: "refresh_tokens"
CREATE INDEX "ix_refresh_tokens_user_id" ON "refresh_tokens" ("user_id");
-- Create index "uq_refresh_tokens_token_hash" to table: "refresh_tokens"
CREATE UNIQUE INDEX "uq_refresh_tokens_token_hash" ON "refresh_tokens" ("token_hash");
