-- The operations on holds (ledger_place_hold, ledger_capture_hold, ledger_void_hold) return the
-- same shape: outcome, the user's balance and what its holds set aside afterwards (`available` =
-- balance - held), the hold's status at the moment the operation was decided, and the hold's row.
-- Expiry is judged by clock_timestamp() once the locks are held: every operation on a user's
-- holds and balance is serialized by the user's lock, so they judge it in the order they happen.
--
-- Sets p_amount aside for p_expires_in_seconds, if that much is available.
-- outcome: applied, user_not_found or insufficient_funds (balance and held as locked).
DROP FUNCTION IF EXISTS ledger_place_hold(integer, bigint, integer, text, text);
CREATE OR REPLACE FUNCTION ledger_place_hold(
  p_user_id integer, p_amount bigint, p_expires_in_seconds integer,
  p_reference text DEFAULT NULL, p_description text DEFAULT NULL,
  p_actor text DEFAULT NULL, p_request_id text DEFAULT NULL,
  OUT outcome text, OUT balance bigint, OUT held bigint, OUT status text, OUT hold holds
)
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz;
  v_held_until timestamptz;
  v_event_xid xid8;
BEGIN
  SELECT locked.balance, locked.held_until INTO balance, v_held_until
  FROM ledger_lock_users(ARRAY[p_user_id]) locked;
  IF NOT FOUND THEN
    outcome := 'user_not_found';
    RETURN;
  END IF;
  v_now := clock_timestamp();
  held := ledger_held(p_user_id, v_held_until, v_now);
  outcome := ledger_refusal(balance, held, -p_amount);
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;
  INSERT INTO holds AS h
    (user_id, amount, expires_at, reference, description, actor, request_id, created_at)
  VALUES (
    p_user_id, p_amount, v_now + make_interval(secs => p_expires_in_seconds), p_reference,
    p_description, p_actor, p_request_id, v_now
  )
  RETURNING h.* INTO hold;
  UPDATE users u
  SET held_until = greatest(u.held_until, hold.expires_at),
      event_xid = greatest(u.event_xid, pg_current_xact_id())
  WHERE u.id = p_user_id
  RETURNING u.event_xid INTO v_event_xid;
  INSERT INTO events (xid, type, user_id, hold_id)
  VALUES (v_event_xid, 'hold_placed', p_user_id, hold.id);
  held := held + p_amount;
  status := 'active';
  outcome := 'applied';
END
$$;
