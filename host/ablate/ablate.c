/* gd_ablate_run, phase by phase: settings, plugins, data, warm-up, windows,
 * configurations, the runs (runner.c), each configuration's windows and
 * chained curve, the Deflated Sharpe, the overlays' effects and verdicts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ablate/ablate_int.h"
#include "base/buf.h"
#include "base/dates.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/strv.h"
#include "engine/trades.h"

const int gd_ab_effect_metrics[GD_AB_N_EFFECT_METRICS] = {GD_M_SHARPE, GD_M_MAX_DD, GD_M_CAGR,
                                                          GD_M_TRADES};

static const char *const verdict_names[] = {"inconclusive", "helps", "hurts"};

/* One ablation while it runs: what each phase hands to the next. */
typedef struct ab_job {
    const gd_ablate_opts *o;
    gd_ab_result *res;
    gd_ablate_settings s;
    ab_ctx c;
    ab_cfg cfgs[MAX_CONFIGS];
    ab_runs runs;
    uint64_t t0;
} ab_job;

/* ------------------------------------------------------------ data */

static int load_data(ab_ctx *c, gd_ab_result *res, gd_err *err)
{
    const gd_config *cfg = c->cfg;
    ab_data *d = &c->data;
    int rc;
    if (cfg->n_data == 0)
        return gd_err_set(err, GD_EINVAL, "no market data: add [replay] data = SYMBOL:file.csv or --data SYMBOL:file.csv");
    for (size_t i = 0; i < cfg->n_data; i++)
        if (!cfg->data[i].path)
            return gd_err_set(err, GD_EINVAL,
                              "%s: [market] source = venue has no history to walk forward on: ablation reads "
                              "[replay] data (or --data SYMBOL:file.csv)",
                              cfg->data[i].symbol);
    d->series = calloc(cfg->n_data, sizeof *d->series);
    d->symbols = calloc(cfg->n_data, sizeof *d->symbols);
    if (!d->series || !d->symbols)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    rc = gd_data_load(cfg->data, cfg->n_data, cfg->market_interval_ms, gd_config_skip_irregular(cfg), d->series,
                      res->data_sha256, err);
    if (rc)
        return rc;
    d->n_series = cfg->n_data;
    for (size_t i = 0; i < cfg->n_data; i++)
        d->symbols[i] = d->series[i].symbol;
    rc = gd_tape_build(d->series, d->n_series, &d->tape, err);
    if (rc)
        return rc;
    d->close = malloc((d->tape.n ? d->tape.n : 1) * sizeof *d->close);
    if (!d->close)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t k = 0; k < d->tape.n; k++)
        d->close[k] = d->tape.series[d->tape.sym[k]].bars[d->tape.idx[k]].close_time_ms;
    res->data_bars = d->tape.n;
    res->data_start = d->tape.n ? d->tape.series[d->tape.sym[0]].bars[d->tape.idx[0]].open_time_ms : 0;
    res->data_end = d->tape.n ? d->close[d->tape.n - 1] : 0;
    res->symbols = calloc(d->n_series, sizeof *res->symbols);
    if (!res->symbols)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->n_series; i++)
        if (!(res->symbols[res->n_symbols++] = strdup(d->series[i].symbol)))
            return gd_err_set(err, GD_ENOMEM, "out of memory");
    return 0;
}

static void data_free(ab_data *d)
{
    gd_tape_free(&d->tape);
    for (size_t i = 0; i < d->n_series; i++)
        gd_series_free(&d->series[i]);
    free(d->series);
    free(d->symbols);
    free(d->close);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------ configurations */

/* The configurations the ablation needs, each overlay set once. */
static size_t build_configs(const ab_ctx *c, ab_cfg *out)
{
    size_t n = 0, k = c->n_overlays;
    uint32_t all = k ? (uint32_t)((1ull << k) - 1) : 0;
    struct {
        uint32_t mask;
        char name[128];
    } want[MAX_CONFIGS];
    size_t nw = 0;
    want[nw].mask = 0;
    snprintf(want[nw++].name, 128, "baseline");
    for (size_t i = 0; i < k; i++) {
        want[nw].mask = 1u << i;
        snprintf(want[nw++].name, 128, "+%s", c->overlay_names[i]);
    }
    if (k > 1) {
        want[nw].mask = all;
        snprintf(want[nw++].name, 128, "all");
        for (size_t i = 0; i < k; i++) {
            want[nw].mask = all & ~(1u << i);
            snprintf(want[nw++].name, 128, "all-%s", c->overlay_names[i]);
        }
    }
    for (size_t i = 0; i < nw; i++) {
        size_t j;
        for (j = 0; j < n; j++)
            if (out[j].mask == want[i].mask)
                break;
        if (j < n)
            continue; /* e.g. with two overlays, all-a is +b */
        memset(&out[n], 0, sizeof out[n]);
        out[n].mask = want[i].mask;
        snprintf(out[n].name, sizeof out[n].name, "%s", want[i].name);
        for (size_t o = 0; o < k; o++)
            if ((want[i].mask & (1u << o)) && c->overlay_error[o][0]) {
                out[n].failed = 1;
                snprintf(out[n].reason, sizeof out[n].reason, "overlay %s failed to load: %.200s",
                         c->overlay_names[o], c->overlay_error[o]);
            }
        n++;
    }
    return n;
}

static int find_cfg(const ab_cfg *cfgs, size_t n, uint32_t mask)
{
    for (size_t i = 0; i < n; i++)
        if (cfgs[i].mask == mask)
            return (int)i;
    return NO_CFG;
}

/* ------------------------------------------------------------ aggregation */

/* Chains the windows' out-of-sample curves: each window's daily returns
 * compound onto where the previous one ended; sums the symbols' shares. */
static int concat_curve(const ab_run *runs, size_t n_wins, double equity0, size_t n_symbols, gd_ab_config *out,
                        gd_trade_stats *ts, gd_err *err)
{
    size_t total = 0;
    for (size_t w = 0; w < n_wins; w++)
        if (!runs[w].failed)
            total += runs[w].n;
    out->curve_t = malloc((total ? total : 1) * sizeof *out->curve_t);
    out->curve_eq = malloc((total ? total : 1) * sizeof *out->curve_eq);
    if (!out->curve_t || !out->curve_eq)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    double eq = equity0;
    memset(ts, 0, sizeof *ts);
    for (size_t w = 0; w < n_wins; w++) {
        const ab_run *r = &runs[w];
        if (r->failed || r->n == 0)
            continue;
        double base = r->eq[0];
        double start_eq = eq;
        /* Each symbol's share in the chained curve's money: the window's
         * PnL scales as its equity does, so the shares sum to the curve's. */
        for (size_t s = 0; r->sym && s < n_symbols; s++) {
            out->by_symbol[s].trades += r->sym[s].trades;
            out->by_symbol[s].wins += r->sym[s].wins;
            out->by_symbol[s].fees += r->sym[s].fees;
            out->by_symbol[s].net_pnl += base > 0 ? r->sym[s].net_pnl * (start_eq / base) : 0.0;
        }
        for (size_t i = 0; i < r->n; i++) {
            if (i == 0 && out->curve_n > 0 && out->curve_t[out->curve_n - 1] >= r->t[0])
                continue;
            double v = base > 0 ? start_eq * (r->eq[i] / base) : start_eq;
            out->curve_t[out->curve_n] = r->t[i];
            out->curve_eq[out->curve_n] = v;
            out->curve_n++;
            eq = v;
        }
        ts->trades += r->ts.trades;
        ts->wins += r->ts.wins;
        ts->gross_profit += r->ts.gross_profit;
        ts->gross_loss += r->ts.gross_loss;
        ts->fees += r->ts.fees;
        ts->sum_r += r->ts.sum_r;
        ts->r_count += r->ts.r_count;
        ts->bars += r->ts.bars;
        ts->exposed_bars += r->ts.exposed_bars;
    }
    return 0;
}

/* A window's metric for paired comparisons: a flat window has no Sharpe, and
 * a flat window is worth zero, not "unknown". */
static double pair_value(const gd_metrics *m, int metric)
{
    double v = m->v[metric];
    if (isnan(v) && (metric == GD_M_SHARPE || metric == GD_M_SORTINO) && m->na[metric] &&
        !strcmp(m->na[metric], GD_NA_NO_VARIANCE))
        return 0.0;
    return v;
}

static void effect(const gd_ab_result *res, int a, int b, int metric, double *scratch, gd_ab_effect *out)
{
    out->mean = out->lo = out->hi = NAN;
    out->n = 0;
    if (a < 0 || b < 0 || res->configs[a].failed || res->configs[b].failed)
        return;
    for (size_t w = 0; w < res->n_windows; w++) {
        const gd_ab_config *ca = &res->configs[a], *cb = &res->configs[b];
        if (ca->win_failed[w] || cb->win_failed[w])
            scratch[w] = NAN;
        else
            scratch[w] = pair_value(&ca->win[w], metric) - pair_value(&cb->win[w], metric);
    }
    /* Seeded per comparison so that results do not depend on order. */
    uint64_t seed = res->seed * 1000003u + (uint64_t)a * 7919u + (uint64_t)b * 104729u + (uint64_t)metric;
    out->n = gd_bootstrap_mean_ci(scratch, res->n_windows, res->bootstrap, seed, res->alpha, &out->mean, &out->lo,
                                  &out->hi);
}

static int verdicts(gd_ab_result *res, const ab_cfg *cfgs, const ab_ctx *c, gd_err *err)
{
    double *scratch = malloc((res->n_windows ? res->n_windows : 1) * sizeof *scratch);
    uint32_t all = c->n_overlays ? (uint32_t)((1ull << c->n_overlays) - 1) : 0;
    if (!scratch)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    int base = find_cfg(cfgs, res->n_configs, 0), top = find_cfg(cfgs, res->n_configs, all);
    for (size_t i = 0; i < c->n_overlays; i++) {
        gd_ab_overlay *o = &res->overlays[i];
        int alone = find_cfg(cfgs, res->n_configs, 1u << i);
        int but = find_cfg(cfgs, res->n_configs, all & ~(1u << i));
        snprintf(o->name, sizeof o->name, "%s", c->overlay_names[i]);
        for (int m = 0; m < GD_AB_N_EFFECT_METRICS; m++) {
            effect(res, alone, base, gd_ab_effect_metrics[m], scratch, &o->alone[m]);
            effect(res, top, but, gd_ab_effect_metrics[m], scratch, &o->marginal[m]);
        }
        const gd_ab_effect *s = &o->marginal[0];
        if (c->overlay_error[i][0]) {
            o->verdict = GD_AB_INCONCLUSIVE;
            snprintf(o->verdict_reason, sizeof o->verdict_reason, "failed to load");
        } else if (isnan(s->lo)) {
            o->verdict = GD_AB_INCONCLUSIVE;
            snprintf(o->verdict_reason, sizeof o->verdict_reason, "fewer than 2 comparable windows");
        } else if (s->lo > 0) {
            o->verdict = GD_AB_HELPS;
            snprintf(o->verdict_reason, sizeof o->verdict_reason,
                     "removing it lowers Sharpe: %g%% interval [%.3f, %.3f] above 0", 100.0 * (1.0 - res->alpha),
                     s->lo, s->hi);
        } else if (s->hi < 0) {
            o->verdict = GD_AB_HURTS;
            snprintf(o->verdict_reason, sizeof o->verdict_reason,
                     "removing it raises Sharpe: %g%% interval [%.3f, %.3f] below 0", 100.0 * (1.0 - res->alpha),
                     s->lo, s->hi);
        } else {
            o->verdict = GD_AB_INCONCLUSIVE;
            snprintf(o->verdict_reason, sizeof o->verdict_reason,
                     "marginal Sharpe interval [%.3f, %.3f] contains 0", s->lo, s->hi);
        }
    }
    free(scratch);
    return 0;
}

/* ------------------------------------------------------------ phases */

/* The settings, and the result's description of them. */
static int phase_settings(ab_job *j, gd_err *err)
{
    const gd_ablate_opts *o = j->o;
    gd_ab_result *res = j->res;
    const gd_ablate_settings *s = &j->s;
    int rc = gd_ablate_settings_parse(o->cfg, &j->s, err);
    if (rc)
        return rc;
    j->c.cfg = o->cfg;
    j->c.s = &j->s;
    j->c.plugin_dirs = o->plugin_dirs;
    j->c.progress = o->progress;
    res->schema = GD_ABLATE_SCHEMA;
    snprintf(res->git_describe, sizeof res->git_describe, "%s", GD_GIT_DESCRIBE);
    snprintf(res->config_path, sizeof res->config_path, "%s", o->config_path ? o->config_path : "");
    snprintf(res->objective, sizeof res->objective, "%s", gd_ablate_objective_name(s->objective));
    snprintf(res->mode, sizeof res->mode, "%s", s->anchored ? "anchored" : "rolling");
    res->train_ms = s->train_ms;
    res->test_ms = s->test_ms;
    res->step_ms = s->step_ms;
    res->periods_per_year = s->periods_per_year;
    res->bootstrap = s->bootstrap;
    res->alpha = s->alpha;
    res->seed = s->seed;
    res->equity = o->cfg->equity;
    res->jobs = o->jobs ? o->jobs : 1;
    return 0;
}

/* Warm-up: enough bars before each window for the slowest indicator. */
static void phase_warmup(ab_job *j)
{
    ab_ctx *c = &j->c;
    if (j->s.warmup_ms >= 0) {
        c->warmup_ms = j->s.warmup_ms;
        return;
    }
    uint32_t bars = gd_ab_plugins_warmup_bars(c);
    int64_t interval = 0;
    for (size_t i = 0; i < c->n_axes; i++)
        if (c->axes[i].is_int && c->axes[i].max > bars)
            bars = (uint32_t)c->axes[i].max;
    for (size_t i = 0; i < c->data.n_series; i++)
        if (c->data.series[i].interval_ms > interval)
            interval = c->data.series[i].interval_ms;
    c->warmup_ms = (int64_t)(bars + 1) * interval;
}

static int phase_windows(ab_job *j, gd_err *err)
{
    const gd_ablate_settings *s = &j->s;
    gd_ab_result *res = j->res;
    int64_t first_close = j->c.data.tape.n ? j->c.data.close[0] : 0;
    size_t nw = gd_ablate_windows(first_close, res->data_end, s, NULL, 0);
    if (nw == 0)
        return gd_err_set(err, GD_EINVAL,
                          "windows longer than the data: train %.1f d + test %.1f d = %.1f d, but the data spans "
                          "%.1f d",
                          (double)s->train_ms / (double)GD_DAY_MS, (double)s->test_ms / (double)GD_DAY_MS,
                          (double)(s->train_ms + s->test_ms) / (double)GD_DAY_MS,
                          (double)(res->data_end - first_close) / (double)GD_DAY_MS);
    res->windows = calloc(nw, sizeof *res->windows);
    if (!res->windows)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    res->n_windows = gd_ablate_windows(first_close, res->data_end, s, res->windows, nw);
    return 0;
}

static int phase_configs(ab_job *j, gd_err *err)
{
    gd_ab_result *res = j->res;
    res->n_configs = build_configs(&j->c, j->cfgs);
    res->configs = calloc(res->n_configs, sizeof *res->configs);
    res->overlays = calloc(j->c.n_overlays ? j->c.n_overlays : 1, sizeof *res->overlays);
    res->n_overlays = j->c.n_overlays;
    if (!res->configs || !res->overlays)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    res->param_sets = j->c.n_sets;
    res->trials = (uint64_t)res->n_configs * j->c.n_sets;
    return 0;
}

static int phase_runs(ab_job *j, gd_err *err)
{
    gd_ab_result *res = j->res;
    ab_plan p = {.c = &j->c,
                 .cfgs = j->cfgs,
                 .n_cfgs = res->n_configs,
                 .wins = res->windows,
                 .n_wins = res->n_windows,
                 .jobs = res->jobs,
                 .progress = j->o->progress,
                 .progress_tty = j->o->progress_tty,
                 .t0 = j->t0,
                 .shard_k = j->o->shard_k,
                 .shard_n = j->o->shard_n};
    int rc = gd_ab_run_all(&p, &j->runs, err);
    if (rc)
        return rc;
    res->runs = j->runs.runs;
    res->bars_run = j->runs.bars;
    return 0;
}

/* Window w's chosen parameters as people read them: "fast=12 slow=30". */
static char *params_text(const ab_ctx *c, uint64_t set)
{
    char buf[512] = "";
    double values[GD_AB_MAX_TUNE];
    size_t len = 0;
    gd_ablate_grid_point(c->axes, c->n_axes, set, values);
    for (size_t a = 0; a < c->n_axes && len < sizeof buf; a++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%g", a ? " " : "", c->axes[a].param, values[a]);
    return strdup(buf);
}

/* Configuration ci's windows: chosen parameters, metrics or the failure. */
static int config_windows(ab_job *j, size_t ci, size_t *ok, gd_err *err)
{
    gd_ab_result *res = j->res;
    gd_ab_config *rc_ = &res->configs[ci];
    const ab_run *runs = &j->runs.oos[ci * res->n_windows];
    *ok = 0;
    for (size_t w = 0; w < res->n_windows; w++) {
        rc_->win_params[w] = params_text(&j->c, j->runs.chosen[ci * res->n_windows + w]);
        if (!rc_->win_params[w])
            return gd_err_set(err, GD_ENOMEM, "out of memory");
        rc_->win_failed[w] = runs[w].failed;
        if (!runs[w].failed) {
            rc_->win[w] = runs[w].m;
            rc_->signals += runs[w].signals;
            for (int k = 0; k < GORDON_REJECT__COUNT; k++)
                rc_->by_result[k] += runs[w].by_result[k];
            (*ok)++;
        } else {
            for (int m = 0; m < GD_M__COUNT; m++) {
                rc_->win[w].v[m] = NAN;
                rc_->win[w].na[m] = "window failed";
            }
            if (!j->cfgs[ci].failed && !rc_->fail_reason[0])
                snprintf(rc_->fail_reason, sizeof rc_->fail_reason, "window %zu: %.200s", w, runs[w].error);
        }
    }
    return 0;
}

/* Configuration ci: its overlays, windows, chained curve, overall metrics. */
static int config_result(ab_job *j, size_t ci, gd_err *err)
{
    gd_ab_result *res = j->res;
    const ab_cfg *cf = &j->cfgs[ci];
    const ab_ctx *c = &j->c;
    gd_ab_config *rc_ = &res->configs[ci];
    gd_trade_stats ts;
    size_t ok;
    int rc;
    snprintf(rc_->name, sizeof rc_->name, "%s", cf->name);
    rc_->overlays = calloc(c->n_overlays ? c->n_overlays : 1, sizeof *rc_->overlays);
    rc_->win = calloc(res->n_windows, sizeof *rc_->win);
    rc_->win_failed = calloc(res->n_windows, sizeof *rc_->win_failed);
    rc_->win_params = calloc(res->n_windows, sizeof *rc_->win_params);
    rc_->by_symbol = calloc(res->n_symbols ? res->n_symbols : 1, sizeof *rc_->by_symbol);
    if (!rc_->overlays || !rc_->win || !rc_->win_failed || !rc_->win_params || !rc_->by_symbol)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->n_overlays; i++)
        if (cf->mask & (1u << i))
            if (!(rc_->overlays[rc_->n_overlays++] = strdup(c->overlay_names[i])))
                return gd_err_set(err, GD_ENOMEM, "out of memory");
    rc = config_windows(j, ci, &ok, err);
    if (rc)
        return rc;
    /* Its trades: every out-of-sample window's, in order, led by the window. */
    gd_buf tb = GD_BUF_INIT;
    gd_buf_printf(&tb, "window,%s", gd_trades_header());
    for (size_t w = 0; w < res->n_windows; w++) {
        const char *p = j->runs.oos[ci * res->n_windows + w].trades;
        while (p && *p) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
            gd_buf_printf(&tb, "%zu,", w);
            gd_buf_append(&tb, p, len);
            p += len;
        }
    }
    if (!(rc_->trades = gd_buf_take(&tb)))
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    if (cf->failed || ok == 0) {
        rc_->failed = 1;
        if (cf->failed)
            snprintf(rc_->fail_reason, sizeof rc_->fail_reason, "%s", cf->reason);
    }
    rc = concat_curve(&j->runs.oos[ci * res->n_windows], res->n_windows, res->equity, res->n_symbols, rc_, &ts,
                      err);
    if (rc)
        return rc;
    gd_metrics_compute(rc_->curve_t, rc_->curve_eq, rc_->curve_n, &ts, j->s.periods_per_year, &rc_->overall);
    if (rc_->failed)
        for (int m = 0; m < GD_M__COUNT; m++) {
            rc_->overall.v[m] = NAN;
            rc_->overall.na[m] = "configuration failed";
        }
    return 0;
}

/* Per configuration: windows, the chained curve, overall metrics. *sr_var:
 * the variance of the configurations' Sharpe ratios, for the Deflated
 * Sharpe, which needs the spread of Sharpe ratios measured on one sample:
 * the configurations' out-of-sample curves share theirs (the in-sample
 * windows are each too short and would inflate it). */
static int phase_curves(ab_job *j, double *sr_var, gd_err *err)
{
    gd_ab_result *res = j->res;
    size_t n_trial_sr = 0;
    int rc = 0;
    double *trial_sr = malloc(res->n_configs * sizeof *trial_sr);
    if (!trial_sr)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t ci = 0; ci < res->n_configs; ci++) {
        rc = config_result(j, ci, err);
        if (rc)
            goto out;
        const gd_ab_config *rc_ = &res->configs[ci];
        if (!rc_->failed && isfinite(rc_->overall.sr_period))
            trial_sr[n_trial_sr++] = rc_->overall.sr_period;
    }
    *sr_var = n_trial_sr >= 2 ? pow(gd_stddev(trial_sr, n_trial_sr), 2) : NAN;
out:
    free(trial_sr);
    return rc;
}

/* Deflated Sharpe: how likely the best is skill, given every trial. */
static void phase_dsr(ab_job *j, double sr_var)
{
    gd_ab_result *res = j->res;
    for (size_t ci = 0; ci < res->n_configs; ci++) {
        gd_ab_config *rc_ = &res->configs[ci];
        const gd_metrics *m = &rc_->overall;
        rc_->dsr = NAN;
        if (rc_->failed)
            rc_->dsr_na = "configuration failed";
        else if (!isfinite(m->sr_period))
            rc_->dsr_na = "no Sharpe ratio";
        else if (!isfinite(sr_var))
            rc_->dsr_na = "fewer than 2 trials with a Sharpe ratio";
        else {
            rc_->dsr = gd_deflated_sharpe(m->sr_period, sr_var, (double)res->trials, (double)m->n_returns,
                                          m->skew, m->kurt);
            if (isnan(rc_->dsr))
                rc_->dsr_na = "undefined for these returns";
        }
    }
}

/* ------------------------------------------------------------ shards */

/* What names one ablation's work: the same key, the same runs. Everything
 * a run's outcome depends on is in it: the binary, the effective
 * configuration (secrets never), the data's digest, each plugin's hash, the
 * windows, the configurations, the parameter grid and the warm-up. */
static int shard_key(const ab_job *j, char key[65], gd_err *err)
{
    const gd_ab_result *res = j->res;
    const ab_ctx *c = &j->c;
    gd_buf b = GD_BUF_INIT;
    char *cj = NULL;
    int rc = gd_config_json(j->o->cfg, (1u << 12) - 1, &cj, err);
    if (rc)
        return rc;
    gd_buf_printf(&b, "gordon ablate shard 1\ngit %s\nconfig %s\n%s\ndata %s\n", GD_GIT_DESCRIBE, res->config_path,
                  cj, res->data_sha256);
    free(cj);
    for (size_t i = 0; i < res->n_symbols; i++)
        gd_buf_printf(&b, "symbol %s\n", res->symbols[i]);
    for (size_t i = 0; i < res->n_plugins; i++)
        gd_buf_printf(&b, "plugin %s %s\n", res->plugins[i].instance, res->plugins[i].sha256);
    for (size_t w = 0; w < res->n_windows; w++)
        gd_buf_printf(&b, "window %lld %lld %lld %lld\n", (long long)res->windows[w].train_start,
                      (long long)res->windows[w].train_end, (long long)res->windows[w].test_start,
                      (long long)res->windows[w].test_end);
    for (size_t i = 0; i < res->n_configs; i++)
        gd_buf_printf(&b, "configuration %s %u %d %s\n", j->cfgs[i].name, (unsigned)j->cfgs[i].mask, j->cfgs[i].failed,
                      j->cfgs[i].reason);
    for (size_t i = 0; i < c->n_axes; i++)
        gd_buf_printf(&b, "axis %s %d %.17g %.17g %.17g %u %u\n", c->axes[i].param, c->axes[i].is_int, c->axes[i].min,
                      c->axes[i].max, c->axes[i].step, c->axes[i].count, c->axes[i].keep);
    gd_buf_printf(&b, "sets %llu\nwarmup %lld\n", (unsigned long long)c->n_sets, (long long)c->warmup_ms);
    if (b.failed) {
        gd_buf_free(&b);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    gd_sha256_buf(b.p, b.len, key);
    gd_buf_free(&b);
    return 0;
}

static int shard_hdr(const ab_job *j, ab_shard_hdr *h, gd_err *err)
{
    memset(h, 0, sizeof *h);
    h->k = j->o->shard_k;
    h->n = j->o->shard_n;
    snprintf(h->config_path, sizeof h->config_path, "%s", j->res->config_path);
    h->n_cfgs = (uint32_t)j->res->n_configs;
    h->n_wins = (uint32_t)j->res->n_windows;
    h->n_symbols = (uint32_t)j->res->n_symbols;
    h->n_sets = j->c.n_sets;
    return shard_key(j, h->key, err);
}

/* ------------------------------------------------------------ entry */

/* Everything before the runs: settings, plugins, data, warm-up, windows,
 * configurations. */
static int setup(ab_job *j, const gd_ablate_opts *o, gd_ab_result *res, gd_err *err)
{
    int rc;
    memset(res, 0, sizeof *res);
    memset(j, 0, sizeof *j);
    j->o = o;
    j->res = res;
    j->t0 = uv_hrtime();
    if ((rc = phase_settings(j, err)) != 0)
        return rc;
    if ((rc = gd_ab_plugins_load(&j->c, res, err)) != 0)
        return rc;
    if ((rc = load_data(&j->c, res, err)) != 0)
        return rc;
    phase_warmup(j);
    if ((rc = phase_windows(j, err)) != 0)
        return rc;
    return phase_configs(j, err);
}

/* Everything after: curves, the Deflated Sharpe, verdicts. */
static int finish(ab_job *j, gd_err *err)
{
    double sr_var = NAN;
    int rc = phase_curves(j, &sr_var, err);
    if (rc)
        return rc;
    phase_dsr(j, sr_var);
    if ((rc = verdicts(j->res, j->cfgs, &j->c, err)) != 0)
        return rc;
    j->res->seconds = (double)(uv_hrtime() - j->t0) / 1e9;
    return 0;
}

static void job_free(ab_job *j)
{
    gd_ab_runs_free(&j->runs);
    data_free(&j->c.data);
    gd_ab_plugins_free(&j->c);
}

int gd_ablate_run(const gd_ablate_opts *o, gd_ab_result *res, gd_err *err)
{
    ab_job j;
    int rc = setup(&j, o, res, err);
    if (!rc)
        rc = phase_runs(&j, err);
    if (!rc)
        rc = finish(&j, err);
    job_free(&j);
    if (rc)
        gd_ab_result_free(res);
    return rc;
}

int gd_ablate_shard(const gd_ablate_opts *o, const char *dir, gd_ab_shard_info *info, gd_err *err)
{
    ab_job j;
    gd_ab_result res;
    ab_shard_hdr h;
    memset(info, 0, sizeof *info);
    if (o->shard_n == 0 || o->shard_k >= o->shard_n)
        return gd_err_set(err, GD_EINVAL, "--shard %u/%u: K must be below N", o->shard_k, o->shard_n);
    int rc = setup(&j, o, &res, err);
    if (rc)
        goto out;
    size_t pairs = res.n_configs * res.n_windows;
    if (o->shard_n > pairs) {
        rc = gd_err_set(err, GD_EINVAL,
                        "--shard %u/%u: %zu configurations x %zu windows make only %zu pairs to share out; use at "
                        "most %zu shards",
                        o->shard_k, o->shard_n, res.n_configs, res.n_windows, pairs, pairs);
        goto out;
    }
    if ((rc = shard_hdr(&j, &h, err)) != 0 || (rc = phase_runs(&j, err)) != 0)
        goto out;
    h.runs = res.runs;
    h.bars = res.bars_run;
    if ((rc = gd_mkdirs(dir, 0755, err)) != 0)
        goto out;
    if ((size_t)snprintf(info->path, sizeof info->path, "%s/shard-%u-of-%u.gdab", dir, h.k, h.n) >=
        sizeof info->path) {
        rc = gd_err_set(err, GD_EINVAL, "%s: path too long", dir);
        goto out;
    }
    if ((rc = gd_ab_shard_write(info->path, &h, &j.runs, err)) != 0)
        goto out;
    for (size_t i = 0; i < pairs; i++)
        info->pairs += i % h.n == h.k;
    info->runs = h.runs;
    info->bars = h.bars;
    info->seconds = (double)(uv_hrtime() - j.t0) / 1e9;
out:
    job_free(&j);
    gd_ab_result_free(&res);
    return rc;
}

int gd_ablate_merge(const gd_ablate_opts *o, const char *const *paths, size_t n_paths, gd_ab_result *res,
                    gd_err *err)
{
    ab_job j;
    ab_shard_hdr want;
    int rc = setup(&j, o, res, err);
    if (!rc)
        rc = shard_hdr(&j, &want, err);
    if (!rc)
        rc = gd_ab_shard_merge(paths, n_paths, &want, j.s.periods_per_year, &j.runs, err);
    if (!rc) {
        res->runs = j.runs.runs;
        res->bars_run = j.runs.bars;
        res->shards = j.runs.shards;
        rc = finish(&j, err);
    }
    job_free(&j);
    if (rc)
        gd_ab_result_free(res);
    return rc;
}

int gd_ablate_shard_config(const char *const *paths, size_t n_paths, char *config, size_t cap, gd_err *err)
{
    return gd_ab_shard_config(paths, n_paths, config, cap, err);
}

void gd_ab_result_free(gd_ab_result *r)
{
    gd_strv_free(r->symbols, r->n_symbols);
    free(r->plugins);
    free(r->windows);
    for (size_t i = 0; r->configs && i < r->n_configs; i++) {
        gd_ab_config *c = &r->configs[i];
        gd_strv_free(c->overlays, c->n_overlays);
        free(c->win);
        free(c->win_failed);
        for (size_t w = 0; c->win_params && w < r->n_windows; w++)
            free(c->win_params[w]);
        free(c->win_params);
        free(c->curve_t);
        free(c->curve_eq);
        free(c->trades);
        free(c->by_symbol);
    }
    free(r->configs);
    free(r->overlays);
    memset(r, 0, sizeof *r);
}

const char *gd_ab_verdict_name(int verdict)
{
    return verdict >= 0 && verdict <= GD_AB_HURTS ? verdict_names[verdict] : verdict_names[GD_AB_INCONCLUSIVE];
}

/* a before b in the ranking (gd_ab_rank). */
static int rank_before(const gd_ab_result *r, size_t a, size_t b)
{
    const gd_ab_config *ca = &r->configs[a], *cb = &r->configs[b];
    if (!ca->failed != !cb->failed)
        return !ca->failed;
    double sa = ca->overall.v[GD_M_SHARPE], sb = cb->overall.v[GD_M_SHARPE];
    if (!ca->failed && isnan(sa) != isnan(sb))
        return !isnan(sa);
    if (!ca->failed && !isnan(sa) && sa != sb)
        return sa > sb;
    return a < b;
}

void gd_ab_rank(const gd_ab_result *r, size_t *order)
{
    /* Insertion sort: stable, and a few dozen configurations at most. */
    for (size_t i = 0; i < r->n_configs; i++) {
        size_t j = i;
        for (; j > 0 && rank_before(r, i, order[j - 1]); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
}
