-- Create "orders" table
CREATE TABLE "orders" (
  "id" uuid NOT NULL,
  "user_id" uuid NOT NULL,
  "status" character varying(16) NOT NULL,
  "total_cents" bigint NOT NULL,
  "currency" character varying(3) NOT NULL,
  "note" character varying(1000) NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("id"),
  CONSTRAINT "fk_orders_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE RESTRICT,
  CONSTRAINT "ck_orders_status" CHECK ((status)::text = ANY ((ARRAY['placed'::character varying, 'cancelled'::character varying, 'fulfilled'::character varying])::text[])),
  CONSTRAINT "ck_orders_total_not_negative" CHECK (total_cents >= 0)
);
-- Create index "ix_orders_user_id_id" to table: "orders"
CREATE INDEX "ix_orders_user_id_id" ON "orders" ("user_id", "id");
-- Create "order_lines" table
CREATE TABLE "order_lines" (
  "id" uuid NOT NULL,
  "order_id" uuid NOT NULL,
  "position" integer NOT NULL,
  "product_id" uuid NOT NULL,
  "sku" character varying(64) NOT NULL,
  "name" character varying(200) NOT NULL,
  "unit_price_cents" integer NOT NULL,
  "quantity" integer NOT NULL,
  "line_total_cents" bigint NOT NULL,
  PRIMARY KEY ("id"),
  CONSTRAINT "fk_order_lines_order_id_orders" FOREIGN KEY ("order_id") REFERENCES "orders" ("id") ON UPDATE NO ACTION ON DELETE CASCADE,
  CONSTRAINT "fk_order_lines_product_id_products" FOREIGN KEY ("product_id") REFERENCES "products" ("id") ON UPDATE NO ACTION ON DELETE RESTRICT,
  CONSTRAINT "ck_order_lines_quantity_in_range" CHECK ((quantity >= 1) AND (quantity <= 1000))
);
-- Create index "ix_order_lines_product_id" to table: "order_lines"
CREATE INDEX "ix_order_lines_product_id" ON "order_lines" ("product_id");
-- Create index "uq_order_lines_order_id_product_id" to table: "order_lines"
CREATE UNIQUE INDEX "uq_order_lines_order_id_product_id" ON "order_lines" ("order_id", "product_id");
-- Create "idempotency_records" table
CREATE TABLE "idempotency_records" (
  "user_id" uuid NOT NULL,
  "key" character varying(255) NOT NULL,
  "request_hash" bytea NOT NULL,
  "locked_until" timestamptz NOT NULL,
  "response_status" integer NULL,
  "response_body" jsonb NULL,
  "expires_at" timestamptz NOT NULL,
  PRIMARY KEY ("user_id", "key"),
  CONSTRAINT "fk_idempotency_records_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE
);
-- Create index "ix_idempotency_records_expires_at" to table: "idempotency_records"
CREATE INDEX "ix_idempotency_records_expires_at" ON "idempotency_records" ("expires_at");
