-- What readiness writes to: a commit that writes WAL waits for the synchronous standby as every
-- change does, where an empty one would not. One row, updated in place.
CREATE TABLE readiness_write (
  id smallint PRIMARY KEY CONSTRAINT readiness_write_one_row CHECK (id = 1),
  written_at timestamptz NOT NULL
);
INSERT INTO readiness_write VALUES (1, now());
