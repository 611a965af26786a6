-- A new user, whose opening balance is its first balance transaction (type `opening`).
DROP FUNCTION IF EXISTS ledger_create_user(bigint);
CREATE OR REPLACE FUNCTION ledger_create_user(
  p_balance bigint, p_actor text DEFAULT NULL, p_request_id text DEFAULT NULL,
  OUT user_id integer, OUT balance bigint, OUT version bigint, OUT transaction_id bigint
)
LANGUAGE plpgsql AS $$
DECLARE
  v_event_xid xid8;
BEGIN
  INSERT INTO users (balance, event_xid) VALUES (p_balance, pg_current_xact_id())
  RETURNING users.id, users.balance, users.version, users.event_xid
  INTO user_id, balance, version, v_event_xid;
  -- The new row is this transaction's until it commits: the time is taken under its lock.
  transaction_id := ledger_append(
    user_id, p_balance, p_balance, version, 'opening', clock_timestamp(), v_event_xid,
    p_actor => p_actor, p_request_id => p_request_id
  );
END
$$;
