-- A new user, whose opening balance is its first balance transaction (type `opening`).
CREATE OR REPLACE FUNCTION ledger_create_user(
  p_balance bigint,
  OUT user_id integer, OUT balance bigint, OUT version bigint, OUT transaction_id bigint
)
LANGUAGE plpgsql AS $$
DECLARE
  v_event_xid xid8;
BEGIN
  INSERT INTO users (balance, event_xid) VALUES (p_balance, pg_current_xact_id())
  RETURNING users.id, users.balance, users.version, users.event_xid
  INTO user_id, balance, version, v_event_xid;
  transaction_id := ledger_append(user_id, p_balance, p_balance, 'opening', v_event_xid);
END
$$;
