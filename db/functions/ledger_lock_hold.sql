-- Locks a hold after its user (the lock order everywhere: users first, ledger_lock_users), as
-- ledger_capture_hold and ledger_void_hold both need. A hold's user never changes, so it is
-- read without a lock to know which user to lock.
-- outcome: NULL when the hold is active at decided_at, else hold_not_found or hold_not_active.
CREATE OR REPLACE FUNCTION ledger_lock_hold(
  p_hold_id bigint,
  OUT outcome text, OUT balance bigint, OUT held_until timestamptz, OUT status text,
  OUT hold holds, OUT decided_at timestamptz
)
LANGUAGE plpgsql AS $$
DECLARE
  v_user_id integer;
BEGIN
  SELECT h.user_id INTO v_user_id FROM holds h WHERE h.id = p_hold_id;
  IF NOT FOUND THEN
    outcome := 'hold_not_found';
    RETURN;
  END IF;
  SELECT locked.balance, locked.held_until INTO balance, held_until
  FROM ledger_lock_users(ARRAY[v_user_id]) locked;
  SELECT h.* INTO hold FROM holds h WHERE h.id = p_hold_id FOR UPDATE;
  decided_at := clock_timestamp();
  status := hold_status(hold.status, hold.expires_at, decided_at);
  IF status <> 'active' THEN
    outcome := 'hold_not_active';
  END IF;
END
$$;
