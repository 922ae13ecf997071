-- Promotions and demotions between the pre-live stages (issue 16): who
-- (an operator's token hash), when, from and to which stage, and on what
-- evidence: a promotion rests on a preflight run that passed.
CREATE TABLE trading.stage_promotions (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    kind             text NOT NULL CHECK (kind IN ('promote', 'demote')),
    from_stage       text NOT NULL CHECK (from_stage IN ('testnet', 'micro', 'full')),
    to_stage         text NOT NULL CHECK (to_stage IN ('testnet', 'micro', 'full')),
    approved_by      text NOT NULL CHECK (approved_by <> ''),
    preflight_run_id bigint REFERENCES trading.preflight_runs (id),
    config_sha256    text CHECK (config_sha256 ~ '^[0-9a-f]{64}$'),
    plugins          jsonb,
    numbers          jsonb NOT NULL DEFAULT '{}'::jsonb,
    notes            text NOT NULL DEFAULT '',
    CHECK (from_stage <> to_stage),
    CHECK (kind <> 'promote' OR (preflight_run_id IS NOT NULL AND
           (from_stage, to_stage) IN (('testnet', 'micro'), ('micro', 'full')))),
    CHECK (kind <> 'demote' OR (from_stage, to_stage) IN (('full', 'micro'), ('full', 'testnet'), ('micro', 'testnet')))
);
