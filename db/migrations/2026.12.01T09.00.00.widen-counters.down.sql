-- Fails, rather than truncating, once a version has passed 2^31 - 1.
ALTER TABLE users ALTER COLUMN version TYPE integer;
