-- A user's balance and version right after its last balance transaction at or before p_at
-- (transaction_id: that entry; NULL with 0 and 0 before the user's opening entry). One row:
-- outcome found or user_not_found. One descent of balance_transactions_user_id_created_at_id,
-- whatever the size of the ledger; LANGUAGE sql so that the planner inlines it and EXPLAIN shows
-- that. An entry written before versions were recorded counts its version as its position in
-- the user's ledger (a count over those older entries alone).
CREATE OR REPLACE FUNCTION ledger_balance_at(p_user_id integer, p_at timestamptz)
RETURNS TABLE (outcome text, balance bigint, version bigint, transaction_id bigint)
LANGUAGE sql STABLE AS $$
  SELECT
    CASE WHEN u.id IS NULL THEN 'user_not_found' ELSE 'found' END,
    coalesce(e.balance_after, 0),
    coalesce(
      e.version,
      (SELECT count(*) FROM balance_transactions o WHERE o.user_id = p_user_id AND o.id <= e.id)
    ),
    e.id
  FROM (SELECT p_user_id AS id) p
  LEFT JOIN users u ON u.id = p.id
  LEFT JOIN LATERAL (
    SELECT bt.id, bt.balance_after, bt.version FROM balance_transactions bt
    WHERE u.id IS NOT NULL AND bt.user_id = p_user_id AND bt.created_at <= p_at
    ORDER BY bt.created_at DESC, bt.id DESC
    LIMIT 1
  ) e ON true
$$;
