-- Moves p_amount (> 0) from one user to another, all or nothing: the transfer, both balances
-- and two balance transactions sharing the transfer's id (and its reference and description).
-- outcome: applied, user_not_found (missing_user_id says which), insufficient_funds (the
-- source: what it has available is from_balance - from_held) or balance_limit_exceeded (the
-- target); the balances are the locked ones when refused.
DROP FUNCTION IF EXISTS ledger_transfer(integer, integer, bigint, text, text);
CREATE OR REPLACE FUNCTION ledger_transfer(
  p_from_user_id integer, p_to_user_id integer, p_amount bigint,
  p_reference text DEFAULT NULL, p_description text DEFAULT NULL,
  p_actor text DEFAULT NULL, p_request_id text DEFAULT NULL,
  OUT outcome text, OUT missing_user_id integer, OUT from_balance bigint, OUT from_held bigint,
  OUT to_balance bigint, OUT transfer_id bigint, OUT created_at timestamptz
)
LANGUAGE plpgsql AS $$
DECLARE
  v_user record;
  v_from_held_until timestamptz;
  v_from_version bigint;
  v_to_version bigint;
  v_from_event_xid xid8;
  v_to_event_xid xid8;
BEGIN
  FOR v_user IN SELECT * FROM ledger_lock_users(ARRAY[p_from_user_id, p_to_user_id]) LOOP
    IF v_user.id = p_from_user_id THEN
      from_balance := v_user.balance;
      v_from_held_until := v_user.held_until;
    ELSE
      to_balance := v_user.balance;
    END IF;
  END LOOP;
  IF from_balance IS NULL OR to_balance IS NULL THEN
    outcome := 'user_not_found';
    missing_user_id := CASE WHEN from_balance IS NULL THEN p_from_user_id ELSE p_to_user_id END;
    RETURN;
  END IF;
  from_held := ledger_held(p_from_user_id, v_from_held_until, clock_timestamp());
  outcome := coalesce(
    ledger_refusal(from_balance, from_held, -p_amount), ledger_refusal(to_balance, 0, p_amount)
  );
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;
  created_at := date_trunc('milliseconds', clock_timestamp());
  INSERT INTO transfers
    (from_user_id, to_user_id, amount, reference, description, actor, request_id, created_at)
  VALUES
    (p_from_user_id, p_to_user_id, p_amount, p_reference, p_description, p_actor, p_request_id,
     created_at)
  RETURNING transfers.id INTO transfer_id;
  UPDATE users u
  SET balance = u.balance - p_amount, version = u.version + 1, updated_at = now(),
      event_xid = greatest(u.event_xid, pg_current_xact_id())
  WHERE u.id = p_from_user_id
  RETURNING u.balance, u.version, u.event_xid INTO from_balance, v_from_version, v_from_event_xid;
  UPDATE users u
  SET balance = u.balance + p_amount, version = u.version + 1, updated_at = now(),
      event_xid = greatest(u.event_xid, pg_current_xact_id())
  WHERE u.id = p_to_user_id
  RETURNING u.balance, u.version, u.event_xid INTO to_balance, v_to_version, v_to_event_xid;
  PERFORM ledger_append(
    p_from_user_id, -p_amount, from_balance, v_from_version, 'transfer_out', created_at,
    v_from_event_xid, transfer_id, p_reference => p_reference, p_description => p_description,
    p_actor => p_actor, p_request_id => p_request_id
  );
  PERFORM ledger_append(
    p_to_user_id, p_amount, to_balance, v_to_version, 'transfer_in', created_at, v_to_event_xid,
    transfer_id, p_reference => p_reference, p_description => p_description, p_actor => p_actor,
    p_request_id => p_request_id
  );
  outcome := 'applied';
END
$$;
