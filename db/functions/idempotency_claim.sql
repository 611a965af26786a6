-- Takes a key for the calling transaction, or reports what it already answered. A key claimed
-- by a transaction still in flight makes the INSERT wait until that one commits (then its
-- answer is returned) or rolls back (then the key is ours); the wait is bounded here alone
-- (lock_timeout, restored when the function returns), so the row locks taken after it are
-- bounded like any request's. A key older than 24 hours is taken over.
CREATE OR REPLACE FUNCTION idempotency_claim(
  p_scope text, p_key text, p_fingerprint text,
  OUT claimed boolean, OUT fingerprint text, OUT status smallint, OUT body text
)
LANGUAGE plpgsql
SET lock_timeout = '5s'
AS $$
BEGIN
  INSERT INTO idempotency_keys AS k (scope, key, fingerprint)
  VALUES (p_scope, p_key, p_fingerprint)
  ON CONFLICT (scope, key) DO UPDATE
  SET fingerprint = excluded.fingerprint, status = NULL, body = NULL, created_at = now()
  WHERE k.created_at < now() - interval '24 hours';
  claimed := FOUND;
  IF NOT claimed THEN
    -- A statement of its own: it sees the answer committed while the INSERT waited.
    SELECT k.fingerprint, k.status, k.body INTO fingerprint, status, body
    FROM idempotency_keys k WHERE k.scope = p_scope AND k.key = p_key;
  END IF;
END
$$;
