-- A new user, whose opening balance is its first balance transaction (type `opening`).
CREATE OR REPLACE FUNCTION ledger_create_user(
  p_balance bigint,
  OUT user_id integer, OUT balance bigint, OUT version bigint, OUT transaction_id bigint
)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO users (balance) VALUES (p_balance)
  RETURNING users.id, users.balance, users.version INTO user_id, balance, version;
  transaction_id := ledger_append(user_id, p_balance, p_balance, 'opening');
END
$$;
