-- Every lock on users is taken here: in ascending id order, so that operations on several users
-- wait for each other in one order and never deadlock. Any other row an operation locks (a hold)
-- is locked after its users.
CREATE OR REPLACE FUNCTION ledger_lock_users(p_user_ids integer[])
RETURNS TABLE (id integer, balance bigint, held_until timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT u.id, u.balance, u.held_until FROM users u
  WHERE u.id = ANY (p_user_ids) ORDER BY u.id FOR UPDATE;
END
$$;
