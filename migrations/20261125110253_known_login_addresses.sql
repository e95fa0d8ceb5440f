-- Create "known_login_addresses" table
CREATE TABLE "known_login_addresses" (
  "user_id" uuid NOT NULL,
  "client_address" character varying(64) NOT NULL,
  "last_success_at" timestamptz NOT NULL,
  PRIMARY KEY ("user_id", "client_address"),
  CONSTRAINT "fk_known_login_addresses_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE
);
