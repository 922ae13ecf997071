-- The venue a soak ran against, and whether it counts for a promotion:
-- only a soak against a real Binance endpoint does (issue 16).
ALTER TABLE trading.soak_runs
    ADD COLUMN venue      text    NOT NULL DEFAULT '',
    ADD COLUMN real_venue boolean NOT NULL DEFAULT false;
