/* Configuration: gordon.ini, then conf.d/NN-name.ini files in lexical order (later wins),
 * then GORDON_<SECTION>_<KEY> environment overrides. Everything is validated
 * up front; any error names file:line and key and nothing is half-applied. */
#ifndef GD_CONFIG_H
#define GD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef enum gd_mode {
    GD_MODE_BACKTEST = 0,   /* replayed bars, simulated execution */
    GD_MODE_TESTNET = 1,    /* venue testnet */
    GD_MODE_PRODUCTION = 2  /* real money: strictest rules */
} gd_mode;

#define GD_SYMBOL_MAX 32

/* One key = value as written, with where it was written. */
typedef struct gd_kv {
    char *key;
    char *value;
    char *file;  /* path as given to the loader (or "env:NAME") */
    int line;
} gd_kv;

/* A [strategy.NAME], [overlay.NAME] or [breaker.NAME] section. NAME is
 * [a-z0-9_]{1,63} and unique across the three kinds. */
typedef struct gd_plugin_conf {
    int kind;          /* GORDON_KIND_* */
    char *name;        /* instance name: the part after the dot */
    char *plugin;      /* plugin = a name (looked up in plugin_dir as NAME.so) or a path with '/' */
    char *plugin_path; /* a plugin value with '/', resolved against its file (NULL for a bare name:
                          plugin/path.h finds NAME.so in a plugin directory) */
    char **symbols;    /* symbols = A,B (NULL/0: every symbol) */
    size_t n_symbols;
    int enabled;       /* enabled = true|false, default true */
    gd_kv *params;     /* every other key, for the plugin's declared params */
    size_t n_params;
    char *file;        /* where the section header first appeared */
    int line;
} gd_plugin_conf;

/* [instrument.SYMBOL]: exchange rules for sizing and rounding. */
typedef struct gd_instrument {
    char symbol[GD_SYMBOL_MAX];
    double tick_size;    /* price increment, > 0 */
    double step_size;    /* quantity increment, > 0 */
    double min_qty;      /* >= 0 */
    double min_notional; /* >= 0 */
} gd_instrument;

/* [replay] data = SYMBOL:path.csv, SYMBOL:path.csv */
typedef struct gd_data_conf {
    char symbol[GD_SYMBOL_MAX];
    char *path;          /* resolved relative to the file that named it */
    int64_t interval_ms; /* SYMBOL@INTERVAL:path declares this file's interval; 0: [market] interval's */
} gd_data_conf;

typedef struct gd_config {
    /* [gordon] */
    gd_mode mode;              /* mode = backtest|testnet|production (default backtest) */
    char *plugin_dir;          /* plugin_dir = DIR (default: NULL, the host decides) */
    char *intent_log;          /* intent_log = PATH (default NULL: none) */
    char *state_dir;           /* state_dir = DIR (default NULL: no persisted state) */
    char *log_level;           /* log_level = debug|info|warn|error (default info) */
    int exit_when_done;        /* exit_when_done = true|false: leave when the replay ends (default true) */
    double rt_priority;        /* realtime_priority = 0..99: the loop thread as SCHED_FIFO (default 0: off) */
    int lock_memory;           /* lock_memory = true|false: mlockall, no page faults on the hot path (default false) */

    /* [risk] */
    double equity;             /* equity = starting equity for simulation, > 0 (default 10000) */
    double risk_pct;           /* risk_pct = percent of equity risked per trade, (0, 5] (default 0.5) */
    double leverage;           /* leverage = [1, 125] (default 1); never changes quantity */
    double max_order_notional;  /* max_order_notional_usd >= 0 (default 50000; 0 = no entries) */
    double max_daily_notional;  /* max_daily_notional_usd >= 0 (default 500000) */
    double max_gross_exposure;  /* max_gross_exposure_usd >= 0 (default 100000) */
    double max_intents_per_sec; /* max_intents_per_sec > 0 (default 20), all strategies */
    double max_intents_per_sec_strategy; /* max_intents_per_sec_strategy > 0 (default 5) */
    double entry_tolerance_bps;   /* a signal's entry claim may be this far from the host's price (50) */
    double fill_tolerance_bps;  /* fill_tolerance_bps: adverse slippage past this is counted (default 50) */
    double entry_tolerance_ticks; /* ... or this many ticks, whichever is wider (2) */

    /* [executor] */
    int sl_required;           /* sl_required = true|false (default true; production refuses false) */
    int testnet;               /* testnet = true|false (default true) */
    double max_notional_usd_prod; /* max_notional_usd_prod >= 0 (default 1000): per-order cap in production */
    double fee_bps;            /* fee_bps = taker fee, [0, 100] (default 4) */
    double slippage_bps;       /* slippage_bps = [0, 1000] (default 1) */

    /* [replay] */
    gd_data_conf *data;
    size_t n_data;
    double bars_per_sec;       /* bars_per_sec = pace of the replay, 0 = as fast as possible */
    double replay_max_file_mb; /* max_file_mb = the largest CSV file read (default 2048 MiB) */
    double replay_trade_from_ms; /* trade_from_ms: bars before this close time only warm plugins up (0: none) */
    char *replay_irregular;    /* irregular = error | skip: a row off its file's declared interval (default error) */

    /* [http]: the operator API; off unless listen is set */
    char *http_listen;         /* listen = HOST:PORT, e.g. 127.0.0.1:8080 */
    char *http_token_hashes;   /* operator_token_sha256 = HEX, HEX (SHA-256 of each token) */
    double http_max_body;      /* max_body_bytes (default 65536) */
    double http_idle_ms;       /* idle_timeout_ms (default 10000): keep-alive idle, body, stalled reply */
    double http_header_ms;     /* header_timeout_ms (default 5000): connect to end of request header */
    double http_max_conns;     /* max_connections (default 64) */
    double http_max_conns_peer; /* max_connections_per_peer (default 32; 0: only max_connections) */
    char *http_allowed_hosts;  /* allowed_hosts = HOST[:PORT], ...: Host values besides the defaults */

    /* [fred]: macro series for macro breakers; api_key is a secret, never logged */
    char *fred_api_key;        /* api_key (or GORDON_FRED_API_KEY) */
    char *fred_base_url;       /* base_url (default the real FRED) */
    double fred_poll_ms;       /* poll_ms (default 3600000) */
    double fred_timeout_ms;    /* timeout_ms (default 10000) */
    char *fred_observation_start; /* observation_start = YYYY-MM-DD (default: whole history) */
    /* [isolation]: plugins in sandboxed worker processes (always in testnet
     * and production; backtests only with plugins = true or --isolate). */
    int iso_plugins;           /* plugins */
    char *iso_worker;          /* worker: the gordon-worker program (default: found) */
    double iso_deadline_ms;    /* deadline_ms: a callback's answer (default 50) */
    double iso_start_ms;       /* start_timeout_ms: loading and create() (default 5000) */
    double iso_memory_mb;      /* memory_mb: a worker's address space (default 1024; 0 none) */
    double iso_cpu_seconds;    /* cpu_seconds: a worker's CPU time (default 86400; 0 none) */
    double iso_max_restarts;   /* max_restarts: restarts before it stays quarantined (default 5) */
    double iso_backoff_ms;     /* restart_backoff_ms: the first restart's delay, doubling (default 1000) */
    int iso_pin_cpu;           /* pin_cpu: the loop thread and its workers share one CPU (default true) */
    /* [db]: PostgreSQL trading.* through the journal under state_dir. The DSN
     * may hold a password: it is never logged or printed. */
    char *db_dsn;              /* dsn (or GORDON_DB_DSN; default NULL: no database) */
    double db_sync_window_ms;  /* sync_window_ms: how long a journal record may wait for fsync (default 5) */
    double db_max_depth;       /* max_depth: unapplied records past which no new entries (default 100000) */
    double db_max_age_s;       /* max_age_s: ... or whose oldest is older than this (default 300) */
    double db_equity_interval_s; /* equity_interval_s: an equity point on this timer (default 60) */
    double db_reconnect_max_ms; /* reconnect_max_ms: the longest reconnect backoff (default 30000) */
    double db_connect_timeout_ms; /* connect_timeout_ms: a connection attempt's limit (default 10000) */
    double db_drain_ms;        /* drain_ms: a replay that ends waits this long for the database (10000) */
    double db_connections;     /* connections: 1, or 2 writing in two stages (default 2) */
    /* [backup]: pg_dump of trading.* into a restic repository (gordon backup,
     * gordon restore-drill). */
    char *backup_repository;   /* restic_repository (default NULL: none) */
    char *backup_password_file; /* restic_password_file */
    double backup_keep_hourly; /* keep_hourly: snapshots kept by restic forget (default 48) */
    /* [venue]: Binance USD-M. The key is a secret: GORDON_VENUE_API_KEY or
     * the file, never logged. */
    char *executor_kind;       /* [executor] kind = sim | venue (default sim; production: venue) */
    char *venue_profile;       /* profile = demo | testnet | live (default demo) */
    char *venue_rest_url;      /* rest_url: instead of the profile's (the loopback venue in tests) */
    char *venue_ws_url;        /* ws_url: likewise for the streams */
    char *venue_api_key;       /* api_key (or GORDON_VENUE_API_KEY) */
    char *venue_key_file;      /* key_file: the HMAC secret or the Ed25519 PEM key, mode 0600 */
    char *venue_key_type;      /* key_type = hmac | ed25519 (default hmac) */
    double venue_recv_window_ms; /* recv_window_ms (default 5000) */
    double venue_timeout_ms;   /* timeout_ms: one REST request (default 10000) */
    char *venue_margin_type;   /* margin_type = cross | isolated (default cross), set per symbol at start */
    double venue_poll_ms;      /* poll_ms: working stops and in-flight orders asked after (default 2000) */
    double venue_stop_grace_ms; /* stop_grace_ms: a stop TRIGGERING or crossed this long is an incident (5000) */
    double venue_retry_budget_ms; /* retry_budget_ms: placing a stop is retried this long, then closed (5000) */
    char *venue_unknown_positions; /* unknown_positions = refuse | close (default refuse): a venue
                                    * position gordon did not open, at start or at run time */
    char *venue_adopt_strategy;  /* adopt_strategy: the strategy that takes up an adopted position */
    double venue_adopt_stop_pct;
    char *pf_prometheus_url;   /* [preflight] prometheus_url (default http://127.0.0.1:9090) */
    char *pf_alerts_file;      /* alerts_file: the shipped rules (default /usr/share/gordon/prometheus/alerts.yml) */
    char *pf_grafana_dashboard; /* grafana_dashboard (default /usr/share/gordon/grafana/gordon.json) */
    char *pf_loki_url;         /* loki_url: the log store (none: the systemd journal) */
    char *pf_loki_query;       /* loki_query: gordon's stream selector (default {unit="gordon.service"}) */
    char *pf_e2e_record;       /* e2e_record: what make e2e wrote (default /var/lib/gordon/e2e.json) */
    /* [promote]: how far micro live may be from the backtest for a promotion
     * to full (only tightened from the defaults' bounds) */
    double pr_min_trades;      /* min_trades at micro to compare at all (10, at least 10) */
    double pr_max_win_gap;     /* max_win_rate_gap_pct: |live - backtest| win rate, points (15) */
    double pr_max_r_gap;       /* max_avg_r_gap: |live - backtest| average R (0.5) */
    double pr_max_dd_ratio;    /* max_drawdown_ratio: live max drawdown / the backtest's (1.5) */
    double pr_max_sharpe_gap;  /* max_sharpe_gap: backtest Sharpe - live Sharpe, annualised (1) */
    /* [console]: the operator's page (daemon/console.c); off unless listen is set */
    char *console_listen;      /* listen = HOST:PORT (the package's configuration: 127.0.0.1:3000) */
    double console_ttl_s;      /* session_ttl_s: a login lasts this long (43200) */
    char *console_allowed_hosts; /* allowed_hosts: Host values besides the listener's own */
    double soak_min_hours;     /* [soak] min_hours: the soak gate's duration, at least the runbook's 72 */
    double soak_min_trades;    /* [soak] min_trades: ... its trades, at least 30 */
    char *stage;               /* [gordon] stage = testnet | micro | full (NULL: none given) */
    int stage_rank;            /* GD_STAGE_*: what stage names, or testnet for mode = testnet */
    double allocation_usd;     /* [risk] allocation_usd: sizing uses min(equity, this); 0: the equity.
                                  At micro/full, the stage's default when not given */
    double allocation_max_usd; /* [risk] allocation_max_usd: full's allocation at most this (5000) */ /* adopt_stop_pct: its stop, this many percent from the mark */
    double venue_reconcile_ms; /* reconcile_ms: positions compared with the venue's this often (30000) */
    double venue_startup_ms;   /* startup_ms: the start-up checks and the take-up of what an earlier run left
                                  must be done within this, or the start is refused (60000) */
    /* [market]: where bars come from. replay: [replay] data; venue: closed
     * klines from Binance's streams, [replay] data then holds the symbols
     * with no path (filled in from [market] symbols). */
    char *market_source;       /* source = replay | venue (default replay; production: venue) */
    char *market_symbols;      /* symbols = BTCUSDT, ETHUSDT (venue source) */
    char *market_interval;     /* interval = 1m ... 1d: the bars' interval, declared, never guessed */
    int64_t market_interval_ms; /* ... in milliseconds (0: not declared) */
    double market_stale_grace_ms; /* stale_grace_ms: a bar later than its close by this is stale (30000) */
    double market_backfill_max_age_ms; /* backfill_max_age_ms: no entry on a backfilled bar older (0: one interval) */

    gd_instrument *instruments;
    size_t n_instruments;

    gd_plugin_conf *plugins;   /* in order of first appearance */
    size_t n_plugins;

    /* [ablate]: walk-forward settings, kept as written (with file:line) and
     * validated by the ablation runner, which owns those keys. */
    gd_kv *ablate;
    size_t n_ablate;

    char **files;              /* every file read, in order (for reload diffs and logs) */
    size_t n_files;
} gd_config;

/* [market] source = venue. */
int gd_config_live_market(const gd_config *cfg);

/* A Binance kline interval ("1m", "1h", "1d"; "1s" for the loopback venue)
 * in milliseconds, 0 if it is not one. */
int64_t gd_interval_ms(const char *interval);
/* [replay] irregular = skip: rows off a file's interval are dropped and counted, not an error. */
int gd_config_skip_irregular(const gd_config *cfg);

/* Fills cfg with the embedded defaults (no files, no plugins). */
void gd_config_defaults(gd_config *cfg);

/* Loads path (may be NULL: defaults + env only), then every *.ini of confd
 * (NULL: "<dir of path>/conf.d" if it exists) in lexical order, then the
 * environment. On error cfg is left zeroed/freed and err names file:line:key.
 * cfg's previous contents are not read or freed: pass a fresh struct.
 * A key given twice (in one file or across files) takes the later value; an
 * indented line continues the previous key, which only the lists data and
 * symbols accept. Relative paths resolve against the directory of the file
 * that set them (environment values: the cwd). */
int gd_config_load(const char *path, const char *confd, gd_config *cfg, gd_err *err);

/* The conf.d directory gd_config_load(path, confd) reads, whether or not it
 * exists yet (malloc'd): confd, else "<dir of path>/conf.d"; NULL with
 * neither (or out of memory). */
char *gd_config_confd_dir(const char *path, const char *confd);

/* Same, with an explicit environment (NULL-terminated "K=V" array) for tests. */
int gd_config_load_env(const char *path, const char *confd, char *const *envp, gd_config *cfg,
                       gd_err *err);

/* Sections for gd_config_json, one bit each; a host section's bit is its
 * place in the schema. */
enum {
    GD_CFG_JSON_GORDON = 1u << 0,
    GD_CFG_JSON_RISK = 1u << 1,
    GD_CFG_JSON_EXECUTOR = 1u << 2,
    GD_CFG_JSON_REPLAY = 1u << 3,
    GD_CFG_JSON_HTTP = 1u << 4,
    GD_CFG_JSON_FRED = 1u << 5,
    GD_CFG_JSON_ISOLATION = 1u << 6,
    GD_CFG_JSON_DB = 1u << 7,
    GD_CFG_JSON_BACKUP = 1u << 8,
    GD_CFG_JSON_INSTRUMENTS = 1u << 9, /* [instrument.SYMBOL] */
    GD_CFG_JSON_PLUGINS = 1u << 10,    /* [strategy.X], [overlay.X], [breaker.X] */
    GD_CFG_JSON_ABLATE = 1u << 11
};

/* The effective configuration of the sections asked for, as one compact JSON
 * object keyed by section as written in the INI ("risk", "instrument.BTCUSDT",
 * "strategy.ema"): host keys in schema order with their values after
 * defaults, files and the environment (paths as resolved, a key never set
 * null); instruments and plugin sections in the config's order, plugin
 * parameters as the strings written; [ablate] keys as written. Secrets
 * ([db] dsn, [fred] api_key, [backup] restic_repository) are never in it,
 * whatever the sections. The same configuration gives the same text, so its
 * hash identifies it. *out is the caller's to free. */
int gd_config_json(const gd_config *cfg, unsigned sections, char **out, gd_err *err);

/* 1 when plugins run in sandboxed workers: testnet and production always,
 * backtests with [isolation] plugins = true. */
int gd_config_isolated(const gd_config *cfg);
/* The pre-live stages, in the order they must be passed (issue 16). */
enum { GD_STAGE_NONE = 0, GD_STAGE_TESTNET = 1, GD_STAGE_MICRO = 2, GD_STAGE_FULL = 3 };
const char *gd_stage_name(int rank); /* "testnet", ...; "none" */
int gd_stage_rank(const char *name); /* GD_STAGE_*, GD_STAGE_NONE for anything else */

/* What a stage allows for an allocation: risk per trade at most
 * risk_pct_max; the caps at most these (their defaults when not given are
 * the *_default ones). testnet and none bound nothing (all 0). */
typedef struct gd_stage_bounds {
    double allocation_default, allocation_max;
    double risk_pct_max;
    double order_max, daily_max, gross_max;          /* notional caps, in the quote currency */
    double order_default, daily_default, gross_default;
} gd_stage_bounds;
void gd_stage_bounds_for(int rank, double allocation, double allocation_max, gd_stage_bounds *out);

/* 1 when orders go to the venue ([executor] kind = venue). */
int gd_config_venue_executor(const gd_config *cfg);
void gd_config_free(gd_config *cfg);

const gd_instrument *gd_config_instrument(const gd_config *cfg, const char *symbol);

/* What a reload from a to b changes: host keys, instruments and plugin
 * sections, as "[risk] risk_pct, [strategy.x] added, ..." into buf. Keys a
 * running host cannot take without a restart (market data, equity, mode,
 * state and log paths, the HTTP listener, FRED) are also listed in restart.
 * Returns the number of changes. */
int gd_config_diff(const gd_config *a, const gd_config *b, char *buf, size_t cap, char *restart, size_t rcap);
const char *gd_mode_name(gd_mode mode);

/* Strict value parsers shared with params.c. The whole string must match (no
 * blanks, no trailing garbage); they return 0, GD_EINVAL or GD_ERANGE.
 * bool: true/false/yes/no/on/off/1/0, any case.
 * double: decimal with optional fraction and exponent, finite (no hex/inf/nan).
 * int64: optional sign and decimal digits only. */
int gd_parse_bool(const char *s, int *out);
int gd_parse_double(const char *s, double *out);
int gd_parse_int64(const char *s, int64_t *out);

#endif
