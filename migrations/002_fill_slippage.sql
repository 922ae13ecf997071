-- Fill tolerance (issue 14): each fill's slippage against the host's own
-- reference price, as the soak gate reads it. ref_price is the price the
-- host decided at (an entry's or exit's bar close, a stop's or take
-- profit's level); slippage_bps is signed: positive is worse for gordon
-- (bought above, sold below the reference). Both NULL where the host had no
-- reference (fills recorded before this migration, positions taken up
-- after a restart).
ALTER TABLE trading.fills
    ADD COLUMN ref_price double precision CHECK (ref_price IS NULL OR ref_price > 0),
    ADD COLUMN slippage_bps double precision CHECK (slippage_bps IS NULL OR slippage_bps BETWEEN -1e6 AND 1e6),
    ADD CONSTRAINT fills_slippage_has_ref CHECK ((ref_price IS NULL) = (slippage_bps IS NULL));
