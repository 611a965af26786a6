-- Captures p_amount of an active hold (NULL: all of it): the balance is debited by that much,
-- in a `capture` balance transaction (with the capture's reference and description, else the
-- hold's), and the whole hold is released. Nothing else is checked against the balance: the
-- hold's amount was available when it was placed and has stayed set aside since, so taking
-- at most that much leaves available >= 0 (users_balance_non_negative stands behind it).
-- outcome: applied, hold_not_found, hold_not_active or capture_exceeds_hold.
DROP FUNCTION IF EXISTS ledger_capture_hold(bigint, bigint, text, text);
CREATE OR REPLACE FUNCTION ledger_capture_hold(
  p_hold_id bigint, p_amount bigint DEFAULT NULL,
  p_reference text DEFAULT NULL, p_description text DEFAULT NULL,
  p_actor text DEFAULT NULL, p_request_id text DEFAULT NULL,
  OUT outcome text, OUT balance bigint, OUT held bigint, OUT status text, OUT hold holds
)
LANGUAGE plpgsql AS $$
DECLARE
  v_locked record;
  v_amount bigint;
  v_transaction_id bigint;
  v_version bigint;
  v_event_xid xid8;
BEGIN
  SELECT * INTO v_locked FROM ledger_lock_hold(p_hold_id);
  outcome := v_locked.outcome;
  balance := v_locked.balance;
  status := v_locked.status;
  hold := v_locked.hold;
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;
  v_amount := coalesce(p_amount, hold.amount);
  IF v_amount > hold.amount THEN
    outcome := 'capture_exceeds_hold';
    RETURN;
  END IF;
  UPDATE users u
  SET balance = u.balance - v_amount, version = u.version + 1, updated_at = now(),
      event_xid = greatest(u.event_xid, pg_current_xact_id())
  WHERE u.id = hold.user_id
  RETURNING u.balance, u.version, u.event_xid INTO balance, v_version, v_event_xid;
  v_transaction_id := ledger_append(
    hold.user_id, -v_amount, balance, v_version, 'capture', v_locked.decided_at, v_event_xid,
    p_hold_id => p_hold_id,
    p_reference => coalesce(p_reference, hold.reference),
    p_description => coalesce(p_description, hold.description),
    p_actor => p_actor, p_request_id => p_request_id
  );
  UPDATE holds h
  SET status = 'captured', captured_amount = v_amount, transaction_id = v_transaction_id,
      settled_at = v_locked.decided_at
  WHERE h.id = p_hold_id
  RETURNING h.* INTO hold;
  INSERT INTO events (xid, type, user_id, hold_id)
  VALUES (v_event_xid, 'hold_captured', hold.user_id, p_hold_id);
  held := ledger_held(hold.user_id, v_locked.held_until, v_locked.decided_at);
  status := 'captured';
  outcome := 'applied';
END
$$;
