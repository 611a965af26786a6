-- Appends one balance transaction (a ledger entry) with the balance after it, and its event: the
-- only INSERT into balance_transactions. p_event_xid is the event's place in the feed: the
-- caller's UPDATE of the user's row sets it (users.event_xid) and returns it.
CREATE OR REPLACE FUNCTION ledger_append(
  p_user_id integer, p_amount bigint, p_balance_after bigint, p_type text, p_event_xid xid8,
  p_transfer_id bigint DEFAULT NULL, p_hold_id bigint DEFAULT NULL,
  p_reference text DEFAULT NULL, p_description text DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  INSERT INTO balance_transactions
    (user_id, amount, balance_after, type, transfer_id, hold_id, reference, description)
  VALUES
    (p_user_id, p_amount, p_balance_after, p_type, p_transfer_id, p_hold_id, p_reference,
     p_description)
  RETURNING balance_transactions.id INTO v_id;
  INSERT INTO events (xid, type, user_id, transaction_id)
  VALUES (p_event_xid, p_type, p_user_id, v_id);
  RETURN v_id;
END
$$;
