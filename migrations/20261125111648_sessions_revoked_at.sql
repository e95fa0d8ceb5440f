-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "sessions_revoked_at" timestamptz NULL;
