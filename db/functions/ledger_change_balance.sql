-- Credits (p_amount > 0) or debits (p_amount < 0) one user; a debit is checked against what is
-- available. outcome: applied, user_not_found, insufficient_funds or balance_limit_exceeded;
-- `balance` is the balance after the change, or the balance read when refused; `held` what the
-- holds set aside (NULL for a credit, which does not read them).
--
-- A debit that the user's committed balance cannot cover is refused before it queues for the
-- row lock. The read sees a committed state, so the debit is refused as of that moment, which
-- lies within the request: as exact as a refusal under the lock, which is one as of the moment
-- the lock is granted. A debit that the read can cover still takes the lock and is checked
-- again under it (changes that committed since may refuse it). The refusal takes no lock, so it
-- writes no WAL, its commit waits for no flush, and it does not queue behind a hot user's lock
-- holders.
DROP FUNCTION IF EXISTS ledger_change_balance(integer, bigint, text, text);
CREATE OR REPLACE FUNCTION ledger_change_balance(
  p_user_id integer, p_amount bigint, p_reference text DEFAULT NULL,
  p_description text DEFAULT NULL, p_actor text DEFAULT NULL, p_request_id text DEFAULT NULL,
  OUT outcome text, OUT balance bigint, OUT held bigint, OUT version bigint,
  OUT transaction_id bigint
)
LANGUAGE plpgsql AS $$
DECLARE
  v_held_until timestamptz;
  v_event_xid xid8;
BEGIN
  IF p_amount < 0 THEN
    SELECT u.balance, u.held_until INTO balance, v_held_until FROM users u WHERE u.id = p_user_id;
    IF FOUND THEN
      held := ledger_held(p_user_id, v_held_until, clock_timestamp());
      IF ledger_refusal(balance, held, p_amount) = 'insufficient_funds' THEN
        outcome := 'insufficient_funds';
        RETURN;
      END IF;
    END IF;
  END IF;
  SELECT locked.balance, locked.held_until INTO balance, v_held_until
  FROM ledger_lock_users(ARRAY[p_user_id]) locked;
  IF NOT FOUND THEN
    outcome := 'user_not_found';
    RETURN;
  END IF;
  IF p_amount < 0 THEN
    held := ledger_held(p_user_id, v_held_until, clock_timestamp());
  END IF;
  outcome := ledger_refusal(balance, coalesce(held, 0), p_amount);
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;
  UPDATE users u
  SET balance = u.balance + p_amount, version = u.version + 1, updated_at = now(),
      event_xid = greatest(u.event_xid, pg_current_xact_id())
  WHERE u.id = p_user_id
  RETURNING u.balance, u.version, u.event_xid INTO balance, version, v_event_xid;
  transaction_id := ledger_append(
    p_user_id, p_amount, balance, version, CASE WHEN p_amount > 0 THEN 'credit' ELSE 'debit' END,
    clock_timestamp(), v_event_xid,
    p_reference => p_reference, p_description => p_description, p_actor => p_actor,
    p_request_id => p_request_id
  );
  outcome := 'applied';
END
$$;
