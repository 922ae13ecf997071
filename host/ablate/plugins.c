/* Plugin setup: every enabled plugin the ablation needs (the strategy it
 * evaluates, every overlay) is loaded once, here, and shared read-only by
 * all runs; each instance is recorded in the result with its hash. */
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate_int.h"
#include "base/names.h"

/* The strategy's parameters are what the grid searches (grid.c). */
static int build_axes(ab_ctx *c, const gd_plugin_lib *lib, const gd_plugin_conf *pc, gd_err *err)
{
    return gd_ab_axes_build(c, &lib->d, pc, err);
}

static int resolve_path(const ab_ctx *c, const gd_plugin_conf *pc, char *buf, size_t cap)
{
    if (pc->plugin_path)
        snprintf(buf, cap, "%s", pc->plugin_path);
    else if (strchr(pc->plugin, '/'))
        snprintf(buf, cap, "%s", pc->plugin);
    else
        snprintf(buf, cap, "%s/%s.so", c->plugin_dir ? c->plugin_dir : ".", pc->plugin);
    return 0;
}

/* Plugins load once, in this thread; each enabled instance is recorded. */
static int load_plugins(ab_ctx *c, gd_ab_result *res, const gd_plugin_conf **strategy, gd_err *err)
{
    const gd_config *cfg = c->cfg;
    size_t n_strat = 0;
    *strategy = NULL;
    res->plugins = calloc(cfg->n_plugins ? cfg->n_plugins : 1, sizeof *res->plugins);
    if (!res->plugins)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *pc = &cfg->plugins[i];
        if (!pc->enabled)
            continue;
        if (pc->kind == GORDON_KIND_STRATEGY) {
            n_strat++;
            if (c->s->strategy[0] ? !strcmp(pc->name, c->s->strategy) : !*strategy)
                *strategy = pc;
        }
    }
    if (!*strategy) {
        if (c->s->strategy[0])
            return gd_err_set(err, GD_ENOENT, "[ablate] strategy = %s: no enabled [strategy.%s] section",
                              c->s->strategy, c->s->strategy);
        return gd_err_set(err, GD_EINVAL, "no enabled [strategy.NAME] section to evaluate");
    }
    if (n_strat > 1 && !c->s->strategy[0])
        return gd_err_set(err, GD_EINVAL,
                          "%zu strategies are enabled: name the one to evaluate with [ablate] strategy = NAME",
                          n_strat);
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *pc = &cfg->plugins[i];
        char path[4096];
        gd_plugin_lib *lib = NULL;
        gd_err lerr;
        /* Other strategies stay out: the ablation evaluates one. */
        if (!pc->enabled || (pc->kind == GORDON_KIND_STRATEGY && pc != *strategy))
            continue;
        resolve_path(c, pc, path, sizeof path);
        int rc = gd_plugin_set_add(&c->plugins, path, &lib, &lerr);
        if (pc->kind == GORDON_KIND_OVERLAY) {
            if (c->n_overlays == MAX_OVERLAYS)
                return gd_err_set(err, GD_EINVAL, "more than %d overlays", MAX_OVERLAYS);
            size_t k = c->n_overlays++;
            snprintf(c->overlay_names[k], sizeof c->overlay_names[k], "%s", pc->name);
            snprintf(c->overlay_labels[k], sizeof c->overlay_labels[k], "overlay.%s", pc->name);
            /* An overlay that fails to load fails only the configurations using it. */
            if (rc)
                snprintf(c->overlay_error[k], sizeof c->overlay_error[k], "%.250s", lerr.msg);
        }
        if (rc) {
            if (pc->kind == GORDON_KIND_OVERLAY)
                continue;
            return gd_err_prefix(&lerr, rc, "%s:%d: [%s.%s]: ", pc->file, pc->line, gd_kind_name(pc->kind),
                                 pc->name),
                   memcpy(err, &lerr, sizeof *err), rc;
        }
        gd_ab_plugin *ap = &res->plugins[res->n_plugins++];
        snprintf(ap->instance, sizeof ap->instance, "%s.%s", gd_kind_name(pc->kind), pc->name);
        snprintf(ap->plugin, sizeof ap->plugin, "%s", lib->d.name);
        snprintf(ap->version, sizeof ap->version, "%s", lib->d.version ? lib->d.version : "");
        snprintf(ap->path, sizeof ap->path, "%s", lib->path);
        snprintf(ap->sha256, sizeof ap->sha256, "%s", lib->sha256_hex);
        if (pc == *strategy) {
            int brc = build_axes(c, lib, pc, err);
            if (brc)
                return brc;
        }
    }
    snprintf(c->strategy_label, sizeof c->strategy_label, "strategy.%s", (*strategy)->name);
    return 0;
}

int gd_ab_plugins_load(ab_ctx *c, gd_ab_result *res, gd_err *err)
{
    const gd_plugin_conf *strategy;
    int rc = load_plugins(c, res, &strategy, err);
    if (rc)
        return rc;
    snprintf(res->strategy, sizeof res->strategy, "%s", c->strategy_label);
    return 0;
}

uint32_t gd_ab_plugins_warmup_bars(const ab_ctx *c)
{
    uint32_t bars = 0;
    for (size_t i = 0; i < c->plugins.n; i++)
        if (c->plugins.libs[i]->d.warmup_bars > bars)
            bars = c->plugins.libs[i]->d.warmup_bars;
    return bars;
}

void gd_ab_plugins_free(ab_ctx *c)
{
    gd_plugin_set_free(&c->plugins);
}
