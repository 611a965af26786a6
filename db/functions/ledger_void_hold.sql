-- Releases an active hold whole. outcome: applied, hold_not_found or hold_not_active.
CREATE OR REPLACE FUNCTION ledger_void_hold(
  p_hold_id bigint,
  OUT outcome text, OUT balance bigint, OUT held bigint, OUT status text, OUT hold holds
)
LANGUAGE plpgsql AS $$
DECLARE
  v_locked record;
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
  UPDATE holds h SET status = 'voided', settled_at = v_locked.decided_at
  WHERE h.id = p_hold_id
  RETURNING h.* INTO hold;
  UPDATE users u SET event_xid = greatest(u.event_xid, pg_current_xact_id())
  WHERE u.id = hold.user_id
  RETURNING u.event_xid INTO v_event_xid;
  INSERT INTO events (xid, type, user_id, hold_id)
  VALUES (v_event_xid, 'hold_voided', hold.user_id, p_hold_id);
  held := ledger_held(hold.user_id, v_locked.held_until, v_locked.decided_at);
  status := 'voided';
  outcome := 'applied';
END
$$;
