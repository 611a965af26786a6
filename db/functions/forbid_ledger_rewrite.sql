-- The trigger function behind balance_transactions_append_only: the ledger is append-only.
CREATE OR REPLACE FUNCTION forbid_ledger_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'balance_transactions is append-only';
END
$$;
