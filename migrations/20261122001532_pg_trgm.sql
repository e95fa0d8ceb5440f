-- Trigram indexes back the case-insensitive product search.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
