-- A new user, whose opening balance is its first balance transaction (type `opening`).
DROP FUNCTION IF EXISTS ledger_create_user(bigint);
CREATE OR REPLACE FUNCTION ledger_create_user(
  p_balance bigint, p_actor text DEFAULT NULL, p_request_id text DEFAULT NULL,
  OUT user_id integer, OUT balance bigint, OUT version bigint, OUT transaction_id bigint
)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO users (balance) VALUES (p_balance)
  RETURNING users.id, users.balance, users.version INTO user_id, balance, version;
  -- The new row is this transaction's until it commits: the time is taken under its lock.
  transaction_id := ledger_append(
    user_id, p_balance, p_balance, version, 'opening', clock_timestamp(),
    p_actor => p_actor, p_request_id => p_request_id
  );
END
$$;
