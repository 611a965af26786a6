-- A client's Idempotency-Key, claimed and answered in the same transaction as the change of
-- money it stands for: a key is committed with its change, or not at all.
CREATE TABLE idempotency_keys (
  key text PRIMARY KEY,
  -- sha256 of the method, path and body: the same key with another request is refused.
  fingerprint text NOT NULL,
  -- Filled in by the transaction that claims the key, so never NULL once committed.
  status smallint,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
