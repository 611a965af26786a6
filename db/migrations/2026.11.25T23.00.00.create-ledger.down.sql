DROP TABLE balance_transactions;
DROP FUNCTION forbid_ledger_rewrite();
DROP TABLE transfers;
