-- Appends one balance transaction (a ledger entry) with the balance and the user's version after
-- it, and its event: the only INSERT into balance_transactions. p_created_at is taken by the
-- caller under the user's row lock (clock_timestamp() once ledger_lock_users returned), never
-- now(), the start of the transaction: a transaction that waited for the lock would otherwise
-- record a time before the entries appended while it waited, and a balance as of a time would
-- answer a state that never existed. It is stored to the millisecond, as JSON carries it, so
-- that a time read back from the API names its entry exactly. p_event_xid is the event's place
-- in the feed: the caller's UPDATE of the user's row sets it (users.event_xid) and returns it.
DROP FUNCTION IF EXISTS ledger_append(integer, bigint, bigint, text, bigint, bigint, text, text);
CREATE OR REPLACE FUNCTION ledger_append(
  p_user_id integer, p_amount bigint, p_balance_after bigint, p_version bigint, p_type text,
  p_created_at timestamptz, p_event_xid xid8,
  p_transfer_id bigint DEFAULT NULL, p_hold_id bigint DEFAULT NULL,
  p_reversal_of bigint DEFAULT NULL,
  p_reference text DEFAULT NULL, p_description text DEFAULT NULL,
  p_actor text DEFAULT NULL, p_request_id text DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  INSERT INTO balance_transactions
    (user_id, amount, balance_after, version, type, created_at, transfer_id, hold_id,
     reversal_of, reference, description, actor, request_id)
  VALUES
    (p_user_id, p_amount, p_balance_after, p_version, p_type,
     date_trunc('milliseconds', p_created_at), p_transfer_id,
     p_hold_id, p_reversal_of, p_reference, p_description, p_actor, p_request_id)
  RETURNING balance_transactions.id INTO v_id;
  INSERT INTO events (xid, type, user_id, transaction_id)
  VALUES (p_event_xid, p_type, p_user_id, v_id);
  RETURN v_id;
END
$$;
