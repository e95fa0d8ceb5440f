-- Emails are now stored in the form the app normalises them to and compared exactly.
-- Existing rows were unique by lower(email), so lower-casing them cannot collide;
-- PostgreSQL's lower() matches the app's folding for every ASCII address.
UPDATE "users" SET "email" = lower("email") WHERE "email" <> lower("email");
-- Drop index "uq_users_email_lower" from table: "users"
DROP INDEX "uq_users_email_lower";
-- Create index "uq_users_email" to table: "users"
CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email");
