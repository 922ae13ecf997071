/* ablation.json: the whole result, machine-readable, written atomically. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate_int.h"
#include "base/file.h"
#include "risk/pipeline.h"

/* The tree is built in full or not at all: an allocation that fails is
 * noted, and a file with members silently missing is never written. */
typedef struct jb {
    int oom;
} jb;

/* Adds item to parent, under key (or to an array when key is NULL). */
static cJSON *put(jb *j, cJSON *parent, const char *key, cJSON *item)
{
    if (item && parent && (key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item)))
        return item;
    cJSON_Delete(item);
    j->oom = 1;
    return NULL;
}

static void put_num(jb *j, cJSON *o, const char *k, double v) { put(j, o, k, cJSON_CreateNumber(v)); }
static void put_str(jb *j, cJSON *o, const char *k, const char *v) { put(j, o, k, cJSON_CreateString(v)); }
static void put_bool(jb *j, cJSON *o, const char *k, int v) { put(j, o, k, cJSON_CreateBool(v)); }

/* A value that may be undefined: null, as JSON has no NaN. */
static void put_real(jb *j, cJSON *o, const char *k, double v)
{
    put(j, o, k, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

static cJSON *metrics_json(jb *j, const gd_metrics *m)
{
    cJSON *o = cJSON_CreateObject(), *na = NULL;
    for (int i = 0; o && i < GD_M__COUNT; i++) {
        put_real(j, o, gd_metric_name(i), m->v[i]);
        if (isnan(m->v[i]) && m->na[i]) {
            if (!na)
                na = cJSON_CreateObject();
            put_str(j, na, gd_metric_name(i), m->na[i]);
        }
    }
    if (na)
        put(j, o, "n/a", na);
    return o;
}

static cJSON *effect_json(jb *j, const gd_ab_effect *e)
{
    cJSON *o = cJSON_CreateObject();
    put_real(j, o, "mean", e->mean);
    put_real(j, o, "lo", e->lo);
    put_real(j, o, "hi", e->hi);
    put_num(j, o, "windows", (double)e->n);
    return o;
}

/* The settings, the data, the plugins and the windows. */
static void setup_json(jb *j, cJSON *root, const gd_ab_result *r)
{
    put_num(j, root, "schema", r->schema);
    put_str(j, root, "generator", "gordon ablate");
    put_str(j, root, "git_describe", r->git_describe);
    put_str(j, root, "config", r->config_path);
    put_str(j, root, "strategy", r->strategy);
    put_str(j, root, "objective", r->objective);
    put_str(j, root, "mode", r->mode);
    put_num(j, root, "train_ms", (double)r->train_ms);
    put_num(j, root, "test_ms", (double)r->test_ms);
    put_num(j, root, "step_ms", (double)r->step_ms);
    put_num(j, root, "periods_per_year", r->periods_per_year);
    put_num(j, root, "bootstrap", r->bootstrap);
    put_num(j, root, "alpha", r->alpha);
    put_num(j, root, "seed", (double)r->seed);
    put_num(j, root, "equity", r->equity);
    put_num(j, root, "param_sets", (double)r->param_sets);
    put_num(j, root, "trials", (double)r->trials);
    put_num(j, root, "runs", (double)r->runs);

    cJSON *data = put(j, root, "data", cJSON_CreateObject());
    cJSON *syms = put(j, data, "symbols", cJSON_CreateArray());
    for (size_t i = 0; i < r->n_symbols; i++)
        put_str(j, syms, NULL, r->symbols[i]);
    put_num(j, data, "start_ms", (double)r->data_start);
    put_num(j, data, "end_ms", (double)r->data_end);
    put_num(j, data, "bars", (double)r->data_bars);

    cJSON *pl = put(j, root, "plugins", cJSON_CreateArray());
    for (size_t i = 0; i < r->n_plugins; i++) {
        cJSON *p = put(j, pl, NULL, cJSON_CreateObject());
        put_str(j, p, "instance", r->plugins[i].instance);
        put_str(j, p, "plugin", r->plugins[i].plugin);
        put_str(j, p, "version", r->plugins[i].version);
        put_str(j, p, "path", r->plugins[i].path);
        put_str(j, p, "sha256", r->plugins[i].sha256);
    }

    cJSON *wins = put(j, root, "windows", cJSON_CreateArray());
    for (size_t w = 0; w < r->n_windows; w++) {
        cJSON *o = put(j, wins, NULL, cJSON_CreateObject());
        put_num(j, o, "train_start_ms", (double)r->windows[w].train_start);
        put_num(j, o, "train_end_ms", (double)r->windows[w].train_end);
        put_num(j, o, "test_start_ms", (double)r->windows[w].test_start);
        put_num(j, o, "test_end_ms", (double)r->windows[w].test_end);
    }
}

static void config_json(jb *j, cJSON *cfgs, const gd_ab_result *r, const gd_ab_config *c)
{
    cJSON *o = put(j, cfgs, NULL, cJSON_CreateObject());
    put_str(j, o, "name", c->name);
    cJSON *ov = put(j, o, "overlays", cJSON_CreateArray());
    for (size_t k = 0; k < c->n_overlays; k++)
        put_str(j, ov, NULL, c->overlays[k]);
    put_bool(j, o, "failed", c->failed);
    if (c->failed)
        put_str(j, o, "fail_reason", c->fail_reason);
    put(j, o, "metrics", metrics_json(j, &c->overall));
    put_real(j, o, "deflated_sharpe", c->dsr);
    if (isnan(c->dsr) && c->dsr_na)
        put_str(j, o, "deflated_sharpe_n/a", c->dsr_na);
    cJSON *pw = put(j, o, "windows", cJSON_CreateArray());
    for (size_t w = 0; w < r->n_windows; w++) {
        cJSON *x = put(j, pw, NULL, cJSON_CreateObject());
        put_str(j, x, "params", c->win_params && c->win_params[w] ? c->win_params[w] : "");
        put_bool(j, x, "failed", c->win_failed ? c->win_failed[w] : 1);
        put(j, x, "metrics", metrics_json(j, &c->win[w]));
    }
    /* What the host's pipeline decided: where caps and breakers bit. */
    cJSON *pl = put(j, o, "pipeline", cJSON_CreateObject());
    put_num(j, pl, "signals", (double)c->signals);
    put_num(j, pl, "accepted", (double)c->by_result[GORDON_ACCEPTED]);
    cJSON *rj = put(j, pl, "rejected", cJSON_CreateObject());
    for (int k = 1; k < GORDON_REJECT__COUNT; k++)
        if (c->by_result[k])
            put_num(j, rj, gd_reject_name(k), (double)c->by_result[k]);
    cJSON *bs = put(j, o, "by_symbol", cJSON_CreateArray());
    for (size_t k = 0; c->by_symbol && k < r->n_symbols && !j->oom; k++) {
        const gd_ab_symbol *y = &c->by_symbol[k];
        cJSON *x = put(j, bs, NULL, cJSON_CreateObject());
        put_str(j, x, "symbol", r->symbols[k]);
        put_num(j, x, "trades", (double)y->trades);
        put_num(j, x, "wins", (double)y->wins);
        put_real(j, x, "win_rate", y->trades ? (double)y->wins / (double)y->trades : NAN);
        put_real(j, x, "net_pnl", y->net_pnl);
        put_real(j, x, "fees", y->fees);
    }
    cJSON *curve = put(j, o, "oos_curve", cJSON_CreateObject());
    cJSON *ct = put(j, curve, "t_ms", cJSON_CreateArray());
    cJSON *ce = put(j, curve, "equity", cJSON_CreateArray());
    for (size_t k = 0; k < c->curve_n && !j->oom; k++) {
        put_num(j, ct, NULL, (double)c->curve_t[k]);
        put_num(j, ce, NULL, c->curve_eq[k]);
    }
}

static void overlay_json(jb *j, cJSON *ovs, const gd_ab_overlay *ov)
{
    cJSON *o = put(j, ovs, NULL, cJSON_CreateObject());
    put_str(j, o, "name", ov->name);
    put_str(j, o, "verdict", gd_ab_verdict_name(ov->verdict));
    put_str(j, o, "verdict_reason", ov->verdict_reason);
    cJSON *al = put(j, o, "alone_vs_baseline", cJSON_CreateObject());
    cJSON *mg = put(j, o, "all_vs_all_but_it", cJSON_CreateObject());
    for (int m = 0; m < GD_AB_N_EFFECT_METRICS; m++) {
        put(j, al, gd_metric_name(gd_ab_effect_metrics[m]), effect_json(j, &ov->alone[m]));
        put(j, mg, gd_metric_name(gd_ab_effect_metrics[m]), effect_json(j, &ov->marginal[m]));
    }
}

cJSON *gd_ab_result_tree(const gd_ab_result *r)
{
    jb j = {0};
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    setup_json(&j, root, r);
    cJSON *cfgs = put(&j, root, "configurations", cJSON_CreateArray());
    for (size_t i = 0; i < r->n_configs && !j.oom; i++)
        config_json(&j, cfgs, r, &r->configs[i]);
    cJSON *ovs = put(&j, root, "overlays", cJSON_CreateArray());
    for (size_t i = 0; i < r->n_overlays && !j.oom; i++)
        overlay_json(&j, ovs, &r->overlays[i]);
    if (j.oom) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int gd_ab_write_json(const gd_ab_result *r, const char *path, gd_err *err)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return gd_err_set(err, GD_EINVAL, "%s: path too long", path);
    cJSON *root = gd_ab_result_tree(r);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return gd_err_set(err, GD_ENOMEM, "out of memory formatting %s", path);
    /* Written beside, then renamed: a reader never sees half a file. */
    FILE *f = fopen(tmp, "w");
    if (!f) {
        int e = errno;
        free(text);
        return gd_err_set(err, GD_EIO, "%s: %s", tmp, strerror(e));
    }
    int bad = fputs(text, f) == EOF || fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    free(text);
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return gd_err_set(err, GD_EIO, "%s: %s", path, strerror(e));
    }
    return 0;
}

int gd_ab_write_trades(const gd_ab_result *r, const char *dir, gd_err *err)
{
    char sub[4096], path[4352];
    if ((size_t)snprintf(sub, sizeof sub, "%s/trades", dir) >= sizeof sub)
        return gd_err_set(err, GD_EINVAL, "%s: path too long", dir);
    int rc = gd_mkdirs(sub, 0755, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[i];
        char name[sizeof c->name];
        size_t k = 0;
        for (; c->name[k] && k + 1 < sizeof name; k++)
            name[k] = isalnum((unsigned char)c->name[k]) || strchr("_+.-", c->name[k]) ? c->name[k] : '_';
        name[k] = '\0';
        if (!k || name[0] == '.')
            snprintf(name, sizeof name, "config%zu", i);
        snprintf(path, sizeof path, "%s/%s.csv", sub, name);
        const char *text = c->trades ? c->trades : "";
        if ((rc = gd_file_write_durable(path, text, strlen(text), err)) != 0)
            return rc;
    }
    return 0;
}
