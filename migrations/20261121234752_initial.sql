-- Create "users" table
CREATE TABLE "users" (
  "id" uuid NOT NULL,
  "email" character varying(320) NOT NULL,
  "full_name" character varying(200) NOT NULL,
  "hashed_password" character varying(255) NOT NULL,
  "role" character varying(16) NOT NULL DEFAULT 'customer',
  "is_active" boolean NOT NULL DEFAULT true,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("id"),
  CONSTRAINT "ck_users_role" CHECK ((role)::text = ANY ((ARRAY['customer'::character varying, 'admin'::character varying])::text[]))
);
-- Create index "uq_users_email_lower" to table: "users"
CREATE UNIQUE INDEX "uq_users_email_lower" ON "users" ((lower((email)::text)));
