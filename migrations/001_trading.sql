-- The trading record. The host writes positions, orders, order events, fills,
-- intents, equity points, risk events and the halt latch from its journal
-- (host/db), each row keyed by an id the journal fixed before the write, so a
-- replay after an outage or a crash inserts nothing twice. Ids are unique
-- within a source: the journal that wrote them (a random id made with it,
-- <state_dir>/db_source), so two daemons, or a state_dir made anew, never
-- collide in one database. Constraints make
-- the states the risk rules forbid unrepresentable, whatever writes here.
-- Times are timestamptz (UTC) next to the host's own milliseconds.

-- Every signal a strategy emitted and what the host decided.
CREATE TABLE trading.intents (
    source        text NOT NULL CHECK (source ~ '^[0-9a-f]{16}$'),
    id            bigint NOT NULL CHECK (id > 0),
    at            timestamptz NOT NULL,
    strategy      text NOT NULL CHECK (strategy <> ''),
    symbol        text NOT NULL,
    action        text NOT NULL CHECK (action IN ('entry', 'exit', 'unknown')),
    side          smallint NOT NULL CHECK (side IN (-1, 0, 1)),
    result        text NOT NULL CHECK (result <> ''),
    ref_price     double precision,          -- the host's price: what sizing and caps used
    entry_claim   double precision,          -- what the plugin said
    stop          double precision,
    orig_stop     double precision,
    take_profit   double precision,
    risk_scale    double precision,
    qty           double precision NOT NULL DEFAULT 0 CHECK (qty >= 0),
    notional      double precision NOT NULL DEFAULT 0 CHECK (notional >= 0),
    capped_by     text,
    tag           text NOT NULL DEFAULT '',
    detail        text NOT NULL DEFAULT '',
    stop_required boolean NOT NULL,
    journal_seq   bigint NOT NULL,
    PRIMARY KEY (source, id),
    UNIQUE (source, journal_seq),
    -- only an accepted intent carries a quantity
    CHECK (result = 'accepted' OR qty = 0),
    -- an accepted entry is sized, has a side, and a stop on the right side of
    -- the host's price whenever stops are required
    -- (COALESCE: a CHECK on NULL passes, and a missing stop must not)
    CHECK (result <> 'accepted' OR action <> 'entry' OR
           (qty > 0 AND side IN (-1, 1) AND COALESCE(ref_price, 0) > 0 AND
            (NOT stop_required OR
             (COALESCE(stop, 0) > 0 AND
              ((side = 1 AND stop < ref_price) OR (side = -1 AND stop > ref_price))))))
);
CREATE INDEX intents_at ON trading.intents (at);
CREATE INDEX intents_strategy_at ON trading.intents (strategy, at);

-- Orders as the host sent them; client_id is the venue's clientOrderId.
CREATE TABLE trading.orders (
    source      text NOT NULL,
    client_id   text NOT NULL CHECK (client_id ~ '^[.A-Z:/a-z0-9_-]{1,36}$'),
    intent_id   bigint NOT NULL,
    venue_id    text,
    kind        text NOT NULL CHECK (kind IN ('entry', 'stop', 'take_profit', 'exit', 'flatten')),
    strategy    text NOT NULL,
    symbol      text NOT NULL,
    side        smallint NOT NULL CHECK (side IN (-1, 1)),   -- +1 buys, -1 sells
    qty         double precision CHECK (qty IS NULL OR qty > 0), -- NULL: the whole position
    price       double precision CHECK (price IS NULL OR price > 0), -- trigger of a stop or take profit
    reduce_only boolean NOT NULL,
    status      text NOT NULL CHECK (status IN ('new', 'working', 'filled', 'canceled', 'rejected',
                                                'expired', 'unknown')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    last_seq    bigint NOT NULL,
    PRIMARY KEY (source, client_id),
    FOREIGN KEY (source, intent_id) REFERENCES trading.intents (source, id),
    CHECK ((kind = 'entry') = (NOT reduce_only)),
    CHECK (kind <> 'entry' OR qty IS NOT NULL),
    CHECK (kind NOT IN ('stop', 'take_profit') OR price IS NOT NULL)
);
CREATE INDEX orders_intent ON trading.orders (source, intent_id);
CREATE UNIQUE INDEX orders_venue_id ON trading.orders (symbol, venue_id) WHERE venue_id IS NOT NULL;

-- Every status an order went through, in order.
CREATE TABLE trading.order_events (
    source    text NOT NULL,
    id        bigint NOT NULL,
    client_id text NOT NULL,
    status    text NOT NULL CHECK (status IN ('new', 'working', 'filled', 'canceled', 'rejected',
                                              'expired', 'unknown')),
    at        timestamptz NOT NULL,
    detail    text NOT NULL DEFAULT '',
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, client_id) REFERENCES trading.orders (source, client_id)
);
CREATE INDEX order_events_order ON trading.order_events (source, client_id, id);

-- One row per position the host opened; id is the entry intent's id.
CREATE TABLE trading.positions (
    source        text NOT NULL,
    id            bigint NOT NULL,
    strategy      text NOT NULL,
    symbol        text NOT NULL,
    side          smallint NOT NULL CHECK (side IN (-1, 1)),
    qty           double precision NOT NULL CHECK (qty > 0),       -- as opened
    open_qty      double precision NOT NULL CHECK (open_qty >= 0 AND open_qty <= qty),
    entry         double precision NOT NULL CHECK (entry > 0),
    stop          double precision CHECK (stop IS NULL OR stop > 0),
    take_profit   double precision CHECK (take_profit IS NULL OR take_profit > 0),
    stop_required boolean NOT NULL,
    -- abandoned: a simulated run ended (or was killed) with it open, and a new
    -- run started without it; no exit was ever filled
    status        text NOT NULL CHECK (status IN ('open', 'closed', 'abandoned')),
    opened_at     timestamptz NOT NULL,
    closed_at     timestamptz,
    exit_price    double precision CHECK (exit_price IS NULL OR exit_price > 0),
    realized_pnl  double precision NOT NULL DEFAULT 0,
    fees          double precision NOT NULL DEFAULT 0 CHECK (fees >= 0),
    updated_at    timestamptz NOT NULL,
    last_seq      bigint NOT NULL,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, id) REFERENCES trading.intents (source, id),
    CHECK (NOT stop_required OR stop IS NOT NULL),
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK (status <> 'closed' OR (open_qty = 0 AND exit_price IS NOT NULL AND closed_at >= opened_at)),
    CHECK (status <> 'open' OR open_qty > 0)
);
-- one open position per strategy and symbol (of one source)
CREATE UNIQUE INDEX positions_open ON trading.positions (source, strategy, symbol) WHERE status = 'open';

CREATE TABLE trading.fills (
    source       text NOT NULL,
    id           bigint NOT NULL,                    -- the journal's sequence number
    client_id    text NOT NULL,
    intent_id    bigint NOT NULL,
    position_id  bigint NOT NULL,
    venue_trade_id text,
    strategy     text NOT NULL,
    symbol       text NOT NULL,
    side         smallint NOT NULL CHECK (side IN (-1, 1)),
    reason       text NOT NULL CHECK (reason IN ('entry', 'exit', 'stop', 'take_profit', 'flatten')),
    qty          double precision NOT NULL CHECK (qty > 0),
    price        double precision NOT NULL CHECK (price > 0),
    fee          double precision NOT NULL CHECK (fee >= 0),
    realized_pnl double precision NOT NULL,
    at           timestamptz NOT NULL,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, client_id) REFERENCES trading.orders (source, client_id),
    FOREIGN KEY (source, intent_id) REFERENCES trading.intents (source, id),
    FOREIGN KEY (source, position_id) REFERENCES trading.positions (source, id)
);
CREATE INDEX fills_at ON trading.fills (at);
CREATE INDEX fills_position ON trading.fills (source, position_id);
CREATE UNIQUE INDEX fills_venue_trade ON trading.fills (symbol, venue_trade_id) WHERE venue_trade_id IS NOT NULL;

-- Account equity on every fill and on a timer.
CREATE TABLE trading.equity_points (
    source         text NOT NULL,
    id             bigint NOT NULL,
    at             timestamptz NOT NULL,
    cause          text NOT NULL CHECK (cause IN ('fill', 'timer', 'start', 'stop')),
    equity         double precision NOT NULL,
    cash           double precision NOT NULL,
    unrealized     double precision NOT NULL,
    gross          double precision NOT NULL CHECK (gross >= 0),
    open_positions integer NOT NULL CHECK (open_positions >= 0),
    drawdown_pct   double precision NOT NULL CHECK (drawdown_pct >= 0),
    PRIMARY KEY (source, id)
);
CREATE INDEX equity_points_at ON trading.equity_points (at);

-- Breaker trips, halts, resumes, flattens, quarantines: who and why.
CREATE TABLE trading.risk_events (
    source   text NOT NULL,
    id       bigint NOT NULL,
    at       timestamptz NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('trip', 'halt', 'resume', 'resume_forced', 'resume_refused',
                                           'flatten', 'quarantine', 'release', 'db_breaker',
                                           'db_breaker_clear', 'latch_restored')),
    who      text NOT NULL CHECK (who <> ''),  -- "operator:<token hash>", "breaker:<name>", "host"
    reason   text NOT NULL DEFAULT '',
    detail   jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (source, id)
);
CREATE INDEX risk_events_at ON trading.risk_events (at);

-- The halt latch: one row. The host also keeps it in its state file and
-- starts from the stricter of the two.
CREATE TABLE trading.halt_latch (
    id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    halted     boolean NOT NULL,
    reason     text NOT NULL DEFAULT '',
    who        text NOT NULL DEFAULT '',
    since      timestamptz,
    updated_at timestamptz NOT NULL,
    source     text NOT NULL,              -- the journal that wrote it last
    last_seq   bigint NOT NULL,
    CHECK (NOT halted OR (reason <> '' AND who <> '' AND since IS NOT NULL))
);

-- Walk-forward results on record (gordon ablate --record).
CREATE TABLE trading.ablation_runs (
    id            bigserial PRIMARY KEY,
    run_id        text NOT NULL UNIQUE,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    host_version  text NOT NULL,
    config_sha256 text NOT NULL CHECK (config_sha256 ~ '^[0-9a-f]{64}$'),
    config        jsonb NOT NULL,
    plugins       jsonb NOT NULL CHECK (jsonb_typeof(plugins) = 'object'), -- name -> sha256
    symbols       text[] NOT NULL CHECK (cardinality(symbols) > 0),
    data_from     timestamptz NOT NULL,
    data_to       timestamptz NOT NULL,
    data_sha256   text NOT NULL CHECK (data_sha256 ~ '^[0-9a-f]{64}$'),
    windows       integer NOT NULL CHECK (windows > 0),
    metrics       jsonb NOT NULL,
    report_path   text,
    CHECK (data_to > data_from)
);

-- Testnet and production soaks, for the pre-live gates.
CREATE TABLE trading.soak_runs (
    id            bigserial PRIMARY KEY,
    mode          text NOT NULL CHECK (mode IN ('testnet', 'production')),
    started_at    timestamptz NOT NULL,
    ended_at      timestamptz,
    status        text NOT NULL CHECK (status IN ('running', 'passed', 'failed', 'aborted')),
    config_sha256 text NOT NULL CHECK (config_sha256 ~ '^[0-9a-f]{64}$'),
    plugins       jsonb NOT NULL,
    metrics       jsonb NOT NULL DEFAULT '{}'::jsonb,
    notes         text NOT NULL DEFAULT '',
    CHECK ((status = 'running') = (ended_at IS NULL)),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);

-- A strategy moved to a mode, and on what evidence.
CREATE TABLE trading.promotions (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    strategy        text NOT NULL CHECK (strategy <> ''),
    plugin_sha256   text NOT NULL CHECK (plugin_sha256 ~ '^[0-9a-f]{64}$'),
    from_mode       text NOT NULL CHECK (from_mode IN ('backtest', 'paper', 'testnet', 'production')),
    to_mode         text NOT NULL CHECK (to_mode IN ('paper', 'testnet', 'production')),
    ablation_run_id bigint REFERENCES trading.ablation_runs (id),
    soak_run_id     bigint REFERENCES trading.soak_runs (id),
    approved_by     text NOT NULL CHECK (approved_by <> ''),
    notes           text NOT NULL DEFAULT '',
    CHECK (from_mode <> to_mode),
    CHECK (to_mode <> 'production' OR (ablation_run_id IS NOT NULL AND soak_run_id IS NOT NULL))
);

-- Restores of the latest backup into a scratch database, checked and timed.
CREATE TABLE trading.restore_drills (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    snapshot_id text NOT NULL CHECK (snapshot_id <> ''),
    snapshot_at timestamptz NOT NULL,
    scratch_db  text NOT NULL,
    seconds     double precision NOT NULL CHECK (seconds >= 0),
    ok          boolean NOT NULL,
    tables      jsonb NOT NULL CHECK (jsonb_typeof(tables) = 'object'),
    detail      text NOT NULL DEFAULT ''
);
