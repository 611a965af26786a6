-- The change feed (GET /events): one row per balance transaction and per hold placed, captured
-- or voided, written by the ledger functions in the transaction of the change. Rows are small;
-- what an event says (amount, balance after, reference, ...) is read from the rows it links.
-- No foreign keys: the functions write the event next to the row it names, in the same
-- transaction, and a key check on every append would cost the hot path a lookup and a lock.
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The feed's order is (xid, id), and it serves only rows with xid below the snapshot's xmin.
  -- xid is the writing transaction's id, or its user's previous event's xid when that is
  -- greater (users.event_xid), so that a user's events never sort before its earlier ones.
  xid xid8 NOT NULL,
  type text NOT NULL,
  user_id integer NOT NULL,
  transaction_id bigint,
  hold_id bigint,
  CONSTRAINT events_links_one_row CHECK (
    (type LIKE 'hold\_%' AND hold_id IS NOT NULL AND transaction_id IS NULL)
    OR (type NOT LIKE 'hold\_%' AND transaction_id IS NOT NULL AND hold_id IS NULL)
  )
);

CREATE INDEX events_xid_id ON events (xid, id);

-- The xid of the user's last event: the floor of the next one's. Set under the user's row lock.
ALTER TABLE users ADD COLUMN event_xid xid8;

-- What happened before the feed existed, as events of this migration's transaction, in the
-- order it happened: ledger entries by id, hold changes by their time.
INSERT INTO events (xid, type, user_id, transaction_id, hold_id)
SELECT pg_current_xact_id(), type, user_id, transaction_id, hold_id
FROM (
  SELECT b.type, b.user_id, b.id AS transaction_id, NULL::bigint AS hold_id,
         b.created_at AS at, b.id AS ledger_order
  FROM balance_transactions b
  UNION ALL
  SELECT 'hold_placed', h.user_id, NULL, h.id, h.created_at, NULL
  FROM holds h
  UNION ALL
  SELECT 'hold_' || h.status, h.user_id, NULL, h.id, h.settled_at, NULL
  FROM holds h WHERE h.status IN ('captured', 'voided')
) history
ORDER BY at, ledger_order NULLS LAST;

-- ledger_append takes the event's xid (db/functions/ledger_append.sql).
DROP FUNCTION IF EXISTS ledger_append(integer, bigint, bigint, text, bigint, bigint, text, text);
