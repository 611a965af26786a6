-- From here on every function is kept whole in db/functions and re-applied from there when its
-- text changes; dated migrations change tables. The one function whose name changes goes here.
DROP FUNCTION ledger_open_account(bigint);
