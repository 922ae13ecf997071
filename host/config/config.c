/* Configuration loading end to end (semantics in config.h): the main file,
 * conf.d, then the environment, into a fresh gd_config that replaces the
 * caller's only when everything is valid.
 *
 * A key given twice, in one file or across files, takes the later value; the
 * environment comes last. Every value is validated when it is read, even if
 * a later one replaces it (values.c). Cross-field rules run here, once
 * everything is merged. Where the pieces live: config_int.h.
 */
#include "config/config_int.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/names.h"
#include "base/strv.h"
#include <gordon/sdk.h>

/* ------------------------------------------------------------- errors */

int gd_cfg_fail(gd_ctx *c, gd_where w, int code, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->rc)
        return c->rc; /* keep the first error */
    if (w.line > 0)
        gd_err_set(c->err, code, "%s:%d: %s", w.file, w.line, msg);
    else
        gd_err_set(c->err, code, "%s: %s", w.file ? w.file : "(default)", msg);
    c->rc = code;
    return code;
}

int gd_cfg_oom(gd_ctx *c, gd_where w)
{
    return gd_cfg_fail(c, w, GD_ENOMEM, "out of memory");
}

/* ------------------------------------------------------- small helpers */

char *gd_cfg_trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int gd_cfg_is_symbol(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n >= GD_SYMBOL_MAX)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
            return 0;
    return 1;
}

char *gd_cfg_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

char *gd_cfg_resolve(const char *dir, const char *value)
{
    char *out;
    size_t n;
    if (value[0] == '/' || !dir)
        return strdup(value);
    n = strlen(dir) + strlen(value) + 2;
    out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", value);
    return out;
}

int gd_cfg_grow(void **arr, size_t n, size_t elem)
{
    void *p = realloc(*arr, (n + 1) * elem);
    if (!p)
        return GD_ENOMEM;
    *arr = p;
    memset((char *)p + n * elem, 0, elem);
    return 0;
}

/* ------------------------------------------------------------- freeing */

void gd_cfg_free_kv(gd_kv *kv)
{
    free(kv->key);
    free(kv->value);
    free(kv->file);
}

void gd_cfg_free_data(gd_config *cfg)
{
    for (size_t i = 0; i < cfg->n_data; i++)
        free(cfg->data[i].path);
    free(cfg->data);
    cfg->data = NULL;
    cfg->n_data = 0;
}

void gd_cfg_free_symbols(gd_plugin_conf *pc)
{
    gd_strv_free(pc->symbols, pc->n_symbols);
    pc->symbols = NULL;
    pc->n_symbols = 0;
}

/* -------------------------------------------------------------- finishing */

/* Where key ki was set, or where mode was set if ki is at its default. */
static gd_where where_or(const gd_ctx *c, size_t ki, size_t other)
{
    return c->prov[ki].file ? c->prov[ki] : c->prov[other];
}

static int check_instruments(gd_ctx *c)
{
    const gd_config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->n_instruments; i++) {
        for (size_t ki = 0; ki < GD_CFG_N_KEYS; ki++) {
            char allowed[64];
            if (!(gd_cfg_keys[ki].flags & KF_REQUIRED) || (c->inst[i].set[ki / 64] & (1ull << (ki % 64))))
                continue;
            gd_cfg_fmt_range(allowed, sizeof allowed, &gd_cfg_keys[ki]);
            return gd_cfg_fail(c, c->inst[i].hdr, GD_EINVAL,
                               "[instrument.%s] %s: missing (required; allowed: %s)",
                               cfg->instruments[i].symbol, gd_cfg_keys[ki].key, allowed);
        }
    }
    return 0;
}

static int check_plugins(gd_ctx *c)
{
    gd_config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        gd_plugin_conf *pc = &cfg->plugins[i];
        const char *kind = gd_kind_name(pc->kind);
        if (!pc->plugin)
            return gd_cfg_fail(c, (gd_where){pc->file, pc->line}, GD_EINVAL,
                               "[%s.%s] plugin: missing (required; allowed: a plugin name, or a path "
                               "containing '/')",
                               kind, pc->name);
        if (c->plug[i].symbols_given && pc->n_symbols == 0)
            return gd_cfg_fail(c, c->plug[i].symbols, GD_EINVAL,
                               "[%s.%s] symbols: empty list (allowed: SYMBOL, ...; omit the key for every "
                               "symbol)",
                               kind, pc->name);
    }
    return 0;
}

/* Rules between keys, on the merged result. */
static int check_cross_fields(gd_ctx *c)
{
    const gd_config *cfg = c->cfg;
    const size_t k_mode = gd_cfg_find_key(SEC_GORDON, "mode");
    const size_t k_sl = gd_cfg_find_key(SEC_EXECUTOR, "sl_required");
    const size_t k_testnet = gd_cfg_find_key(SEC_EXECUTOR, "testnet");

    if (cfg->mode == GD_MODE_PRODUCTION && !cfg->sl_required)
        return gd_cfg_fail(c, where_or(c, k_sl, k_mode), GD_EINVAL,
                           "[executor] sl_required: production refuses sl_required=false (allowed: true "
                           "when [gordon] mode = production)");
    if (cfg->mode == GD_MODE_PRODUCTION && cfg->testnet)
        return gd_cfg_fail(c, where_or(c, k_testnet, k_mode), GD_EINVAL,
                           "[executor] testnet: mode = production needs testnet = false, set explicitly "
                           "(the default is true)");
    if (cfg->mode == GD_MODE_PRODUCTION && !gd_config_venue_executor(cfg))
        return gd_cfg_fail(c, where_or(c, gd_cfg_find_key(SEC_EXECUTOR, "kind"), k_mode), GD_EINVAL,
                           "[executor] kind: mode = production trades on the venue (allowed: venue)");
    if (cfg->mode == GD_MODE_BACKTEST && gd_config_venue_executor(cfg))
        return gd_cfg_fail(c, where_or(c, gd_cfg_find_key(SEC_EXECUTOR, "kind"), k_mode), GD_EINVAL,
                           "[executor] kind: a backtest fills on replayed bars (allowed: sim, or mode = testnet)");
    if (cfg->mode == GD_MODE_TESTNET && !cfg->testnet)
        return gd_cfg_fail(c, where_or(c, k_testnet, k_mode), GD_EINVAL,
                           "[executor] testnet: mode = testnet needs testnet = true");
    /* Live modes never run plugin code in the host process. */
    const size_t k_iso = gd_cfg_find_key(SEC_ISOLATION, "plugins");
    if (cfg->mode != GD_MODE_BACKTEST && c->prov[k_iso].file && !cfg->iso_plugins)
        return gd_cfg_fail(c, c->prov[k_iso], GD_EINVAL,
                           "[isolation] plugins: mode = %s always runs plugins in sandboxed workers "
                           "(allowed: true, or leave it out)", gd_mode_name(cfg->mode));
    /* Outside backtests the halt latch must survive a restart. */
    if (cfg->mode != GD_MODE_BACKTEST && !cfg->state_dir)
        return gd_cfg_fail(c, c->prov[k_mode].file ? c->prov[k_mode] : (gd_where){"config", 0}, GD_EINVAL,
                           "[gordon] state_dir: mode = %s needs a state directory, so that the halt latch "
                           "survives a restart (allowed: a writable directory)",
                           gd_mode_name(cfg->mode));
    /* An adopted position needs a strategy to hold it and a stop. */
    if (cfg->venue_unknown_positions && !strcmp(cfg->venue_unknown_positions, "adopt")) {
        const size_t k_un = gd_cfg_find_key(SEC_VENUE, "unknown_positions");
        int found = 0;
        for (size_t i = 0; cfg->venue_adopt_strategy && i < cfg->n_plugins; i++)
            found |= cfg->plugins[i].kind == GORDON_KIND_STRATEGY && !strcmp(cfg->plugins[i].name, cfg->venue_adopt_strategy);
        if (!found)
            return gd_cfg_fail(c, where_or(c, gd_cfg_find_key(SEC_VENUE, "adopt_strategy"), k_un), GD_EINVAL,
                               "[venue] adopt_strategy: unknown_positions = adopt needs the strategy that holds an "
                               "adopted position (allowed: the name of a [strategy.NAME] section)");
        if (!(cfg->venue_adopt_stop_pct > 0.0))
            return gd_cfg_fail(c, where_or(c, gd_cfg_find_key(SEC_VENUE, "adopt_stop_pct"), k_un), GD_EINVAL,
                               "[venue] adopt_stop_pct: unknown_positions = adopt needs the stop's distance from the "
                               "mark price in percent (allowed: above 0, at most 50)");
    }
    if (cfg->mode == GD_MODE_PRODUCTION && !gd_config_live_market(cfg))
        return gd_cfg_fail(c, where_or(c, gd_cfg_find_key(SEC_MARKET, "source"), k_mode), GD_EINVAL,
                           "[market] source: mode = production trades on the venue's own bars (allowed: venue)");
    return 0;
}

/* [market] source = venue: the symbols become the data list, without
 * files. */
static int check_market(gd_ctx *c)
{
    gd_config *cfg = c->cfg;
    const size_t k_data = gd_cfg_find_key(SEC_REPLAY, "data"), k_src = gd_cfg_find_key(SEC_MARKET, "source"),
                 k_syms = gd_cfg_find_key(SEC_MARKET, "symbols"), k_iv = gd_cfg_find_key(SEC_MARKET, "interval");
    cfg->market_interval_ms = cfg->market_interval ? gd_interval_ms(cfg->market_interval) : 0;
    if (!gd_config_live_market(cfg))
        return 0;
    if (c->prov[k_data].file)
        return gd_cfg_fail(c, c->prov[k_data], GD_EINVAL,
                           "[replay] data: [market] source = venue takes its bars from the venue (leave [replay] data "
                           "out; name the symbols in [market] symbols)");
    if (!cfg->market_interval_ms)
        return gd_cfg_fail(c, c->prov[k_src], GD_EINVAL,
                           "[market] interval: source = venue needs the bars' interval (allowed: 1m, 5m, 1h, 1d, ...)");
    if (!cfg->market_symbols || !*cfg->market_symbols)
        return gd_cfg_fail(c, c->prov[k_src], GD_EINVAL,
                           "[market] symbols: source = venue needs the symbols to trade (allowed: BTCUSDT, ...)");
    (void)k_iv;
    const char *p = cfg->market_symbols;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, ", \t");
        if (!n)
            break;
        char sym[GD_SYMBOL_MAX];
        int ok = n < sizeof sym;
        if (ok) {
            memcpy(sym, p, n);
            sym[n] = '\0';
            for (size_t i = 0; i < n; i++)
                ok &= (sym[i] >= 'A' && sym[i] <= 'Z') || (sym[i] >= '0' && sym[i] <= '9');
        }
        if (!ok)
            return gd_cfg_fail(c, c->prov[k_syms], GD_EINVAL,
                               "[market] symbols: '%.*s' is not a venue symbol (allowed: upper-case letters and "
                               "digits, as BTCUSDT)",
                               (int)n, p);
        for (size_t i = 0; i < cfg->n_data; i++)
            if (!strcmp(cfg->data[i].symbol, sym))
                return gd_cfg_fail(c, c->prov[k_syms], GD_EINVAL, "[market] symbols: %s is named twice", sym);
        if (gd_cfg_grow((void **)&cfg->data, cfg->n_data, sizeof *cfg->data))
            return gd_cfg_oom(c, c->prov[k_syms]);
        memset(&cfg->data[cfg->n_data], 0, sizeof cfg->data[0]);
        snprintf(cfg->data[cfg->n_data].symbol, GD_SYMBOL_MAX, "%s", sym);
        cfg->n_data++;
        p += n;
    }
    if (cfg->n_data == 0)
        return gd_cfg_fail(c, c->prov[k_syms], GD_EINVAL, "[market] symbols: empty list (allowed: BTCUSDT, ...)");
    return 0;
}

const char *gd_stage_name(int rank)
{
    switch (rank) {
    case GD_STAGE_TESTNET: return "testnet";
    case GD_STAGE_MICRO: return "micro";
    case GD_STAGE_FULL: return "full";
    default: return "none";
    }
}

int gd_stage_rank(const char *name)
{
    if (!name)
        return GD_STAGE_NONE;
    for (int r = GD_STAGE_TESTNET; r <= GD_STAGE_FULL; r++)
        if (!strcmp(name, gd_stage_name(r)))
            return r;
    return GD_STAGE_NONE;
}

/* The runbook's stages: micro live trades $500 at 1% per trade; full live
 * $2,000 up to a configured maximum at no more than 2%. A notional cap is
 * bounded by the allocation: an order up to 3x it (a 1% risk with a stop
 * 0.33% away), as much open at once, 50x it traded in a day. */
void gd_stage_bounds_for(int rank, double allocation, double allocation_max, gd_stage_bounds *out)
{
    memset(out, 0, sizeof *out);
    if (rank != GD_STAGE_MICRO && rank != GD_STAGE_FULL)
        return;
    out->allocation_default = rank == GD_STAGE_MICRO ? 500.0 : fmin(2000.0, allocation_max);
    out->allocation_max = rank == GD_STAGE_MICRO ? 500.0 : allocation_max;
    out->risk_pct_max = rank == GD_STAGE_MICRO ? 1.0 : 2.0;
    double a = allocation > 0.0 ? allocation : out->allocation_default;
    out->order_max = 3.0 * a;
    out->gross_max = 3.0 * a;
    out->daily_max = 50.0 * a;
    out->order_default = 2.0 * a;
    out->gross_default = 3.0 * a;
    out->daily_default = 20.0 * a;
}

/* [gordon] stage: production trades at micro or full, testnet at testnet;
 * a stage's allocation, risk per trade and caps within its bounds (a cap
 * not given takes the stage's default for the allocation). */
static int check_stage(gd_ctx *c)
{
    gd_config *cfg = c->cfg;
    const size_t k_stage = gd_cfg_find_key(SEC_GORDON, "stage"), k_mode = gd_cfg_find_key(SEC_GORDON, "mode");
    cfg->stage_rank = gd_stage_rank(cfg->stage);
    if (cfg->mode == GD_MODE_TESTNET && cfg->stage_rank == GD_STAGE_NONE)
        cfg->stage_rank = GD_STAGE_TESTNET;
    if (cfg->mode == GD_MODE_PRODUCTION && cfg->stage_rank != GD_STAGE_MICRO && cfg->stage_rank != GD_STAGE_FULL)
        return gd_cfg_fail(c, where_or(c, k_stage, k_mode), GD_EINVAL,
                           "[gordon] stage: mode = production trades at a live stage (allowed: micro, full)");
    if (cfg->mode == GD_MODE_TESTNET && cfg->stage_rank != GD_STAGE_TESTNET)
        return gd_cfg_fail(c, where_or(c, k_stage, k_mode), GD_EINVAL,
                           "[gordon] stage: mode = testnet is the testnet stage (allowed: testnet, or leave it out)");
    gd_stage_bounds b;
    gd_stage_bounds_for(cfg->stage_rank, cfg->allocation_usd, cfg->allocation_max_usd, &b);
    if (!(b.allocation_max > 0.0))
        return 0;
    const char *st = gd_stage_name(cfg->stage_rank);
    const size_t k_alloc = gd_cfg_find_key(SEC_RISK, "allocation_usd");
    if (!(cfg->allocation_usd > 0.0))
        cfg->allocation_usd = b.allocation_default;
    if (cfg->allocation_usd > b.allocation_max)
        return gd_cfg_fail(c, where_or(c, k_alloc, k_stage), GD_ERANGE,
                           "[risk] allocation_usd: %g is more than stage %s allows (allowed: at most %g%s)",
                           cfg->allocation_usd, st, b.allocation_max,
                           cfg->stage_rank == GD_STAGE_FULL ? ", [risk] allocation_max_usd" : "");
    if (cfg->risk_pct > b.risk_pct_max)
        return gd_cfg_fail(c, where_or(c, gd_cfg_find_key(SEC_RISK, "risk_pct"), k_stage), GD_ERANGE,
                           "[risk] risk_pct: %g is more than stage %s allows (allowed: at most %g)", cfg->risk_pct, st,
                           b.risk_pct_max);
    struct {
        const char *sec, *key;
        double *v, max, def;
    } caps[] = {
        {"risk", "max_order_notional_usd", &cfg->max_order_notional, b.order_max, b.order_default},
        {"risk", "max_daily_notional_usd", &cfg->max_daily_notional, b.daily_max, b.daily_default},
        {"risk", "max_gross_exposure_usd", &cfg->max_gross_exposure, b.gross_max, b.gross_default},
        {"executor", "max_notional_usd_prod", &cfg->max_notional_usd_prod, b.order_max, b.order_default},
    };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        size_t k = gd_cfg_find_key(!strcmp(caps[i].sec, "risk") ? SEC_RISK : SEC_EXECUTOR, caps[i].key);
        if (!c->prov[k].file) {
            *caps[i].v = caps[i].def;
            continue;
        }
        if (*caps[i].v > caps[i].max)
            return gd_cfg_fail(c, c->prov[k], GD_ERANGE,
                               "[%s] %s: %g is more than stage %s allows for an allocation of %g (allowed: at most %g)",
                               caps[i].sec, caps[i].key, *caps[i].v, st, cfg->allocation_usd, caps[i].max);
    }
    return 0;
}

/* Everything read: what only the merged whole can tell. */
static int finish(gd_ctx *c)
{
    const size_t k_data = gd_cfg_find_key(SEC_REPLAY, "data");

    if (check_instruments(c) || check_plugins(c))
        return c->rc;
    if (c->prov[k_data].file && c->cfg->n_data == 0)
        return gd_cfg_fail(c, c->prov[k_data], GD_EINVAL,
                           "[replay] data: empty list (allowed: SYMBOL:path, ...)");
    if (check_market(c))
        return c->rc;
    if (check_cross_fields(c))
        return c->rc;
    if (c->cfg->rt_priority != (double)(int)c->cfg->rt_priority)
        return gd_cfg_fail(c, c->prov[gd_cfg_find_key(SEC_GORDON, "realtime_priority")], GD_EINVAL,
                           "[gordon] realtime_priority: %g is not a whole number (allowed: 0 to 99)",
                           c->cfg->rt_priority);
    if (c->cfg->db_connections != (double)(int)c->cfg->db_connections)
        return gd_cfg_fail(c, c->prov[gd_cfg_find_key(SEC_DB, "connections")], GD_EINVAL,
                           "[db] connections: %g is not a whole number (allowed: 1 or 2)", c->cfg->db_connections);
    return check_stage(c);
}

/* ---------------------------------------------------------------- public */

char *gd_config_confd_dir(const char *path, const char *confd)
{
    if (confd)
        return strdup(confd);
    if (!path)
        return NULL;
    char *dir = gd_cfg_dir_of(path); /* NULL: path has no directory part, conf.d is beside it here */
    char *out = gd_cfg_resolve(dir, "conf.d");
    free(dir);
    return out;
}

/* "<dir of path>/conf.d" if it is a directory, else NULL in *out. */
static int default_confd(gd_ctx *c, const char *path, char **out)
{
    struct stat st;
    char *confd = gd_config_confd_dir(path, NULL);
    *out = NULL;
    if (!confd)
        return gd_cfg_oom(c, (gd_where){path, 0});
    if (!stat(confd, &st) && S_ISDIR(st.st_mode))
        *out = confd;
    else
        free(confd);
    return 0;
}

static void ctx_free(gd_ctx *c)
{
    free(c->dir);
    free(c->buf);
    free(c->prev_key);
    free(c->sec_label);
    free(c->inst);
    free(c->plug);
    gd_strv_free(c->env_names, c->n_env_names);
}

int gd_config_load_env(const char *path, const char *confd, char *const *envp, gd_config *cfg,
                       gd_err *err)
{
    gd_config tmp;
    gd_ctx c;
    char *auto_confd = NULL;

    memset(&c, 0, sizeof c);
    gd_config_defaults(&tmp);
    c.cfg = &tmp;
    c.err = err;
    if (!tmp.log_level) {
        gd_cfg_oom(&c, (gd_where){"config", 0});
        goto out;
    }
    if (path && gd_cfg_parse_file(&c, path))
        goto out;
    /* Default conf.d: beside the main file, used only if it exists. */
    if (!confd && path) {
        if (default_confd(&c, path, &auto_confd))
            goto out;
        confd = auto_confd;
    }
    if (confd && gd_cfg_parse_confd(&c, confd))
        goto out;
    if (gd_cfg_apply_env(&c, envp))
        goto out;
    finish(&c);
out:
    if (c.rc) {
        gd_config_free(&tmp);
        memset(cfg, 0, sizeof *cfg);
    } else {
        *cfg = tmp;
    }
    free(auto_confd);
    ctx_free(&c);
    return c.rc;
}

int gd_config_load(const char *path, const char *confd, gd_config *cfg, gd_err *err)
{
    return gd_config_load_env(path, confd, environ, cfg, err);
}

int gd_config_live_market(const gd_config *cfg)
{
    return cfg->market_source != NULL && !strcmp(cfg->market_source, "venue");
}

int64_t gd_interval_ms(const char *iv)
{
    static const struct {
        const char *name;
        int64_t ms;
    } t[] = {{"1s", 1000},           {"1m", 60000},         {"3m", 180000},       {"5m", 300000},
             {"15m", 900000},        {"30m", 1800000},      {"1h", 3600000},      {"2h", 7200000},
             {"4h", 14400000},       {"6h", 21600000},      {"8h", 28800000},     {"12h", 43200000},
             {"1d", 86400000}};
    for (size_t i = 0; iv && i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(iv, t[i].name))
            return t[i].ms;
    return 0;
}

int gd_config_skip_irregular(const gd_config *cfg)
{
    return cfg->replay_irregular != NULL && !strcmp(cfg->replay_irregular, "skip");
}

int gd_config_venue_executor(const gd_config *cfg)
{
    return cfg->executor_kind != NULL && !strcmp(cfg->executor_kind, "venue");
}

int gd_config_isolated(const gd_config *cfg)
{
    return cfg->iso_plugins || cfg->mode != GD_MODE_BACKTEST;
}

void gd_config_free(gd_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->plugin_dir);
    free(cfg->intent_log);
    free(cfg->state_dir);
    free(cfg->log_level);
    free(cfg->http_listen);
    free(cfg->http_token_hashes);
    free(cfg->http_allowed_hosts);
    free(cfg->console_listen);
    free(cfg->console_allowed_hosts);
    free(cfg->fred_api_key);
    free(cfg->db_dsn);
    free(cfg->backup_repository);
    free(cfg->backup_password_file);
    free(cfg->venue_profile);
    free(cfg->venue_rest_url);
    free(cfg->venue_ws_url);
    free(cfg->venue_api_key);
    free(cfg->venue_key_file);
    free(cfg->venue_key_type);
    free(cfg->venue_margin_type);
    free(cfg->venue_unknown_positions);
    free(cfg->venue_adopt_strategy);
    free(cfg->stage);
    free(cfg->pf_prometheus_url);
    free(cfg->pf_alerts_file);
    free(cfg->pf_grafana_dashboard);
    free(cfg->pf_loki_url);
    free(cfg->pf_loki_query);
    free(cfg->pf_e2e_record);
    free(cfg->market_source);
    free(cfg->market_symbols);
    free(cfg->market_interval);
    free(cfg->executor_kind);
    free(cfg->replay_irregular);
    free(cfg->fred_base_url);
    free(cfg->fred_observation_start);
    free(cfg->iso_worker);
    gd_cfg_free_data(cfg);
    free(cfg->instruments);
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        gd_plugin_conf *pc = &cfg->plugins[i];
        free(pc->name);
        free(pc->plugin);
        free(pc->plugin_path);
        gd_cfg_free_symbols(pc);
        for (size_t j = 0; j < pc->n_params; j++)
            gd_cfg_free_kv(&pc->params[j]);
        free(pc->params);
        free(pc->file);
    }
    free(cfg->plugins);
    for (size_t i = 0; i < cfg->n_ablate; i++)
        gd_cfg_free_kv(&cfg->ablate[i]);
    free(cfg->ablate);
    gd_strv_free(cfg->files, cfg->n_files);
    memset(cfg, 0, sizeof *cfg);
}

const gd_instrument *gd_config_instrument(const gd_config *cfg, const char *symbol)
{
    for (size_t i = 0; i < cfg->n_instruments; i++)
        if (!strcmp(cfg->instruments[i].symbol, symbol))
            return &cfg->instruments[i];
    return NULL;
}
