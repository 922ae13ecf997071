#include "daemon/breaker_hist.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"
#include "data/replay.h"
#include "engine/engine.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p of them at or below it. */
static double pct(const double *v, size_t n, double p)
{
    size_t k = (size_t)ceil(p * (double)n);
    return v[k ? k - 1 : 0];
}

static const char *param(const gd_plugin_conf *pc, const char *key)
{
    for (size_t i = 0; i < pc->n_params; i++)
        if (!strcmp(pc->params[i].key, key))
            return pc->params[i].value;
    return NULL;
}

int gd_breaker_history(void *arg, const gd_config *cfg, const gd_plugin_conf *pc, const gd_data_conf *data, size_t n,
                       const char *data_sha256, gd_pf_range *out, char *why, size_t cap)
{
    const gd_plugin_dirs *dirs = arg;
    gd_series *series = calloc(n ? n : 1, sizeof *series);
    const char **symbols = calloc(n ? n : 1, sizeof *symbols);
    char(*skip)[128] = calloc(cfg->n_plugins ? cfg->n_plugins : 1, sizeof *skip);
    const char **skipp = calloc(cfg->n_plugins ? cfg->n_plugins : 1, sizeof *skipp);
    gd_tape tape;
    gd_engine *e = NULL;
    double *vals = NULL;
    gd_err err;
    size_t loaded = 0, m = 0, above = 0;
    int rc = -1;
    memset(&tape, 0, sizeof tape);
    memset(out, 0, sizeof *out);
    if (!series || !symbols || !skip || !skipp) {
        snprintf(why, cap, "out of memory");
        goto out;
    }
    /* The digest the ablation recorded, computed the same way: the files
     * must be the ones it ran on. */
    char digest[65];
    if (gd_data_load(data, n, cfg->market_interval_ms, gd_config_skip_irregular(cfg), series, digest, &err) != 0) {
        snprintf(why, cap, "%s", err.msg);
        goto out;
    }
    loaded = n;
    for (size_t i = 0; i < n; i++)
        symbols[i] = series[i].symbol;
    if (strcmp(digest, data_sha256) != 0) {
        snprintf(why, cap, "the files changed since the ablation ran (their digest is %.12s..., recorded %.12s...)",
                 digest, data_sha256);
        goto out;
    }
    if (gd_tape_build(series, n, &tape, &err) != 0) {
        snprintf(why, cap, "%s", err.msg);
        goto out;
    }
    /* Only this breaker and the strategies (an engine trades something)
     * run, and nothing trades: the other sections are left out. */
    uint32_t n_skip = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *p = &cfg->plugins[i];
        if (p == pc || !p->enabled || p->kind == GORDON_KIND_STRATEGY)
            continue;
        gd_instance_label(skip[n_skip], sizeof skip[n_skip], p->kind, p->name);
        skipp[n_skip] = skip[n_skip];
        n_skip++;
    }
    gd_engine_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.cfg = cfg;
    eo.symbols = symbols;
    eo.n_symbols = (uint32_t)n;
    eo.plugin_dirs = *dirs;
    eo.skip = skipp;
    eo.n_skip = n_skip;
    eo.trade_from_ms = INT64_MAX;
    if (gd_engine_new(&eo, &e, &err) != 0) {
        snprintf(why, cap, "%s", err.msg);
        goto out;
    }
    uint32_t bi = UINT32_MAX, nb = gd_engine_breaker_count(e);
    for (uint32_t i = 0; i < nb; i++) {
        gd_breaker_view bv;
        if (gd_engine_breaker(e, i, &bv) == 0 && !strcmp(bv.name, pc->name))
            bi = i;
    }
    if (bi == UINT32_MAX) {
        snprintf(why, cap, "breaker %s did not start", pc->name);
        goto out;
    }
    if (!(vals = malloc((tape.n ? tape.n : 1) * sizeof *vals))) {
        snprintf(why, cap, "out of memory");
        goto out;
    }
    const char *tv = param(pc, "threshold");
    double t = tv ? atof(tv) : INFINITY;
    int warm = 0;
    for (size_t k = 0; k < tape.n; k++) {
        gd_engine_on_bar(e, tape.sym[k], gd_tape_bar(&tape, k));
        gd_breaker_view bv;
        if (gd_engine_breaker(e, bi, &bv) != 0 || !isfinite(bv.last.value))
            continue;
        if (!warm && bv.last.value == 0)
            continue;
        warm = 1;
        vals[m++] = bv.last.value;
        if (bv.last.value >= t - 1e-9)
            above++;
    }
    if (m == 0) {
        snprintf(why, cap, "it gave no value on %zu bars (too little data for its windows?)", tape.n);
        goto out;
    }
    qsort(vals, m, sizeof *vals, cmp_double);
    out->bars = m;
    out->min = vals[0];
    out->p50 = pct(vals, m, 0.50);
    out->p95 = pct(vals, m, 0.95);
    out->p99 = pct(vals, m, 0.99);
    out->max = vals[m - 1];
    out->above_pct = 100.0 * (double)above / (double)m;
    rc = 0;
out:
    gd_engine_free(e);
    gd_tape_free(&tape);
    for (size_t i = 0; i < loaded; i++)
        gd_series_free(&series[i]);
    free(vals);
    free(series);
    free(symbols);
    free(skip);
    free(skipp);
    return rc;
}
