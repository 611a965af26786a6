-- Money moved between two users: both sides are ledger entries sharing the transfer's id.
CREATE TABLE transfers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  from_user_id integer NOT NULL REFERENCES users (id),
  to_user_id integer NOT NULL REFERENCES users (id),
  amount bigint NOT NULL CONSTRAINT transfers_amount_positive CHECK (amount > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT transfers_distinct_users CHECK (from_user_id <> to_user_id)
);

-- The append-only history of every balance: for each user, balance = sum(amount), and each
-- balance_after is the running sum in id order.
CREATE TABLE balance_transactions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id),
  amount bigint NOT NULL,
  balance_after bigint NOT NULL
    CONSTRAINT balance_transactions_balance_after_non_negative CHECK (balance_after >= 0),
  type text NOT NULL,
  transfer_id bigint REFERENCES transfers (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT balance_transactions_type_matches_amount CHECK (
    (type = 'opening' AND amount >= 0 AND transfer_id IS NULL)
    OR (type = 'credit' AND amount > 0 AND transfer_id IS NULL)
    OR (type = 'debit' AND amount < 0 AND transfer_id IS NULL)
    OR (type = 'transfer_in' AND amount > 0 AND transfer_id IS NOT NULL)
    OR (type = 'transfer_out' AND amount < 0 AND transfer_id IS NOT NULL)
  )
);

-- A user's history, newest first, by keyset on id.
CREATE INDEX balance_transactions_user_id_id ON balance_transactions (user_id, id DESC);

CREATE FUNCTION forbid_ledger_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'balance_transactions is append-only';
END
$$;

CREATE TRIGGER balance_transactions_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON balance_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_ledger_rewrite();

-- Explain every existing balance: an opening entry for each user (the seed's 10000 included).
INSERT INTO balance_transactions (user_id, amount, balance_after, type)
SELECT id, balance, balance, 'opening' FROM users ORDER BY id;
