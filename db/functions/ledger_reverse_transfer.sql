-- Reverses a transfer as a whole: a transfer of the same amount in the other direction, with
-- reversal_of = the original, whose two sides reverse the original's two sides; all or nothing,
-- under both users' row locks (ledger_lock_users, ascending). The money comes back from what the
-- original's target has available.
-- outcome: applied, transfer_not_found, not_reversible (the transfer is itself a reversal),
-- already_reversed (reversal_id), insufficient_funds (of the original's target: its balance
-- and held as locked) or balance_limit_exceeded (the original's source).
--
-- Exactly once: both users' locks serialize the reversals of one transfer, so the second finds
-- the first's committed reversal; the unique index transfers_reversal_of stands behind that,
-- and its violation is the same outcome.
CREATE OR REPLACE FUNCTION ledger_reverse_transfer(
  p_transfer_id bigint, p_reference text DEFAULT NULL, p_description text DEFAULT NULL,
  p_actor text DEFAULT NULL, p_request_id text DEFAULT NULL,
  OUT outcome text, OUT from_user_id integer, OUT to_user_id integer, OUT amount bigint,
  OUT from_balance bigint, OUT from_held bigint, OUT to_balance bigint,
  OUT transfer_id bigint, OUT reversal_id bigint, OUT created_at timestamptz
)
LANGUAGE plpgsql AS $$
DECLARE
  v_original_reversal_of bigint;
  v_user record;
  v_from_held_until timestamptz;
  v_from_version bigint;
  v_to_version bigint;
  v_from_event_xid xid8;
  v_to_event_xid xid8;
  v_out_entry bigint;
  v_in_entry bigint;
BEGIN
  -- A transfer never changes, so it is read without a lock to know which users to lock. The
  -- reversal goes the other way: from the original's target to its source.
  SELECT t.to_user_id, t.from_user_id, t.amount, t.reversal_of
  INTO from_user_id, to_user_id, amount, v_original_reversal_of
  FROM transfers t WHERE t.id = p_transfer_id;
  IF NOT FOUND THEN
    outcome := 'transfer_not_found';
    RETURN;
  END IF;
  IF v_original_reversal_of IS NOT NULL THEN
    outcome := 'not_reversible';
    RETURN;
  END IF;
  FOR v_user IN SELECT * FROM ledger_lock_users(ARRAY[from_user_id, to_user_id]) LOOP
    IF v_user.id = from_user_id THEN
      from_balance := v_user.balance;
      v_from_held_until := v_user.held_until;
    ELSE
      to_balance := v_user.balance;
    END IF;
  END LOOP;
  SELECT t.id INTO reversal_id FROM transfers t WHERE t.reversal_of = p_transfer_id;
  IF FOUND THEN
    outcome := 'already_reversed';
    RETURN;
  END IF;
  created_at := date_trunc('milliseconds', clock_timestamp());
  from_held := ledger_held(from_user_id, v_from_held_until, created_at);
  outcome := coalesce(
    ledger_refusal(from_balance, from_held, -amount), ledger_refusal(to_balance, 0, amount)
  );
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;
  -- The original's sides: its transfer_in (of the reversal's source) and transfer_out.
  SELECT
    max(bt.id) FILTER (WHERE bt.type = 'transfer_in'),
    max(bt.id) FILTER (WHERE bt.type = 'transfer_out')
  INTO v_in_entry, v_out_entry
  FROM balance_transactions bt WHERE bt.transfer_id = p_transfer_id;
  BEGIN
    INSERT INTO transfers
      (from_user_id, to_user_id, amount, reference, description, reversal_of, actor,
       request_id, created_at)
    VALUES
      (from_user_id, to_user_id, amount, p_reference, p_description, p_transfer_id, p_actor,
       p_request_id, created_at)
    RETURNING transfers.id INTO transfer_id;
  EXCEPTION WHEN unique_violation THEN
    SELECT t.id INTO reversal_id FROM transfers t WHERE t.reversal_of = p_transfer_id;
    outcome := 'already_reversed';
    RETURN;
  END;
  UPDATE users u
  SET balance = u.balance - amount, version = u.version + 1, updated_at = now(),
      event_xid = greatest(u.event_xid, pg_current_xact_id())
  WHERE u.id = from_user_id
  RETURNING u.balance, u.version, u.event_xid INTO from_balance, v_from_version, v_from_event_xid;
  UPDATE users u
  SET balance = u.balance + amount, version = u.version + 1, updated_at = now(),
      event_xid = greatest(u.event_xid, pg_current_xact_id())
  WHERE u.id = to_user_id
  RETURNING u.balance, u.version, u.event_xid INTO to_balance, v_to_version, v_to_event_xid;
  PERFORM ledger_append(
    from_user_id, -amount, from_balance, v_from_version, 'transfer_out', created_at,
    v_from_event_xid, transfer_id, p_reversal_of => v_in_entry, p_reference => p_reference,
    p_description => p_description, p_actor => p_actor, p_request_id => p_request_id
  );
  PERFORM ledger_append(
    to_user_id, amount, to_balance, v_to_version, 'transfer_in', created_at, v_to_event_xid,
    transfer_id,
    p_reversal_of => v_out_entry, p_reference => p_reference, p_description => p_description,
    p_actor => p_actor, p_request_id => p_request_id
  );
  outcome := 'applied';
END
$$;
