-- Reverses one balance transaction (a credit, a debit or a capture) with a `reversal` of the
-- opposite amount, under the user's row lock; a reversed capture's hold stays captured.
-- outcome: applied, transaction_not_found, not_reversible (original_type says what it is),
-- already_reversed (reversal_id: the reversal), insufficient_funds (balance and held as locked)
-- or balance_limit_exceeded.
--
-- Exactly once: every reversal of an entry takes its user's lock, so the second finds the
-- first's committed reversal; the unique index balance_transactions_reversal_of stands behind
-- that, and its violation is the same outcome.
CREATE OR REPLACE FUNCTION ledger_reverse_transaction(
  p_transaction_id bigint, p_reference text DEFAULT NULL, p_description text DEFAULT NULL,
  p_actor text DEFAULT NULL, p_request_id text DEFAULT NULL,
  OUT outcome text, OUT user_id integer, OUT amount bigint, OUT balance bigint,
  OUT held bigint, OUT version bigint, OUT transaction_id bigint, OUT reversal_id bigint,
  OUT original_type text, OUT created_at timestamptz
)
LANGUAGE plpgsql AS $$
DECLARE
  v_held_until timestamptz;
  v_event_xid xid8;
BEGIN
  -- An entry never changes, so it is read without a lock to know which user to lock.
  SELECT bt.user_id, -bt.amount, bt.type INTO user_id, amount, original_type
  FROM balance_transactions bt WHERE bt.id = p_transaction_id;
  IF NOT FOUND THEN
    outcome := 'transaction_not_found';
    RETURN;
  END IF;
  IF original_type NOT IN ('credit', 'debit', 'capture') THEN
    outcome := 'not_reversible';
    RETURN;
  END IF;
  SELECT locked.balance, locked.held_until INTO balance, v_held_until
  FROM ledger_lock_users(ARRAY[user_id]) locked;
  SELECT bt.id INTO reversal_id FROM balance_transactions bt
  WHERE bt.reversal_of = p_transaction_id;
  IF FOUND THEN
    outcome := 'already_reversed';
    RETURN;
  END IF;
  created_at := date_trunc('milliseconds', clock_timestamp());
  IF amount < 0 THEN
    held := ledger_held(user_id, v_held_until, created_at);
  END IF;
  outcome := ledger_refusal(balance, coalesce(held, 0), amount);
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;
  BEGIN
    UPDATE users u
    SET balance = u.balance + amount, version = u.version + 1, updated_at = now(),
        event_xid = greatest(u.event_xid, pg_current_xact_id())
    WHERE u.id = user_id
    RETURNING u.balance, u.version, u.event_xid INTO balance, version, v_event_xid;
    transaction_id := ledger_append(
      user_id, amount, balance, version, 'reversal', created_at, v_event_xid,
      p_reversal_of => p_transaction_id, p_reference => p_reference,
      p_description => p_description, p_actor => p_actor, p_request_id => p_request_id
    );
  EXCEPTION WHEN unique_violation THEN
    SELECT bt.id INTO reversal_id FROM balance_transactions bt
    WHERE bt.reversal_of = p_transaction_id;
    outcome := 'already_reversed';
    RETURN;
  END;
  outcome := 'applied';
END
$$;
