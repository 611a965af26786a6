-- What the user's active holds set aside at p_at (balance - held is `available`), given the
-- user's held_until; read under the user's row lock, which every change of a hold takes. p_at
-- is a parameter, so that it bounds the index range (clock_timestamp() in the query itself
-- would be a filter). Its plan is the same for every user and moment, so it is forced generic:
-- left to choose, the plan cache re-planned it on every call whenever the statistics made the
-- generic plan look dearer.
CREATE OR REPLACE FUNCTION ledger_held(p_user_id integer, p_held_until timestamptz, p_at timestamptz)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  IF p_held_until IS NULL OR p_held_until <= p_at THEN
    RETURN 0;
  END IF;
  RETURN (
    SELECT coalesce(sum(h.amount), 0) FROM holds h
    WHERE h.user_id = p_user_id AND h.status = 'active' AND h.expires_at > p_at
  );
END
$$;
