-- The bounds of every change of a balance, written once: a debit (p_amount < 0, a hold's
-- amount included) may not take more than is available (balance - p_held), and no balance
-- may pass 2^53 - 1 (JSON numbers are exact up to there). NULL when the change is allowed.
-- Credits pass p_held = 0: they never read the holds.
CREATE OR REPLACE FUNCTION ledger_refusal(p_balance bigint, p_held bigint, p_amount bigint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN p_amount < 0 AND p_balance - p_held + p_amount < 0 THEN 'insufficient_funds'
    WHEN p_balance + p_amount > 9007199254740991 THEN 'balance_limit_exceeded'
  END
$$;
