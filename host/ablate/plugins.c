/* Plugin setup: every enabled plugin the ablation needs (the strategy it
 * evaluates, every overlay) is loaded once, here, and shared read-only by
 * all runs; each instance is recorded in the result with its hash. */
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate_int.h"
#include "base/names.h"
#include "plugin/path.h"

/* The strategy's parameters are what the grid searches (grid.c). */
static int build_axes(ab_ctx *c, const gd_plugin_lib *lib, const gd_plugin_conf *pc, gd_err *err)
{
    return gd_ab_axes_build(c, &lib->d, pc, err);
}

/* Opens one plugin into the cache; two libraries may not share a
 * descriptor name in one ablation, as in one generation of the daemon. */
static int open_plugin(ab_ctx *c, const gd_plugin_conf *pc, char *path, size_t cap, gd_plugin_lib **lib,
                       gd_err *err)
{
    int rc = gd_plugin_resolve(c->cfg, pc, &c->plugin_dirs, path, cap, err);
    if (!rc && !c->cache)
        rc = gd_libcache_new(&c->cache, err);
    if (!rc)
        rc = gd_libcache_open(c->cache, path, lib, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->n_libs; i++)
        if (c->libs[i] == *lib)
            return 0;
    rc = gd_plugin_name_unique(c->libs, c->n_libs, *lib, err);
    if (rc)
        return gd_err_prefix(err, rc, "%s: ", path);
    c->libs[c->n_libs++] = *lib;
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
        int rc = open_plugin(c, pc, path, sizeof path, &lib, &lerr);
        if (pc->kind == GORDON_KIND_OVERLAY) {
            if (c->n_overlays == MAX_OVERLAYS)
                return gd_err_set(err, GD_EINVAL, "more than %d overlays", MAX_OVERLAYS);
            size_t k = c->n_overlays++;
            snprintf(c->overlay_names[k], sizeof c->overlay_names[k], "%s", pc->name);
            gd_instance_label(c->overlay_labels[k], sizeof c->overlay_labels[k], pc->kind, pc->name);
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
        gd_instance_label(ap->instance, sizeof ap->instance, pc->kind, pc->name);
        snprintf(ap->plugin, sizeof ap->plugin, "%s", lib->d.name);
        snprintf(ap->version, sizeof ap->version, "%s", lib->d.version ? lib->d.version : "");
        snprintf(ap->path, sizeof ap->path, "%s", path); /* as configured; lib->path is the private copy */
        snprintf(ap->sha256, sizeof ap->sha256, "%s", lib->sha256_hex);
        if (pc == *strategy) {
            int brc = build_axes(c, lib, pc, err);
            if (brc)
                return brc;
        }
    }
    gd_instance_label(c->strategy_label, sizeof c->strategy_label, GORDON_KIND_STRATEGY, (*strategy)->name);
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
    for (size_t i = 0; i < c->n_libs; i++)
        if (c->libs[i]->d.warmup_bars > bars)
            bars = c->libs[i]->d.warmup_bars;
    return bars;
}

void gd_ab_plugins_free(ab_ctx *c)
{
    gd_libcache_free(c->cache);
    c->cache = NULL;
    c->n_libs = 0;
}
