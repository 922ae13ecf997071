-- The venue's commission on each order (issue 14): an order's reply has
-- none, so its fills are charged an estimate ([executor] fee_bps) when they
-- come; the user-data stream then says what the venue charged, and the
-- difference goes into the book. One row per order: what its fills were
-- charged, what the venue charged and in which asset, and what was applied
-- (charged - estimated, when the commission is in the account's asset;
-- 0 otherwise: gordon does not price other assets). The position's fees and
-- realised PnL include it.
CREATE TABLE trading.fee_corrections (
    source      text NOT NULL,
    id          bigint NOT NULL,                  -- the journal's sequence number
    at          timestamptz NOT NULL,
    client_id   text NOT NULL,
    intent_id   bigint NOT NULL,
    position_id bigint NOT NULL,
    strategy    text NOT NULL,
    symbol      text NOT NULL,
    asset       text NOT NULL CHECK (asset <> ''),
    estimated   double precision NOT NULL CHECK (estimated >= 0),
    charged     double precision NOT NULL CHECK (charged >= 0),
    applied     double precision NOT NULL,
    in_position boolean NOT NULL, -- the position's row had it when written (it was open); else added to it
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, client_id) REFERENCES trading.orders (source, client_id),
    FOREIGN KEY (source, intent_id) REFERENCES trading.intents (source, id),
    FOREIGN KEY (source, position_id) REFERENCES trading.positions (source, id),
    CHECK (applied = 0 OR abs(applied - (charged - estimated)) <= 1e-9 * greatest(1, charged))
);
CREATE INDEX fee_corrections_position ON trading.fee_corrections (source, position_id);
