-- Every `gordon preflight` run (issue 16): the stage it checked for, whether
-- every item passed, and each item with its evidence, so that a promotion
-- can name the run it rests on.
CREATE TABLE trading.preflight_runs (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    stage         text NOT NULL CHECK (stage IN ('micro', 'full')),
    passed        boolean NOT NULL,
    host_version  text NOT NULL CHECK (host_version <> ''),
    config_sha256 text NOT NULL CHECK (config_sha256 ~ '^[0-9a-f]{64}$'),
    plugins       jsonb NOT NULL CHECK (jsonb_typeof(plugins) = 'object'),
    items         jsonb NOT NULL CHECK (jsonb_typeof(items) = 'array' AND jsonb_array_length(items) > 0),
    CHECK (NOT passed OR NOT jsonb_path_exists(items, '$[*] ? (@.pass == false)'))
);
CREATE INDEX preflight_runs_at ON trading.preflight_runs (at);
