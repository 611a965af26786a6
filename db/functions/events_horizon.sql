-- The change feed's horizon, in the snapshot of the calling statement: every event with an xid
-- below it belongs to a transaction that has ended (so the snapshot sees all of them that will
-- ever exist), and every event still to come will have an xid at or above it. It is the oldest
-- transaction still running in the snapshot (pg_snapshot_xmin), except that a transaction
-- pg_stat_activity shows running in another database is passed over: it cannot write this
-- database's events, and a long one would hold the feed back for nothing. A transaction not
-- shown there (ended since the snapshot, prepared, or of a role whose sessions this one may not
-- see) is counted, which can only delay an event. With none left: the snapshot's xmax, the
-- next xid to be assigned.
CREATE OR REPLACE FUNCTION events_horizon()
RETURNS xid8
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    (
      SELECT min(running) FROM pg_snapshot_xip(pg_current_snapshot()) running
      WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_activity a
        WHERE a.backend_xid = xid(running) AND a.datname IS DISTINCT FROM current_database()
      )
    ),
    pg_snapshot_xmax(pg_current_snapshot())
  )
$$;
