-- Create "products" table
CREATE TABLE "products" (
  "id" uuid NOT NULL,
  "sku" character varying(64) NOT NULL,
  "name" character varying(200) NOT NULL,
  "description" character varying(5000) NOT NULL DEFAULT '',
  "price_cents" integer NOT NULL,
  "currency" character varying(3) NOT NULL,
  "stock" integer NOT NULL,
  "archived_at" timestamptz NULL,
  "version" integer NOT NULL DEFAULT 1,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("id"),
  CONSTRAINT "ck_products_currency_is_iso_4217" CHECK ((currency)::text ~ '^[A-Z]{3}$'::text),
  CONSTRAINT "ck_products_price_in_range" CHECK ((price_cents >= 0) AND (price_cents <= 100000000)),
  CONSTRAINT "ck_products_sku_format" CHECK ((sku)::text ~ '^[A-Z0-9_-]{1,64}$'::text),
  CONSTRAINT "ck_products_stock_not_negative" CHECK (stock >= 0)
);
-- Create index "ix_products_listed_created_at" to table: "products"
CREATE INDEX "ix_products_listed_created_at" ON "products" ("created_at", "id") WHERE (archived_at IS NULL);
-- Create index "ix_products_listed_name" to table: "products"
CREATE INDEX "ix_products_listed_name" ON "products" ("name", "id") WHERE (archived_at IS NULL);
-- Create index "ix_products_listed_price" to table: "products"
CREATE INDEX "ix_products_listed_price" ON "products" ("price_cents", "id") WHERE (archived_at IS NULL);
-- Create index "ix_products_name_trgm" to table: "products"
CREATE INDEX "ix_products_name_trgm" ON "products" USING gin ((lower((name)::text)) gin_trgm_ops);
-- Create index "ix_products_sku_trgm" to table: "products"
CREATE INDEX "ix_products_sku_trgm" ON "products" USING gin ((lower((sku)::text)) gin_trgm_ops);
-- Create index "uq_products_sku" to table: "products"
CREATE UNIQUE INDEX "uq_products_sku" ON "products" ("sku");
