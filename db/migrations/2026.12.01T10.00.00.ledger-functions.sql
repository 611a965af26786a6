-- The ledger's operations, one function each, called with bound parameters inside the service's
-- managed transaction. Each statement of a volatile PL/pgSQL function takes a fresh snapshot, so
-- a write that follows a row lock reads the row as it is once locked (a single statement that
-- locked and wrote, through a FOR UPDATE CTE, had PostgreSQL's re-check of a concurrently
-- changed row refuse debits the balance covered). PL/pgSQL caches each statement's plan for the
-- session, so the hot path is parsed and planned once per connection, not per request.
--
-- A refusal is an outcome, not an error: the service raises the domain error, and its
-- transaction rolls back whatever else it did.

-- Every lock on users is taken here: in ascending id order, so that operations on several users
-- wait for each other in one order and never deadlock. Any other row an operation locks (a hold)
-- is locked after its users.
CREATE FUNCTION ledger_lock_users(p_user_ids integer[])
RETURNS TABLE (id integer, balance bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT u.id, u.balance FROM users u WHERE u.id = ANY (p_user_ids) ORDER BY u.id FOR UPDATE;
END
$$;

-- The bounds of every change of a balance, written once: no balance below 0, none above
-- 2^53 - 1 (JSON numbers are exact up to there). NULL when the change is allowed.
CREATE FUNCTION ledger_refusal(p_balance bigint, p_amount bigint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN p_balance + p_amount < 0 THEN 'insufficient_funds'
    WHEN p_balance + p_amount > 9007199254740991 THEN 'balance_limit_exceeded'
  END
$$;

-- Appends one balance transaction (a ledger entry) with the balance after it.
CREATE FUNCTION ledger_append(
  p_user_id integer, p_amount bigint, p_balance_after bigint, p_type text,
  p_transfer_id bigint DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  INSERT INTO balance_transactions (user_id, amount, balance_after, type, transfer_id)
  VALUES (p_user_id, p_amount, p_balance_after, p_type, p_transfer_id)
  RETURNING balance_transactions.id INTO v_id;
  RETURN v_id;
END
$$;

-- A new user, whose opening balance is its first balance transaction.
CREATE FUNCTION ledger_open_account(
  p_balance bigint,
  OUT user_id integer, OUT balance bigint, OUT version bigint, OUT transaction_id bigint
)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO users (balance) VALUES (p_balance)
  RETURNING users.id, users.balance, users.version INTO user_id, balance, version;
  transaction_id := ledger_append(user_id, p_balance, p_balance, 'opening');
END
$$;

-- Credits (p_amount > 0) or debits (p_amount < 0) one user.
-- outcome: applied, user_not_found, insufficient_funds or balance_limit_exceeded; `balance` is
-- the balance after the change, or the locked balance when refused.
CREATE FUNCTION ledger_change_balance(
  p_user_id integer, p_amount bigint,
  OUT outcome text, OUT balance bigint, OUT version bigint, OUT transaction_id bigint
)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT locked.balance INTO balance FROM ledger_lock_users(ARRAY[p_user_id]) locked;
  IF NOT FOUND THEN
    outcome := 'user_not_found';
    RETURN;
  END IF;
  outcome := ledger_refusal(balance, p_amount);
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;
  UPDATE users u
  SET balance = u.balance + p_amount, version = u.version + 1, updated_at = now()
  WHERE u.id = p_user_id
  RETURNING u.balance, u.version INTO balance, version;
  transaction_id := ledger_append(
    p_user_id, p_amount, balance, CASE WHEN p_amount > 0 THEN 'credit' ELSE 'debit' END
  );
  outcome := 'applied';
END
$$;

-- Moves p_amount (> 0) from one user to another, all or nothing: the transfer, both balances
-- and two balance transactions sharing the transfer's id.
-- outcome: applied, user_not_found (missing_user_id says which), insufficient_funds (the
-- source) or balance_limit_exceeded (the target); the balances are the locked ones when refused.
CREATE FUNCTION ledger_transfer(
  p_from_user_id integer, p_to_user_id integer, p_amount bigint,
  OUT outcome text, OUT missing_user_id integer, OUT from_balance bigint, OUT to_balance bigint,
  OUT transfer_id bigint, OUT created_at timestamptz
)
LANGUAGE plpgsql AS $$
DECLARE
  v_user record;
BEGIN
  FOR v_user IN SELECT * FROM ledger_lock_users(ARRAY[p_from_user_id, p_to_user_id]) LOOP
    IF v_user.id = p_from_user_id THEN
      from_balance := v_user.balance;
    ELSE
      to_balance := v_user.balance;
    END IF;
  END LOOP;
  IF from_balance IS NULL OR to_balance IS NULL THEN
    outcome := 'user_not_found';
    missing_user_id := CASE WHEN from_balance IS NULL THEN p_from_user_id ELSE p_to_user_id END;
    RETURN;
  END IF;
  outcome := coalesce(
    ledger_refusal(from_balance, -p_amount), ledger_refusal(to_balance, p_amount)
  );
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;
  INSERT INTO transfers (from_user_id, to_user_id, amount)
  VALUES (p_from_user_id, p_to_user_id, p_amount)
  RETURNING transfers.id, transfers.created_at INTO transfer_id, created_at;
  UPDATE users u
  SET balance = u.balance - p_amount, version = u.version + 1, updated_at = now()
  WHERE u.id = p_from_user_id
  RETURNING u.balance INTO from_balance;
  UPDATE users u
  SET balance = u.balance + p_amount, version = u.version + 1, updated_at = now()
  WHERE u.id = p_to_user_id
  RETURNING u.balance INTO to_balance;
  PERFORM ledger_append(p_from_user_id, -p_amount, from_balance, 'transfer_out', transfer_id);
  PERFORM ledger_append(p_to_user_id, p_amount, to_balance, 'transfer_in', transfer_id);
  outcome := 'applied';
END
$$;

-- Idempotency keys belong to a caller (a digest of its API key; '' when the service is open),
-- and remember the exact status and body that were answered.
ALTER TABLE idempotency_keys ADD COLUMN scope text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN body text;
-- Keys stored before this migration remembered the changed row; rewrite them as the bodies the
-- service answered, so that their replays keep working.
UPDATE idempotency_keys SET body = CASE
  WHEN response ? 'transaction_id' THEN json_build_object(
    'userId', response -> 'user_id', 'balance', response -> 'balance',
    'version', response -> 'version', 'transactionId', response -> 'transaction_id')::text
  WHEN response ? 'from_user_id' THEN json_build_object(
    'id', response -> 'id', 'fromUserId', response -> 'from_user_id',
    'toUserId', response -> 'to_user_id', 'amount', response -> 'amount',
    'fromBalance', response -> 'from_balance', 'toBalance', response -> 'to_balance',
    'createdAt', to_char((response ->> 'created_at')::timestamptz AT TIME ZONE 'UTC',
                         'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text
  ELSE json_build_object(
    'id', response -> 'id', 'balance', response -> 'balance', 'version', response -> 'version')::text
END
WHERE response IS NOT NULL;
ALTER TABLE idempotency_keys DROP COLUMN response;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (scope, key);

-- Takes a key for the calling transaction, or reports what it already answered. A key claimed
-- by a transaction still in flight makes the INSERT wait until that one commits (then its
-- answer is returned) or rolls back (then the key is ours); the wait is bounded here alone
-- (lock_timeout, restored when the function returns), so the row locks taken after it are
-- bounded like any request's. A key older than 24 hours is taken over.
CREATE FUNCTION idempotency_claim(
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
