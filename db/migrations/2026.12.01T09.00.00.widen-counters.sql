-- A user's version counts every change of its balance: an integer runs out after 2^31 - 1
-- changes of one account, and every later change of it would fail. A bigint outlasts any
-- account; the service reads it as a number, exact below 2^53.
ALTER TABLE users ALTER COLUMN version TYPE bigint;
