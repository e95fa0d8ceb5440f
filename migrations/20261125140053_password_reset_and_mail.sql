-- Create "mail_deliveries" table
CREATE TABLE "mail_deliveries" (
  "key" character varying(200) NOT NULL,
  "recipient" character varying(320) NOT NULL,
  "sent_at" timestamptz NOT NULL,
  PRIMARY KEY ("key")
);
-- Create index "ix_mail_deliveries_sent_at" to table: "mail_deliveries"
CREATE INDEX "ix_mail_deliveries_sent_at" ON "mail_deliveries" ("sent_at");
-- Create "password_reset_requests" table
CREATE TABLE "password_reset_requests" (
  "id" uuid NOT NULL,
  "email" character varying(320) NOT NULL,
  "client_address" character varying(64) NOT NULL,
  "requested_at" timestamptz NOT NULL,
  PRIMARY KEY ("id")
);
-- Create index "ix_password_reset_requests_client_address_requested_at" to table: "password_reset_requests"
CREATE INDEX "ix_password_reset_requests_client_address_requested_at" ON "password_reset_requests" ("client_address", "requested_at");
-- Create index "ix_password_reset_requests_email_requested_at" to table: "password_reset_requests"
CREATE INDEX "ix_password_reset_requests_email_requested_at" ON "password_reset_requests" ("email", "requested_at");
-- Create "password_reset_tokens" table
CREATE TABLE "password_reset_tokens" (
  "id" uuid NOT NULL,
  "token_hash" bytea NOT NULL,
  "user_id" uuid NOT NULL,
  "created_at" timestamptz NOT NULL,
  "expires_at" timestamptz NOT NULL,
  "ended_at" timestamptz NULL,
  PRIMARY KEY ("id"),
  CONSTRAINT "fk_password_reset_tokens_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE
);
-- Create index "ix_password_reset_tokens_ended_at" to table: "password_reset_tokens"
CREATE INDEX "ix_password_reset_tokens_ended_at" ON "password_reset_tokens" ("ended_at");
-- Create index "ix_password_reset_tokens_expires_at" to table: "password_reset_tokens"
CREATE INDEX "ix_password_reset_tokens_expires_at" ON "password_reset_tokens" ("expires_at");
-- Create index "ix_password_reset_tokens_user_id" to table: "password_reset_tokens"
CREATE INDEX "ix_password_reset_tokens_user_id" ON "password_reset_tokens" ("user_id");
-- Create index "uq_password_reset_tokens_token_hash" to table: "password_reset_tokens"
CREATE UNIQUE INDEX "uq_password_reset_tokens_token_hash" ON "password_reset_tokens" ("token_hash");
