-- Reverts 2026.12.01T11.00.00.holds.up.sql: the ledger functions as they were, then the schema.
DROP FUNCTION ledger_void_hold(bigint);
DROP FUNCTION ledger_capture_hold(bigint, bigint, text, text);
DROP FUNCTION ledger_place_hold(integer, bigint, integer, text, text);
DROP FUNCTION ledger_lock_hold(bigint);
DROP FUNCTION ledger_transfer(integer, integer, bigint, text, text);
DROP FUNCTION ledger_change_balance(integer, bigint, text, text);
DROP FUNCTION ledger_append(integer, bigint, bigint, text, bigint, bigint, text, text);
DROP FUNCTION ledger_refusal(bigint, bigint, bigint);
DROP FUNCTION ledger_held(integer, timestamptz, timestamptz);
DROP FUNCTION hold_status(text, timestamptz, timestamptz);
DROP FUNCTION ledger_lock_users(integer[]);

CREATE FUNCTION ledger_lock_users(p_user_ids integer[])
RETURNS TABLE (id integer, balance bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT u.id, u.balance FROM users u WHERE u.id = ANY (p_user_ids) ORDER BY u.id FOR UPDATE;
END
$$;

CREATE FUNCTION ledger_refusal(p_balance bigint, p_amount bigint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN p_balance + p_amount < 0 THEN 'insufficient_funds'
    WHEN p_balance + p_amount > 9007199254740991 THEN 'balance_limit_exceeded'
  END
$$;

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

-- Captures cannot be expressed without holds: the ledger cannot lose rows, so refuse.
DO $$
BEGIN
  IF EXISTS (SELECT FROM balance_transactions WHERE type = 'capture') THEN
    RAISE EXCEPTION 'the ledger has captures; they cannot be reverted';
  END IF;
END
$$;

DROP INDEX balance_transactions_user_id_reference_id;
DROP INDEX balance_transactions_hold_id;
ALTER TABLE balance_transactions
  DROP CONSTRAINT balance_transactions_type_matches_amount,
  ADD CONSTRAINT balance_transactions_type_matches_amount CHECK (
    (type = 'opening' AND amount >= 0 AND transfer_id IS NULL)
    OR (type = 'credit' AND amount > 0 AND transfer_id IS NULL)
    OR (type = 'debit' AND amount < 0 AND transfer_id IS NULL)
    OR (type = 'transfer_in' AND amount > 0 AND transfer_id IS NOT NULL)
    OR (type = 'transfer_out' AND amount < 0 AND transfer_id IS NOT NULL)
  ),
  DROP COLUMN description,
  DROP COLUMN reference,
  DROP COLUMN hold_id;
ALTER TABLE transfers DROP COLUMN description, DROP COLUMN reference;
ALTER TABLE users DROP COLUMN held_until;
DROP TABLE holds;
