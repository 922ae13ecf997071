/* ablation.json: the whole result, machine-readable, written atomically. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate_int.h"

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *metrics_json(const gd_metrics *m)
{
    cJSON *o = cJSON_CreateObject(), *na = NULL;
    for (int i = 0; i < GD_M__COUNT; i++) {
        add_num(o, gd_metric_name(i), m->v[i]);
        if (isnan(m->v[i]) && m->na[i]) {
            if (!na)
                na = cJSON_CreateObject();
            cJSON_AddStringToObject(na, gd_metric_name(i), m->na[i]);
        }
    }
    if (na)
        cJSON_AddItemToObject(o, "n/a", na);
    return o;
}

static cJSON *effect_json(const gd_ab_effect *e)
{
    cJSON *o = cJSON_CreateObject();
    add_num(o, "mean", e->mean);
    add_num(o, "lo", e->lo);
    add_num(o, "hi", e->hi);
    cJSON_AddNumberToObject(o, "windows", (double)e->n);
    return o;
}

static cJSON *result_json(const gd_ab_result *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "schema", r->schema);
    cJSON_AddStringToObject(root, "generator", "gordon ablate");
    cJSON_AddStringToObject(root, "git_describe", r->git_describe);
    cJSON_AddStringToObject(root, "config", r->config_path);
    cJSON_AddStringToObject(root, "strategy", r->strategy);
    cJSON_AddStringToObject(root, "objective", r->objective);
    cJSON_AddStringToObject(root, "mode", r->mode);
    cJSON_AddNumberToObject(root, "train_ms", (double)r->train_ms);
    cJSON_AddNumberToObject(root, "test_ms", (double)r->test_ms);
    cJSON_AddNumberToObject(root, "step_ms", (double)r->step_ms);
    cJSON_AddNumberToObject(root, "periods_per_year", r->periods_per_year);
    cJSON_AddNumberToObject(root, "bootstrap", r->bootstrap);
    cJSON_AddNumberToObject(root, "seed", (double)r->seed);
    cJSON_AddNumberToObject(root, "equity", r->equity);
    cJSON_AddNumberToObject(root, "param_sets", (double)r->param_sets);
    cJSON_AddNumberToObject(root, "trials", (double)r->trials);
    cJSON_AddNumberToObject(root, "runs", (double)r->runs);

    cJSON *data = cJSON_AddObjectToObject(root, "data");
    cJSON *syms = cJSON_AddArrayToObject(data, "symbols");
    for (size_t i = 0; i < r->n_symbols; i++)
        cJSON_AddItemToArray(syms, cJSON_CreateString(r->symbols[i]));
    cJSON_AddNumberToObject(data, "start_ms", (double)r->data_start);
    cJSON_AddNumberToObject(data, "end_ms", (double)r->data_end);
    cJSON_AddNumberToObject(data, "bars", (double)r->data_bars);

    cJSON *pl = cJSON_AddArrayToObject(root, "plugins");
    for (size_t i = 0; i < r->n_plugins; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "instance", r->plugins[i].instance);
        cJSON_AddStringToObject(p, "plugin", r->plugins[i].plugin);
        cJSON_AddStringToObject(p, "version", r->plugins[i].version);
        cJSON_AddStringToObject(p, "path", r->plugins[i].path);
        cJSON_AddStringToObject(p, "sha256", r->plugins[i].sha256);
        cJSON_AddItemToArray(pl, p);
    }

    cJSON *wins = cJSON_AddArrayToObject(root, "windows");
    for (size_t w = 0; w < r->n_windows; w++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "train_start_ms", (double)r->windows[w].train_start);
        cJSON_AddNumberToObject(o, "train_end_ms", (double)r->windows[w].train_end);
        cJSON_AddNumberToObject(o, "test_start_ms", (double)r->windows[w].test_start);
        cJSON_AddNumberToObject(o, "test_end_ms", (double)r->windows[w].test_end);
        cJSON_AddItemToArray(wins, o);
    }

    cJSON *cfgs = cJSON_AddArrayToObject(root, "configurations");
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON *ov = cJSON_AddArrayToObject(o, "overlays");
        for (size_t k = 0; k < c->n_overlays; k++)
            cJSON_AddItemToArray(ov, cJSON_CreateString(c->overlays[k]));
        cJSON_AddBoolToObject(o, "failed", c->failed);
        if (c->failed)
            cJSON_AddStringToObject(o, "fail_reason", c->fail_reason);
        cJSON_AddItemToObject(o, "metrics", metrics_json(&c->overall));
        add_num(o, "deflated_sharpe", c->dsr);
        if (isnan(c->dsr) && c->dsr_na)
            cJSON_AddStringToObject(o, "deflated_sharpe_n/a", c->dsr_na);
        cJSON *pw = cJSON_AddArrayToObject(o, "windows");
        for (size_t w = 0; w < r->n_windows; w++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "params", c->win_params && c->win_params[w] ? c->win_params[w] : "");
            cJSON_AddBoolToObject(x, "failed", c->win_failed ? c->win_failed[w] : 1);
            cJSON_AddItemToObject(x, "metrics", metrics_json(&c->win[w]));
            cJSON_AddItemToArray(pw, x);
        }
        cJSON *curve = cJSON_AddObjectToObject(o, "oos_curve");
        cJSON *ct = cJSON_AddArrayToObject(curve, "t_ms");
        cJSON *ce = cJSON_AddArrayToObject(curve, "equity");
        for (size_t k = 0; k < c->curve_n; k++) {
            cJSON_AddItemToArray(ct, cJSON_CreateNumber((double)c->curve_t[k]));
            cJSON_AddItemToArray(ce, cJSON_CreateNumber(c->curve_eq[k]));
        }
        cJSON_AddItemToArray(cfgs, o);
    }

    cJSON *ovs = cJSON_AddArrayToObject(root, "overlays");
    for (size_t i = 0; i < r->n_overlays; i++) {
        const gd_ab_overlay *ov = &r->overlays[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", ov->name);
        cJSON_AddStringToObject(o, "verdict", gd_ab_verdict_name(ov->verdict));
        cJSON_AddStringToObject(o, "verdict_reason", ov->verdict_reason);
        cJSON *al = cJSON_AddObjectToObject(o, "alone_vs_baseline");
        cJSON *mg = cJSON_AddObjectToObject(o, "all_vs_all_but_it");
        for (int m = 0; m < GD_AB_N_EFFECT_METRICS; m++) {
            cJSON_AddItemToObject(al, gd_metric_name(gd_ab_effect_metrics[m]), effect_json(&ov->alone[m]));
            cJSON_AddItemToObject(mg, gd_metric_name(gd_ab_effect_metrics[m]), effect_json(&ov->marginal[m]));
        }
        cJSON_AddItemToArray(ovs, o);
    }
    return root;
}

int gd_ab_write_json(const gd_ab_result *r, const char *path, gd_err *err)
{
    cJSON *root = result_json(r);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return gd_err_set(err, GD_ENOMEM, "out of memory formatting %s", path);
    /* Written beside, then renamed: a reader never sees half a file. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
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
