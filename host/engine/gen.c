/* Generations: the plugin instances of one configuration, built whole next
 * to the running set, warmed up or restored, and swapped in by a reload. */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/log.h"
#include "base/names.h"
#include "base/rodata.h"
#include "base/strv.h"
#include "engine/simexec.h"
#include "plugin/path.h"

static int name_skipped(const gd_engine *e, const char *name)
{
    for (uint32_t i = 0; i < e->n_skip; i++)
        if (strcmp(e->skip[i], name) == 0)
            return 1;
    return 0;
}

/* ----- generations */

static void inst_free(gd_inst *in)
{
    if (in->self && in->d && in->d->destroy)
        GD_CALL_AS(in->handle, in->d->destroy(in->self));
    in->self = NULL;
    /* From here any call with this instance's handle is refused. */
    gd_handle_free(in->handle);
    in->handle = NULL;
    gd_params_free(&in->params);
    gd_rodata_free(&in->pstr_ro);
    free(in->pstr);
    free(in->scratch);
    free(in->sub);
    free(in->name);
}

void gd_gen_free(gd_engine *e, gd_gen *g)
{
    if (!g)
        return;
    for (uint32_t i = 0; i < g->n_insts; i++)
        inst_free(&g->insts[i]);
    if (g->dispatch)
        for (uint32_t s = 0; s < e->n_symbols; s++) {
            free(g->dispatch[s].pre);
            free(g->dispatch[s].strat);
        }
    free(g->dispatch);
    if (e->own_cache)
        for (uint32_t i = 0; i < g->n_libs; i++)
            gd_libcache_release(e->cache, g->libs[i]);
    free(g->libs);
    gd_strv_free(g->new_slots, g->n_new_slots);
    free(g->by_slot);
    free(g->insts);
    free(g->strategies);
    free(g->breakers);
    free(g->overlays);
    free(g->overlay_insts);
    free(g->ov_scratch);
    if (g->owned_cfg) {
        gd_config_free(g->owned_cfg);
        free(g->owned_cfg);
    }
    free(g);
}

/* The slot of a strategy name: its old one, one this generation already
 * added, or a new one after both. */
static int assign_slot(const gd_engine *e, gd_gen *g, const char *name, uint32_t *slot)
{
    for (uint32_t i = 0; i < e->n_slots; i++)
        if (!strcmp(e->slot_names[i], name)) {
            *slot = i;
            return 0;
        }
    for (uint32_t i = 0; i < g->n_new_slots; i++)
        if (!strcmp(g->new_slots[i], name)) {
            *slot = e->n_slots + i;
            return 0;
        }
    char **grown = realloc(g->new_slots, (g->n_new_slots + 1) * sizeof *grown);
    if (!grown)
        return GD_ENOMEM;
    g->new_slots = grown;
    if (!(g->new_slots[g->n_new_slots] = strdup(name)))
        return GD_ENOMEM;
    *slot = e->n_slots + g->n_new_slots++;
    return 0;
}

/* The instance's library: opened through the cache (one reference per
 * generation), or found among the plugins a caller preloaded. */
static int instance_lib(gd_engine *e, gd_gen *g, const gd_plugin_conf *pc, gd_inst *in, const char *path,
                        gd_err *err)
{
    int rc;
    if (!e->own_cache) {
        in->lib = gd_libcache_find(e->cache, path);
        if (!in->lib)
            return gd_err_set(err, GD_ENOENT, "%s:%d: [%s]: %s was not preloaded", pc->file, pc->line, in->name,
                              path);
    } else {
        rc = gd_libcache_open(e->cache, path, &in->lib, err);
        gd_libcache_counts(e->cache, &e->ctr.loads_ok, &e->ctr.loads_failed);
        if (rc)
            return gd_err_prefix(err, rc, "%s:%d: [%s]: ", pc->file, pc->line, in->name);
    }
    for (uint32_t i = 0; i < g->n_libs; i++)
        if (g->libs[i] == in->lib) {
            if (e->own_cache) /* one reference per generation */
                gd_libcache_release(e->cache, in->lib);
            return 0;
        }
    rc = gd_plugin_name_unique(g->libs, g->n_libs, in->lib, err);
    if (!rc) {
        gd_plugin_lib **grown = realloc(g->libs, (g->n_libs + 1) * sizeof *grown);
        if (grown) {
            g->libs = grown;
            g->libs[g->n_libs++] = in->lib;
            return 0;
        }
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    if (e->own_cache)
        gd_libcache_release(e->cache, in->lib);
    in->lib = NULL;
    return rc == GD_EEXIST ? gd_err_prefix(err, rc, "%s:%d: [%s]: ", pc->file, pc->line, in->name) : rc;
}

/* The history an instance needs: its descriptor's warmup_bars, or more when
 * its warmup() says its parameters need more (SDK 1.2). */
static int instance_warmup(gd_inst *in, const gd_plugin_conf *pc, gd_err *err)
{
    in->warmup = in->d->warmup_bars;
    if (!in->d->warmup)
        return 0;
    uint32_t w;
    GD_CALL_AS(in->handle, w = in->d->warmup(in->self));
    if (w > GORDON_WARMUP_BARS_MAX)
        return gd_err_set(err, GD_ERANGE, "%s:%d: [%s]: plugin %s asks for a warm-up of %u bars; the limit is %u",
                          pc->file, pc->line, in->name, in->d->name, w, GORDON_WARMUP_BARS_MAX);
    if (w > in->warmup)
        in->warmup = w;
    return 0;
}

static int setup_instance(gd_engine *e, gd_gen *g, const gd_plugin_conf *pc, gd_inst *in, gd_err *err)
{
    char path[4096];
    /* The generation's own config: a reload resolves with its plugin_dir. */
    gd_plugin_dirs dirs = {(const char *const *)e->plugin_dirs, e->n_plugin_dirs, e->plugin_dir_last};
    int rc = gd_plugin_resolve(g->cfg, pc, &dirs, path, sizeof path, err);
    if (rc)
        return rc;
    in->kind = pc->kind;
    in->last.struct_size = sizeof in->last;
    if (pc->kind == GORDON_KIND_BREAKER) {
        if (!(in->scratch = calloc(1, sizeof *in->scratch + GD_REASON_SLACK)))
            return gd_err_set(err, GD_ENOMEM, "out of memory");
        in->scratch->struct_size = sizeof *in->scratch;
    }
    in->eng = e;
    in->cfg = g->cfg;
    size_t nl = strlen(pc->name) + 16;
    in->name = malloc(nl);
    in->sub = calloc(e->n_symbols ? e->n_symbols : 1, 1);
    if (!in->name || !in->sub)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    gd_instance_label(in->name, nl, pc->kind, pc->name);
    in->short_name = strchr(in->name, '.') + 1;

    rc = instance_lib(e, g, pc, in, path, err);
    if (rc)
        return rc;
    in->d = &in->lib->d;
    if (e->wconf) {
        gd_isolate_desc(&in->lib->d, &in->dproxy);
        in->d = &in->dproxy;
    }
    if (in->d->kind != pc->kind)
        return gd_err_set(err, GD_EINVAL, "%s:%d: [%s]: plugin %s is a %s, not a %s", pc->file, pc->line,
                          in->name, in->d->name, gd_kind_name(in->d->kind), gd_kind_name(pc->kind));
    rc = gd_params_bind(in->d, pc, &in->params, err);
    if (rc)
        return rc;
    for (uint32_t k = 0; k < e->n_overrides; k++) {
        const gd_param_override *ov = &e->overrides[k];
        if (strcmp(ov->instance, in->name) != 0)
            continue;
        rc = gd_params_set_number(&in->params, ov->param, ov->value, err);
        if (rc)
            return gd_err_prefix(err, rc, "[%s] %s: ", in->name, ov->param);
    }
    /* String values go to the plugin read-only: a write through the
     * pointer param_string gives must not reach the host's heap. */
    if (in->params.n) {
        const char **vals = calloc(in->params.n, sizeof *vals);
        if (!vals || !(in->pstr = calloc(in->params.n, sizeof *in->pstr))) {
            free(vals);
            return gd_err_set(err, GD_ENOMEM, "out of memory");
        }
        for (size_t k = 0; k < in->params.n; k++)
            if (in->params.v[k].decl.type == GORDON_PARAM_STRING)
                vals[k] = in->params.v[k].s ? in->params.v[k].s : "";
        rc = gd_rodata_strings(&in->pstr_ro, vals, in->params.n, in->pstr, err);
        free(vals);
        if (rc)
            return gd_err_prefix(err, rc, "%s:%d: [%s]: ", pc->file, pc->line, in->name);
    }

    if (pc->n_symbols == 0) {
        memset(in->sub, 1, e->n_symbols);
    } else {
        for (size_t k = 0; k < pc->n_symbols; k++) {
            uint32_t s;
            for (s = 0; s < e->n_symbols; s++)
                if (strcmp(e->symbols[s], pc->symbols[k]) == 0)
                    break;
            if (s == e->n_symbols)
                return gd_err_set(err, GD_EINVAL, "%s:%d: [%s] symbols: %s has no market data configured",
                                  pc->file, pc->line, in->name, pc->symbols[k]);
            in->sub[s] = 1;
        }
    }
    if (pc->kind == GORDON_KIND_STRATEGY && assign_slot(e, g, pc->name, &in->slot) != 0)
        return gd_err_set(err, GD_ENOMEM, "out of memory");

    char perr[512] = "";
    e->in_create = 1;
    if (!(in->handle = gd_handle_new(in)))
        return gd_err_set(err, GD_ENOMEM, "%s:%d: [%s]: too many plugin instances in this process", pc->file,
                          pc->line, in->name);
    GD_CALL_AS(in->handle, rc = in->d->create(e->api, in->handle, &in->self, perr, sizeof perr));
    e->in_create = 0;
    perr[sizeof perr - 1] = '\0';
    if (rc != 0) {
        in->self = NULL;
        return gd_err_set(err, GD_EPLUGIN, "%s:%d: [%s]: plugin %s failed to create: %s", pc->file, pc->line,
                          in->name, in->d->name, perr[0] ? perr : "no reason given");
    }
    return instance_warmup(in, pc, err);
}

static int build_dispatch(gd_engine *e, gd_gen *g, gd_err *err)
{
    g->dispatch = calloc(e->n_symbols, sizeof *g->dispatch);
    if (!g->dispatch)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (uint32_t s = 0; s < e->n_symbols; s++) {
        gd_dispatch *d = &g->dispatch[s];
        d->pre = calloc(g->n_insts ? g->n_insts : 1, sizeof *d->pre);
        d->strat = calloc(g->n_insts ? g->n_insts : 1, sizeof *d->strat);
        if (!d->pre || !d->strat)
            return gd_err_set(err, GD_ENOMEM, "out of memory");
        /* Breakers and overlays see the bar before strategies act on it. */
        for (uint32_t i = 0; i < g->n_insts; i++) {
            gd_inst *in = &g->insts[i];
            if (!in->sub[s] || !in->d->on_bar)
                continue;
            if (in->kind == GORDON_KIND_STRATEGY)
                d->strat[d->n_strat++] = (gd_call){in->d->on_bar, in->self, in, in->handle};
            else
                d->pre[d->n_pre++] = (gd_call){in->d->on_bar, in->self, in, in->handle};
        }
    }
    return 0;
}

/* Bar history long enough for the largest declared warm-up; grows (keeping
 * what it has) when a reload brings a plugin that needs more. */
int gd_engine_ensure_history(gd_engine *e, const gd_gen *g, gd_err *err)
{
    uint32_t max_warmup = 0;
    for (uint32_t i = 0; i < g->n_insts; i++)
        if (g->insts[i].warmup > max_warmup)
            max_warmup = g->insts[i].warmup;
    uint64_t cap = 256;
    while (cap < (uint64_t)max_warmup + 1)
        cap <<= 1;
    if (!e->hist && !(e->hist = calloc(e->n_symbols, sizeof *e->hist)))
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (uint32_t s = 0; s < e->n_symbols; s++) {
        int rc = gd_ring_reserve(&e->hist[s], cap, e->symbols[s], err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Enabled and not left out by the caller (ablation toggles overlays). */
static int runs(const gd_engine *e, const gd_plugin_conf *pc)
{
    char label[160];
    gd_instance_label(label, sizeof label, pc->kind, pc->name);
    return pc->enabled && !name_skipped(e, label) && !name_skipped(e, pc->name);
}

/* Builds a complete generation from cfg; nothing of the running one changes. */
int gd_gen_build(gd_engine *e, const gd_config *cfg, gd_gen **out, gd_err *err)
{
    int rc;
    gd_gen *g = calloc(1, sizeof *g);
    *out = NULL;
    if (!g)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    g->cfg = cfg;
    uint32_t n = 0, ns = 0, nb = 0, no = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *pc = &cfg->plugins[i];
        if (!runs(e, pc))
            continue;
        n++;
        ns += pc->kind == GORDON_KIND_STRATEGY;
        nb += pc->kind == GORDON_KIND_BREAKER;
        no += pc->kind == GORDON_KIND_OVERLAY;
    }
    g->insts = calloc(n ? n : 1, sizeof *g->insts);
    g->strategies = calloc(ns ? ns : 1, sizeof *g->strategies);
    g->breakers = calloc(nb ? nb : 1, sizeof *g->breakers);
    g->overlays = calloc(no ? no : 1, sizeof *g->overlays);
    g->overlay_insts = calloc(no ? no : 1, sizeof *g->overlay_insts);
    g->ov_scratch = calloc(no ? no : 1, sizeof *g->ov_scratch);
    if (!g->insts || !g->strategies || !g->breakers || !g->overlays || !g->overlay_insts || !g->ov_scratch) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    if (ns == 0) {
        rc = gd_err_set(err, GD_EINVAL, "no enabled [strategy.NAME] section: nothing would trade");
        goto fail;
    }
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *pc = &cfg->plugins[i];
        if (!runs(e, pc))
            continue;
        gd_inst *in = &g->insts[g->n_insts++];
        rc = setup_instance(e, g, pc, in, err);
        if (rc)
            goto fail;
        if (in->kind == GORDON_KIND_STRATEGY) {
            in->index = g->n_strategies;
            g->strategies[g->n_strategies++] = in;
        } else if (in->kind == GORDON_KIND_BREAKER) {
            in->index = g->n_breakers;
            g->breakers[g->n_breakers++] = in;
        } else {
            in->index = g->n_overlays;
            g->overlay_insts[g->n_overlays] = in;
            g->overlays[g->n_overlays++] =
                (gd_overlay_ref){in->short_name, in, gd_overlay_filter, in->proxy ? gd_overlay_send : NULL,
                                 in->proxy ? gd_overlay_recv : NULL};
        }
    }
    g->n_slots = e->n_slots + g->n_new_slots;
    g->by_slot = calloc(g->n_slots ? g->n_slots : 1, sizeof *g->by_slot);
    if (!g->by_slot) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < g->n_strategies; i++)
        g->by_slot[g->strategies[i]->slot] = g->strategies[i];
    rc = build_dispatch(e, g, err);
    if (rc)
        goto fail;
    *out = g;
    return 0;
fail:
    gd_gen_free(e, g);
    return rc;
}

static const gd_inst *gen_find(const gd_gen *g, const char *name)
{
    for (uint32_t i = 0; g && i < g->n_insts; i++)
        if (!strcmp(g->insts[i].name, name))
            return &g->insts[i];
    return NULL;
}

/* A new instance takes over its predecessor's state: through snapshot and
 * restore when both versions offer them, else by replaying the host's bar
 * history (without signals) for its warm-up. Returns 1 if restored. */
static int carry_state(gd_inst *in, const gd_inst *old)
{
    if (old && !strcmp(old->d->name, in->d->name)) {
        in->last = old->last; /* a breaker's last verdict and reason */
        if (in->scratch && old->scratch)
            memcpy(in->scratch, old->scratch, sizeof *in->scratch);
        if (old->d->snapshot && in->d->restore) {
            size_t need, got = 0;
            int ok = 0;
            GD_CALL_AS(old->handle, need = old->d->snapshot(old->self, NULL, 0));
            void *buf = need ? malloc(need) : NULL;
            if (buf)
                GD_CALL_AS(old->handle, got = old->d->snapshot(old->self, buf, need));
            if (buf && got == need)
                GD_CALL_AS(in->handle, ok = in->d->restore(in->self, buf, need) == 0);
            free(buf);
            if (ok)
                return 1;
            gd_log(GD_LOG_WARN, "reload", NULL, "%s: snapshot not restored; warming up from history", in->name);
        }
    }
    return 0;
}

void gd_engine_warm_up(gd_engine *e, gd_inst *const *insts, uint32_t n, uint64_t max_bars)
{
    if (!n)
        return;
    /* Merge the rings by close time so multi-symbol plugins see the order
     * the market did. */
    uint64_t *pos = calloc(e->n_symbols, sizeof *pos);
    if (!pos)
        return;
    for (uint32_t s = 0; s < e->n_symbols; s++) {
        const gd_ring *r = &e->hist[s];
        uint64_t have = r->n < r->mask + 1 ? r->n : r->mask + 1;
        if (max_bars && have > max_bars)
            have = max_bars;
        pos[s] = r->n - have;
    }
    int64_t saved_now = e->now_ms;
    e->warming = 1;
    for (;;) {
        uint32_t best = UINT32_MAX;
        for (uint32_t s = 0; s < e->n_symbols; s++)
            if (pos[s] < e->hist[s].n &&
                (best == UINT32_MAX || e->hist[s].bars[pos[s] & e->hist[s].mask].close_time_ms <
                                           e->hist[best].bars[pos[best] & e->hist[best].mask].close_time_ms))
                best = s;
        if (best == UINT32_MAX)
            break;
        const gordon_bar *bar = &e->hist[best].ro[pos[best]++ & e->hist[best].mask]; /* read-only */
        e->now_ms = bar->close_time_ms;
        for (uint32_t i = 0; i < n; i++)
            if (insts[i]->sub[best] && insts[i]->d->on_bar) {
                e->in_strategy = insts[i];
                GD_CALL_AS(insts[i]->handle, insts[i]->d->on_bar(insts[i]->self, best, bar));
            }
    }
    e->in_strategy = NULL;
    e->warming = 0;
    e->now_ms = saved_now;
    free(pos);
}

/* Owners (strategy slots) grow on every ledger at once. */
static int grow_slots(gd_engine *e, uint32_t n, gd_err *err)
{
    if (n <= e->n_slots && e->slot_ref)
        return 0;
    size_t old = (size_t)e->n_slots * e->n_symbols, now = (size_t)(n ? n : 1) * e->n_symbols;
    double *ref = realloc(e->slot_ref, now * sizeof *ref);
    if (!ref)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    if (now > old)
        memset(ref + old, 0, (now - old) * sizeof *ref);
    e->slot_ref = ref;
    if (gd_book_grow(&e->book, n) != 0 || gd_pipeline_grow(&e->pipe, n) != 0 ||
        e->exec.ops->grow(e->exec.self, n) != 0)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    if (gd_engine_rec_grow(e, n, err) != 0)
        return GD_ENOMEM;
    return 0;
}

int gd_engine_copy_instruments(const gd_engine *e, const gd_config *cfg, gd_instrument *out, gd_err *err)
{
    for (uint32_t s = 0; s < e->n_symbols; s++) {
        if (e->venue_instr) {
            out[s] = e->venue_instr[s];
            continue;
        }
        const gd_instrument *ins = gd_config_instrument(cfg, e->symbols[s]);
        if (!ins && gd_config_venue_executor(cfg)) {
            /* The venue's rules come at start-up, before anything trades;
             * until then nothing can be sized (a zero step sizes nothing). */
            memset(&out[s], 0, sizeof out[s]);
            snprintf(out[s].symbol, sizeof out[s].symbol, "%s", e->symbols[s]);
            continue;
        }
        if (!ins)
            return gd_err_set(err, GD_EINVAL,
                              "symbol %s has no [instrument.%s] section (tick_size, step_size, min_qty, "
                              "min_notional): refusing to guess exchange rules",
                              e->symbols[s], e->symbols[s]);
        out[s] = *ins;
    }
    return 0;
}

/* ------------------------------------------------------------ reload */

int gd_engine_reload(gd_engine *e, gd_config *cfg, char *summary, size_t cap, gd_err *err)
{
    gd_gen *g = NULL;
    gd_instrument *instr = NULL;
    char changes[2048], restart[512];
    int rc;
    const gd_config *old_cfg = e->gen->cfg;
    summary[0] = '\0';

    /* 1. What cannot change while running. */
    gd_config_diff(old_cfg, cfg, changes, sizeof changes, restart, sizeof restart);
    if (restart[0]) {
        rc = gd_err_set(err, GD_EINVAL, "these keys need a restart, not a reload: %s", restart);
        goto fail;
    }
    instr = calloc(e->n_symbols, sizeof *instr);
    if (!instr) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    rc = gd_engine_copy_instruments(e, cfg, instr, err);
    if (rc)
        goto fail;

    /* 2. The whole new set, next to the running one. */
    e->reloading = 1;
    rc = gd_gen_build(e, cfg, &g, err);
    e->reloading = 0;
    if (rc)
        goto fail;
    rc = gd_engine_ensure_history(e, g, err);
    if (rc)
        goto fail;
    gd_limits lim;
    gd_limits_from_config(cfg, &lim);
    rc = grow_slots(e, g->n_slots, err);
    if (rc)
        goto fail;

    /* 3. State: restored where the plugin can, warmed up from history where not. */
    gd_inst **cold = calloc(g->n_insts ? g->n_insts : 1, sizeof *cold);
    uint32_t n_cold = 0;
    if (!cold) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < g->n_insts; i++)
        if (!carry_state(&g->insts[i], gen_find(e->gen, g->insts[i].name)))
            cold[n_cold++] = &g->insts[i];
    gd_engine_warm_up(e, cold, n_cold, 0);
    free(cold);

    /* 4. Describe what changed, then swap between two events of the loop. */
    size_t n = 0;
    const char *sep = "";
    char line[256];
    for (uint32_t i = 0; i < g->n_insts; i++) {
        const gd_inst *in = &g->insts[i], *old = gen_find(e->gen, in->name);
        if (!old)
            snprintf(line, sizeof line, "%s+%s (%s)", sep, in->name, in->d->name);
        else if (old->lib != in->lib)
            snprintf(line, sizeof line, "%s~%s (%s %.12s -> %.12s)", sep, in->name, in->d->name,
                     old->lib->sha256_hex, in->lib->sha256_hex);
        else
            continue;
        n += (size_t)snprintf(summary + n, n < cap ? cap - n : 0, "%s", line);
        sep = ", ";
    }
    for (uint32_t i = 0; i < e->gen->n_insts; i++)
        if (!gen_find(g, e->gen->insts[i].name)) {
            n += (size_t)snprintf(summary + n, n < cap ? cap - n : 0, "%s-%s", sep, e->gen->insts[i].name);
            sep = ", ";
        }
    if (n == 0)
        n += (size_t)snprintf(summary, cap, "plugins unchanged");
    snprintf(summary + n, n < cap ? cap - n : 0, "; config: %s", changes[0] ? changes : "unchanged");

    /* The last steps that can fail come first, and change nothing visible:
     * room for the new names, then the limits (all or nothing). The pipeline
     * keeps reading e->instr, which takes the new rules at the swap. */
    if (g->n_new_slots) {
        char **names = realloc(e->slot_names, (e->n_slots + g->n_new_slots) * sizeof *names);
        if (!names) {
            rc = gd_err_set(err, GD_ENOMEM, "out of memory");
            goto fail;
        }
        e->slot_names = names;
    }
    if (gd_pipeline_set_limits(&e->pipe, &lim, e->instr) != 0) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory applying the new limits");
        goto fail;
    }
    /* From here on nothing fails: the new generation's names join the registry. */
    if (g->n_new_slots) {
        for (uint32_t i = 0; i < g->n_new_slots; i++)
            e->slot_names[e->n_slots++] = g->new_slots[i];
        free(g->new_slots);
        g->new_slots = NULL;
        g->n_new_slots = 0;
    }
    gd_simexec_set_costs(&e->exec, cfg->fee_bps, cfg->slippage_bps); /* no-op for a venue */
    memcpy(e->instr, instr, e->n_symbols * sizeof *instr);
    free(instr);
    g->owned_cfg = cfg;
    gd_gen *old = e->gen;
    e->gen = g;
    gd_gen_free(e, old);

    /* Positions whose strategy is gone keep their stops; say so. */
    for (uint32_t k = 0; k < e->n_slots; k++)
        for (uint32_t s = 0; s < e->n_symbols; s++) {
            const gd_position *p = gd_book_pos(&e->book, k, s);
            if (p->side != GORDON_SIDE_NONE && (k >= g->n_slots || !g->by_slot[k]))
                gd_log(GD_LOG_WARN, "reload", NULL, "orphaned position: strategy %s %s %s qty %.10g, stop %.10g",
                       e->slot_names[k], e->symbols[s], p->side > 0 ? "long" : "short", p->qty, p->stop);
        }
    e->ctr.reloads_ok++;
    return 0;
fail:
    gd_gen_free(e, g);
    free(instr);
    gd_config_free(cfg);
    free(cfg);
    e->ctr.reloads_failed++;
    return rc;
}

void gd_engine_reload_failed(gd_engine *e) { e->ctr.reloads_failed++; }

const gd_config *gd_engine_config(const gd_engine *e) { return e->gen->cfg; }

char *gd_engine_instances_json(const gd_engine *e)
{
    static const char *const kinds[] = {"?", "strategy", "overlay", "breaker"};
    cJSON *a = cJSON_CreateArray();
    int ok = a != NULL;
    for (uint32_t i = 0; ok && i < e->gen->n_insts; i++) {
        const gd_inst *in = &e->gen->insts[i];
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(a, o) && cJSON_AddStringToObject(o, "label", in->name) &&
             cJSON_AddStringToObject(o, "kind", in->kind >= 1 && in->kind <= 3 ? kinds[in->kind] : "?") &&
             cJSON_AddStringToObject(o, "plugin", in->d && in->d->name ? in->d->name : "?") &&
             cJSON_AddStringToObject(o, "version", in->d && in->d->version ? in->d->version : "?") &&
             cJSON_AddStringToObject(o, "sha256", in->lib ? in->lib->sha256_hex : "");
    }
    char *text = ok ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return text;
}

char *gd_engine_plugins_json(const gd_engine *e)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    for (uint32_t i = 0; ok && i < e->gen->n_insts; i++) {
        const gd_inst *in = &e->gen->insts[i];
        ok = cJSON_AddStringToObject(o, in->name, in->lib ? in->lib->sha256_hex : "") != NULL;
    }
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}
