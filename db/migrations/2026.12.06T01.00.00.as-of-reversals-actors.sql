-- Balance as of a time, reversals, and who did what. Nothing here rewrites a ledger row: every
-- column is added without a default (NULL on the rows written before it), and the type
-- constraint is replaced by a wider one that every existing row meets. (The migration is one
-- transaction, so NOT VALID + VALIDATE would hold the same lock just as long.)

-- version: the user's version right after the entry (pgledger's account_version), so that a
-- balance as of a time is one entry read. reversal_of: the entry this one reverses (a
-- `reversal`, or a side of a transfer that reverses a transfer). actor: the name of the API key
-- that made it; request_id: the request's X-Request-Id.
ALTER TABLE balance_transactions
  ADD COLUMN version bigint,
  ADD COLUMN reversal_of bigint REFERENCES balance_transactions (id),
  ADD COLUMN actor text
    CONSTRAINT balance_transactions_actor_length CHECK (char_length(actor) BETWEEN 1 AND 64),
  ADD COLUMN request_id text
    CONSTRAINT balance_transactions_request_id_length CHECK (char_length(request_id) BETWEEN 1 AND 128),
  DROP CONSTRAINT balance_transactions_type_matches_amount,
  ADD CONSTRAINT balance_transactions_type_matches_amount CHECK (
    (type = 'opening' AND amount >= 0 AND transfer_id IS NULL AND hold_id IS NULL
      AND reversal_of IS NULL)
    OR (type = 'credit' AND amount > 0 AND transfer_id IS NULL AND hold_id IS NULL
      AND reversal_of IS NULL)
    OR (type = 'debit' AND amount < 0 AND transfer_id IS NULL AND hold_id IS NULL
      AND reversal_of IS NULL)
    OR (type = 'transfer_in' AND amount > 0 AND transfer_id IS NOT NULL AND hold_id IS NULL)
    OR (type = 'transfer_out' AND amount < 0 AND transfer_id IS NOT NULL AND hold_id IS NULL)
    OR (type = 'capture' AND amount < 0 AND transfer_id IS NULL AND hold_id IS NOT NULL
      AND reversal_of IS NULL)
    OR (type = 'reversal' AND amount <> 0 AND transfer_id IS NULL AND hold_id IS NULL
      AND reversal_of IS NOT NULL)
  );

-- An entry is reversed at most once: the constraint behind the check made under the user's lock.
CREATE UNIQUE INDEX balance_transactions_reversal_of ON balance_transactions (reversal_of)
  WHERE reversal_of IS NOT NULL;

-- GET /users/:id/balance?at=: the user's last entry at or before a moment, one index range.
-- created_at never goes backwards within a user in id order from here on (ledger_append takes
-- it under the user's row lock), so this order is the ledger's.
CREATE INDEX balance_transactions_user_id_created_at_id
  ON balance_transactions (user_id, created_at DESC, id DESC);

-- GET /users/:id/transactions?actor=
CREATE INDEX balance_transactions_user_id_actor_id
  ON balance_transactions (user_id, actor, id DESC) WHERE actor IS NOT NULL;

-- The two sides of a transfer, which its reversal reverses.
CREATE INDEX balance_transactions_transfer_id ON balance_transactions (transfer_id)
  WHERE transfer_id IS NOT NULL;

ALTER TABLE transfers
  ADD COLUMN reversal_of bigint REFERENCES transfers (id),
  ADD COLUMN actor text
    CONSTRAINT transfers_actor_length CHECK (char_length(actor) BETWEEN 1 AND 64),
  ADD COLUMN request_id text
    CONSTRAINT transfers_request_id_length CHECK (char_length(request_id) BETWEEN 1 AND 128);

-- A transfer is reversed at most once.
CREATE UNIQUE INDEX transfers_reversal_of ON transfers (reversal_of) WHERE reversal_of IS NOT NULL;

ALTER TABLE holds
  ADD COLUMN actor text CONSTRAINT holds_actor_length CHECK (char_length(actor) BETWEEN 1 AND 64),
  ADD COLUMN request_id text
    CONSTRAINT holds_request_id_length CHECK (char_length(request_id) BETWEEN 1 AND 128);
