-- The status of a hold at a moment: an active hold past its expiry is expired. Inlined.
CREATE OR REPLACE FUNCTION hold_status(p_status text, p_expires_at timestamptz, p_at timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_status = 'active' AND p_expires_at <= p_at THEN 'expired' ELSE p_status END
$$;
