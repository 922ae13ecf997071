#include "engine/engine.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/dates.h"
#include "base/hash.h"
#include "base/names.h"
#include "plugin/loader.h"
#include "base/json.h"
#include "base/log.h"
#include "config/params.h"
#include "daemon/prom_families.h"
#include "engine/simexec.h"
#include "risk/state.h"

/* "CTX!": a plugin that passes a stale or forged handle is caught, not obeyed. */
#define GD_CTX_MAGIC 0x21585443u

typedef struct gd_inst gd_inst;

/* An external series (FRED) as the host last fetched it. */
typedef struct gd_series_data {
    char id[64];
    int64_t *t;          /* owned, observation dates, increasing */
    double *v;           /* owned */
    size_t n;
    int64_t fetched_ms;  /* wall clock of the last good fetch; 0 never */
    int ok;              /* the last fetch succeeded */
} gd_series_data;

struct gordon_ctx {
    uint32_t magic;
    gd_engine *eng;
    gd_inst *inst;
};

struct gd_inst {
    gordon_ctx ctx;
    int kind;
    uint32_t index;          /* among instances of its kind in its generation */
    uint32_t slot;           /* strategies: the book/executor/pipeline owner, stable across reloads */
    char *name;              /* owned: "strategy.NAME" style label */
    const char *short_name;  /* points into name after the dot */
    gd_plugin_lib *lib;      /* borrowed from the engine's plugin set */
    const gordon_plugin *d;  /* &lib->d: the host's zero-extended copy */
    void *self;              /* the plugin's instance */
    gd_params params;        /* owned */
    uint8_t *sub;            /* owned: per symbol, 1 if subscribed */
    gordon_breaker_result last;
};

typedef void (*gd_bar_fn)(void *self, uint32_t symbol, const gordon_bar *bar);

typedef struct gd_call {
    gd_bar_fn fn;
    void *self;     /* the plugin's instance */
    gd_inst *inst;  /* the host's record of it */
} gd_call;

/* Per-symbol dispatch lists, built once so the hot path only walks arrays. */
typedef struct gd_dispatch {
    gd_call *pre;            /* breakers' and overlays' on_bar */
    uint32_t n_pre;
    gd_call *strat;          /* strategies' on_bar */
    uint32_t n_strat;
} gd_dispatch;

/* One generation of plugin instances: what a reload replaces as a whole. */
typedef struct gd_gen {
    gd_config *owned_cfg;        /* owned after a reload; NULL when borrowed from the caller */
    const gd_config *cfg;
    gd_inst *insts;              /* owned, all kinds in config order */
    uint32_t n_insts;
    gd_inst **strategies;        /* borrowed pointers into insts */
    uint32_t n_strategies;
    gd_inst **breakers;
    uint32_t n_breakers;
    gd_overlay_ref *overlays;    /* owned */
    gd_inst **overlay_insts;
    uint32_t n_overlays;
    gd_overlay_ref *ov_scratch;  /* owned: the overlays applying to one signal */
    gd_dispatch *dispatch;       /* owned, per symbol */
    gd_inst **by_slot;           /* owned: the strategy instance of each slot, NULL if none */
    uint32_t n_slots;
    char **new_slots;            /* owned: strategy names this generation adds */
    uint32_t n_new_slots;
    gd_plugin_lib **libs;        /* references into the engine's library cache */
    uint32_t n_libs;
} gd_gen;

/* A loaded plugin library, shared by the generations that use it. */
typedef struct gd_libref {
    gd_plugin_lib *lib;          /* owned */
    char *orig;                  /* owned: the path it was loaded from (the copy is lib->path) */
    unsigned refs;
} gd_libref;

/* Bar history per symbol: a power-of-two ring, long enough for every warm-up. */
typedef struct gd_ring {
    gordon_bar *bars;
    uint64_t n;
    uint64_t mask;
} gd_ring;

struct gd_engine {
    uint32_t n_symbols;
    char **symbols;              /* owned */
    gd_instrument *instr;        /* owned, per symbol */

    gd_gen *gen;                 /* owned: the running generation */
    const gd_plugin_set *shared; /* borrowed (ablation): plugins opened by the caller */
    gd_libref *libs;             /* owned: the library cache */
    uint32_t n_libs;
    char *cache_dir;             /* owned: private copies of the .so files */
    int cache_dir_temp;          /* 1: made by us, removed at the end */
    char *plugin_dir;            /* owned: where bare plugin names are looked up */
    char **skip;                 /* owned copies of gd_engine_opts.skip */
    uint32_t n_skip;
    gd_param_override *overrides;/* borrowed from the options (ablation only) */
    uint32_t n_overrides;
    char **slot_names;           /* owned: strategy names by slot, grow only */
    uint32_t n_slots;
    int warming;                 /* replaying history into new instances: no signals */
    int reloading;               /* a new generation is being built */
    uint64_t reloads_ok, reloads_failed;
    uint64_t loads_ok, loads_failed;

    gd_ring *hist;               /* owned, per symbol */

    gordon_host_api api;
    gd_pipeline pipe;
    gd_book book;
    gd_executor exec;
    gd_intentlog log;            /* ops NULL when none */

    gordon_breaker_input bin;    /* reused for every evaluation */
    int64_t now_ms;
    int64_t last_data_ms;
    int64_t trade_from_ms;
    gd_inst *in_strategy;        /* set while a strategy's on_bar runs */
    int halted;
    char halt_reason[160];
    char halt_who[96];
    int64_t halt_since_ms;       /* wall clock */
    gd_state *state;             /* borrowed; NULL: the latch is not persisted */
    int in_create;               /* a plugin's create() is running */
    int replay;                  /* bar time is the clock; series freshness follows it */
    int series_source;           /* a series fetcher is configured */
    gd_series_data *series;      /* owned */
    uint32_t n_series;
    gd_engine_counters ctr;
    double *slot_ref;            /* owned: reference price of each slot's last order */
    int64_t *last_bar_ms;        /* owned: close time of each symbol's last bar */
    const char *tripped;         /* name of a breaker tripped at the last evaluation */
    uint64_t bars;
    uint64_t signals;
};

/* ------------------------------------------------------------ host API */

static gd_inst *ctx_inst(gordon_ctx *ctx)
{
    return ctx && ctx->magic == GD_CTX_MAGIC ? ctx->inst : NULL;
}

static void api_log(gordon_ctx *ctx, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void api_log(gordon_ctx *ctx, int level, const char *fmt, ...)
{
    gd_inst *in = ctx_inst(ctx);
    char msg[1024], fields[256], name[160];
    va_list ap;
    if (level < GORDON_LOG_DEBUG || level > GORDON_LOG_ERROR)
        level = GORDON_LOG_INFO;
    if (!gd_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gd_json_escape(name, sizeof name, in ? in->name : "?");
    snprintf(fields, sizeof fields, "\"plugin\":\"%s\"", name);
    gd_log(level, "plugin", fields, "%s", msg);
}

static const gd_param_value *param_of(gordon_ctx *ctx, const char *name, int type)
{
    gd_inst *in = ctx_inst(ctx);
    if (!in || !name)
        return NULL;
    const gd_param_value *v = gd_params_find(&in->params, name);
    return v && v->decl.type == type ? v : NULL;
}

static int api_param_int(gordon_ctx *ctx, const char *name, int64_t *out)
{
    const gd_param_value *v = param_of(ctx, name, GORDON_PARAM_INT);
    if (!v || !out)
        return -1;
    *out = v->i;
    return 0;
}

static int api_param_double(gordon_ctx *ctx, const char *name, double *out)
{
    const gd_param_value *v = param_of(ctx, name, GORDON_PARAM_DOUBLE);
    if (!v || !out)
        return -1;
    *out = v->d;
    return 0;
}

static int api_param_bool(gordon_ctx *ctx, const char *name, int *out)
{
    const gd_param_value *v = param_of(ctx, name, GORDON_PARAM_BOOL);
    if (!v || !out)
        return -1;
    *out = v->i != 0;
    return 0;
}

static int api_param_string(gordon_ctx *ctx, const char *name, const char **out)
{
    const gd_param_value *v = param_of(ctx, name, GORDON_PARAM_STRING);
    if (!v || !out)
        return -1;
    *out = v->s ? v->s : "";
    return 0;
}

static int64_t api_now_ms(gordon_ctx *ctx)
{
    gd_inst *in = ctx_inst(ctx);
    return in ? in->ctx.eng->now_ms : 0;
}

static uint32_t api_symbol_count(gordon_ctx *ctx)
{
    gd_inst *in = ctx_inst(ctx);
    return in ? in->ctx.eng->n_symbols : 0;
}

static const char *api_symbol_name(gordon_ctx *ctx, uint32_t s)
{
    gd_inst *in = ctx_inst(ctx);
    return in && s < in->ctx.eng->n_symbols ? in->ctx.eng->symbols[s] : NULL;
}

static int api_subscribed(gordon_ctx *ctx, uint32_t s)
{
    gd_inst *in = ctx_inst(ctx);
    return in && s < in->ctx.eng->n_symbols ? in->sub[s] : 0;
}

static size_t api_bars(gordon_ctx *ctx, uint32_t s, size_t n, gordon_bar *out, size_t elem_size)
{
    gd_inst *in = ctx_inst(ctx);
    if (!in || s >= in->ctx.eng->n_symbols || !out || elem_size == 0)
        return 0;
    const gd_ring *r = &in->ctx.eng->hist[s];
    uint64_t have = r->n < r->mask + 1 ? r->n : r->mask + 1;
    if (n > have)
        n = (size_t)have;
    /* An older plugin's smaller bar gets a prefix; a newer one's extra fields are zero. */
    size_t copy = elem_size < sizeof(gordon_bar) ? elem_size : sizeof(gordon_bar);
    size_t pad = elem_size - copy;
    for (size_t i = 0; i < n; i++) {
        char *dst = (char *)out + i * elem_size;
        memcpy(dst, &r->bars[(r->n - n + i) & r->mask], copy);
        memset(dst + copy, 0, pad);
    }
    return n;
}

static int api_position(gordon_ctx *ctx, uint32_t s, gordon_position *out)
{
    gd_inst *in = ctx_inst(ctx);
    if (!in || !out || s >= in->ctx.eng->n_symbols || out->struct_size < sizeof(gordon_position))
        return -1;
    gd_engine *e = in->ctx.eng;
    gordon_position p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    if (in->kind == GORDON_KIND_STRATEGY) {
        const gd_position *bp = gd_book_pos(&e->book, in->slot, s);
        gd_slot_orders so;
        e->exec.ops->slot(e->exec.self, in->slot, s, &so);
        p.side = bp->side;
        p.qty = bp->qty;
        p.entry_price = bp->entry_price;
        p.stop_loss = bp->stop;
        p.take_profit = bp->take_profit;
        p.opened_ms = bp->opened_ms;
        if (bp->side != GORDON_SIDE_NONE)
            p.unrealized_pnl = bp->side * bp->qty * (e->book.mark[s] - bp->entry_price);
        p.order_pending = so.entry_pending || so.exit_pending;
    }
    memcpy(out, &p, sizeof p);
    return 0;
}

static double api_equity(gordon_ctx *ctx)
{
    gd_inst *in = ctx_inst(ctx);
    return in ? in->ctx.eng->book.equity : 0.0;
}

static void record_intent(gd_engine *e, const gd_intent *it)
{
    gd_pipeline_commit(&e->pipe, it);
    if (e->log.ops) {
        const char *strat = it->strategy < e->n_slots ? e->slot_names[it->strategy] : "?";
        const char *sym = it->symbol < e->n_symbols ? e->symbols[it->symbol] : "?";
        if (e->log.ops->record(e->log.self, it, strat, sym) != 0)
            gd_log(GD_LOG_ERROR, "intentlog", NULL, "failed to record intent %llu",
                   (unsigned long long)it->id);
    }
}

static int api_emit(gordon_ctx *ctx, const gordon_signal *sig)
{
    gd_inst *in = ctx_inst(ctx);
    if (!in || in->kind != GORDON_KIND_STRATEGY || !sig)
        return -1;
    gd_engine *e = in->ctx.eng;
    /* Signals come from on_bar only: no reentry from fills or overlays; and
     * none while a backtest window is still warming up. */
    if (e->in_strategy != in || e->warming || e->now_ms < e->trade_from_ms)
        return -1;
    e->signals++;

    gd_account_view acct;
    gd_slot_orders so = {0, 0, 0.0};
    uint32_t sym = sig->struct_size >= offsetof(gordon_signal, action) ? sig->symbol : UINT32_MAX;
    memset(&acct, 0, sizeof acct);
    acct.equity = e->book.equity;
    acct.gross_exposure = e->book.gross + e->exec.ops->pending_notional(e->exec.self);
    acct.halted = e->halted;
    acct.tripped = e->tripped;
    if (sym < e->n_symbols) {
        e->exec.ops->slot(e->exec.self, in->slot, sym, &so);
        acct.subscribed = in->sub[sym];
        acct.pos_side = gd_book_pos(&e->book, in->slot, sym)->side;
        acct.entry_pending = so.entry_pending;
        acct.exit_pending = so.exit_pending;
    }
    /* Overlays judge only the symbols they follow. */
    uint32_t n_ov = 0;
    const gd_gen *g = e->gen;
    for (uint32_t i = 0; i < g->n_overlays; i++)
        if (sym < e->n_symbols && g->overlay_insts[i]->sub[sym])
            g->ov_scratch[n_ov++] = g->overlays[i];

    gd_intent it;
    gd_pipeline_decide(&e->pipe, in->slot, sig, &acct, g->ov_scratch, n_ov, e->now_ms, &it);
    if (it.result == GORDON_ACCEPTED) {
        gd_order o;
        gd_err err;
        memset(&o, 0, sizeof o);
        o.intent_id = it.id;
        o.owner = in->slot;
        o.symbol = it.symbol;
        o.kind = it.action == GORDON_ACTION_ENTRY ? GD_ORDER_ENTRY : GD_ORDER_EXIT;
        o.side = it.side;
        o.qty = it.qty;
        o.stop = it.stop;
        o.take_profit = it.take_profit;
        o.ref_price = it.entry;
        o.time_ms = it.time_ms;
        if (e->exec.ops->submit(e->exec.self, &o, &err) != 0) {
            it.result = GORDON_REJECT_EXECUTOR;
            it.qty = it.notional = 0.0;
            snprintf(it.detail, sizeof it.detail, "%.150s", err.msg);
        } else {
            e->ctr.orders[o.kind]++;
            /* Slippage is measured against what the strategy saw. */
            e->slot_ref[(size_t)in->slot * e->n_symbols + o.symbol] =
                o.kind == GD_ORDER_ENTRY ? o.ref_price : e->book.mark[o.symbol];
        }
    }
    record_intent(e, &it);
    return it.result;
}

static int api_exposure(gordon_ctx *ctx, uint32_t sym, gordon_exposure *out)
{
    gd_inst *in = ctx_inst(ctx);
    if (!in || !out || sym >= in->ctx.eng->n_symbols || out->struct_size < sizeof(gordon_exposure))
        return -1;
    gd_engine *e = in->ctx.eng;
    gordon_exposure x;
    memset(&x, 0, sizeof x);
    x.struct_size = sizeof x;
    for (uint32_t k = 0; k < e->n_slots; k++) {
        const gd_position *p = gd_book_pos(&e->book, k, sym);
        gd_slot_orders so;
        e->exec.ops->slot(e->exec.self, k, sym, &so);
        if (p->side == GORDON_SIDE_NONE && !so.entry_pending)
            continue;
        x.strategies++;
        x.net_qty += p->side * p->qty;
        x.gross_qty += p->qty;
        if (so.entry_pending && e->book.mark[sym] > 0)
            x.pending_qty += so.entry_notional / e->book.mark[sym];
    }
    x.notional = x.gross_qty * e->book.mark[sym];
    memcpy(out, &x, sizeof x);
    return 0;
}

static gd_series_data *series_find(gd_engine *e, const char *id)
{
    for (uint32_t i = 0; i < e->n_series; i++)
        if (!strcmp(e->series[i].id, id))
            return &e->series[i];
    return NULL;
}

static int series_id_ok(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++)
        if (!((id[n] >= 'A' && id[n] <= 'Z') || (id[n] >= '0' && id[n] <= '9') || id[n] == '_'))
            return 0;
    return n >= 1 && n < 64;
}

static int api_series_subscribe(gordon_ctx *ctx, const char *id)
{
    gd_inst *in = ctx_inst(ctx);
    if (!in || !id || !series_id_ok(id))
        return -1;
    gd_engine *e = in->ctx.eng;
    /* Sources are wired once at start-up: subscriptions come from create(),
     * and a reload may only use series that are already being fetched. */
    if (!e->in_create)
        return -1;
    if (series_find(e, id))
        return 0;
    if (!e->series_source || e->reloading)
        return -1;
    if (e->n_series == 32)
        return -1;
    gd_series_data *grown = realloc(e->series, (e->n_series + 1) * sizeof *grown);
    if (!grown)
        return -1;
    e->series = grown;
    memset(&e->series[e->n_series], 0, sizeof e->series[0]);
    snprintf(e->series[e->n_series].id, sizeof e->series[0].id, "%s", id);
    e->n_series++;
    return 0;
}

static int api_series_get(gordon_ctx *ctx, const char *id, gordon_series_point *out)
{
    gd_inst *in = ctx_inst(ctx);
    if (!in || !id || !out || out->struct_size < sizeof(gordon_series_point))
        return -1;
    gd_engine *e = in->ctx.eng;
    gd_series_data *sd = series_find(e, id);
    if (!sd)
        return -1;
    gordon_series_point pt;
    memset(&pt, 0, sizeof pt);
    pt.struct_size = sizeof pt;
    pt.value = pt.prev_value = NAN;
    /* The newest observation dated at or before the host's clock. */
    size_t lo = 0, hi = sd->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sd->t[mid] <= e->now_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0) {
        pt.obs_ms = sd->t[lo - 1];
        pt.value = sd->v[lo - 1];
        if (lo > 1)
            pt.prev_value = sd->v[lo - 2];
    }
    pt.stale = !sd->ok;
    /* In replay the clock is bar time: a series fetched fine is as fresh
     * as the bar; live, the wall time of the fetch. */
    pt.fetched_ms = sd->fetched_ms == 0 ? 0 : e->replay ? (sd->ok ? e->now_ms : 0) : sd->fetched_ms;
    memcpy(out, &pt, sizeof pt);
    return 0;
}

/* ------------------------------------------------------------ fills */

const double gd_slip_bounds[GD_SLIP_BUCKETS] = GD_PROM_SLIPPAGE_BUCKETS_BPS;

static void on_fill(void *host, uint32_t owner, gordon_fill *f, double stop, double tp)
{
    gd_engine *e = host;
    double ref = f->reason == GORDON_FILL_STOP ? stop
                 : f->reason == GORDON_FILL_TAKE_PROFIT ? tp
                 : owner < e->n_slots ? e->slot_ref[(size_t)owner * e->n_symbols + f->symbol] : 0.0;
    if (f->reason >= 0 && f->reason < 6)
        e->ctr.fills[f->reason]++;
    if (ref > 0.0) {
        double bps = f->side * (f->price - ref) / ref * 1e4;
        if (bps < 0.0)
            bps = 0.0; /* the histogram measures harm; a better price counts as none */
        size_t b = 0;
        while (b < GD_SLIP_BUCKETS && bps > gd_slip_bounds[b])
            b++;
        e->ctr.slip_le[b]++;
        e->ctr.slip_sum += bps;
        e->ctr.slip_count++;
    }
    gd_book_apply_fill(&e->book, owner, f, stop, tp);
    /* An orphan (its strategy was removed by a reload) has no one to tell. */
    gd_inst *in = owner < e->gen->n_slots ? e->gen->by_slot[owner] : NULL;
    if (in) {
        if (in->d->on_fill)
            in->d->on_fill(in->self, f);
    }
}

/* ------------------------------------------------------------ halt, breakers */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void audit(gd_engine *e, const char *event, const char *who, const char *why, const char *fields)
{
    char f[768], w1[128], w2[400];
    gd_json_escape(w1, sizeof w1, who);
    gd_json_escape(w2, sizeof w2, why);
    snprintf(f, sizeof f, "\"event\":\"%s\",\"who\":\"%s\",\"why\":\"%s\",\"bar_ms\":%lld%s%s", event, w1, w2,
             (long long)e->now_ms, fields ? "," : "", fields ? fields : "");
    gd_log(GD_LOG_WARN, "risk", f, "%s by %s", event, who);
    if (e->state) {
        gd_err err;
        if (gd_state_audit(e->state, event, who, why, wall_ms(), fields, &err) != 0)
            gd_log(GD_LOG_ERROR, "state", NULL, "audit record lost: %s", err.msg);
    }
}

void gd_engine_halt(gd_engine *e, const char *who, const char *why)
{
    if (e->halted)
        return;
    /* The latch is set in memory first: whatever happens to the disk, no
     * entry gets through from here on. */
    e->halted = 1;
    e->halt_since_ms = wall_ms();
    snprintf(e->halt_who, sizeof e->halt_who, "%s", who);
    snprintf(e->halt_reason, sizeof e->halt_reason, "%s: %s", who, why);
    if (e->state) {
        gd_latch l;
        gd_err err;
        memset(&l, 0, sizeof l);
        l.halted = 1;
        snprintf(l.who, sizeof l.who, "%s", who);
        snprintf(l.why, sizeof l.why, "%s", why);
        l.since_ms = e->halt_since_ms;
        if (gd_state_set_latch(e->state, &l, &err) != 0)
            gd_log(GD_LOG_ERROR, "state", NULL, "halt latch NOT persisted: %s", err.msg);
    }
    audit(e, "halt", who, why, NULL);
}

int gd_engine_resume(gd_engine *e, const char *who, const char *why, int force, gd_err *err)
{
    if (!e->halted)
        return 0;
    if (e->tripped && !force) {
        char f[160];
        snprintf(f, sizeof f, "\"tripped\":\"%s\"", e->tripped);
        audit(e, "resume_refused", who, why, f);
        return gd_err_set(err, GD_ESTATE, "breaker %s is still tripped: resume refused (use force to override)",
                          e->tripped);
    }
    if (e->state) {
        gd_latch l;
        memset(&l, 0, sizeof l);
        l.since_ms = wall_ms();
        snprintf(l.who, sizeof l.who, "%s", who);
        snprintf(l.why, sizeof l.why, "%s", why);
        /* Not cleared in memory unless it is cleared on disk too. */
        if (gd_state_set_latch(e->state, &l, err) != 0)
            return GD_EIO;
    }
    e->halted = 0;
    e->halt_reason[0] = e->halt_who[0] = '\0';
    audit(e, force && e->tripped ? "resume_forced" : "resume", who, why, NULL);
    /* Breakers may re-baseline; whatever still trips latches again at the
     * next evaluation. */
    for (uint32_t i = 0; i < e->gen->n_breakers; i++)
        if (e->gen->breakers[i]->d->on_resume)
            e->gen->breakers[i]->d->on_resume(e->gen->breakers[i]->self);
    e->tripped = NULL;
    return 0;
}

void gd_engine_set_state(gd_engine *e, gd_state *st)
{
    e->state = st;
    if (st && st->latch.halted && !e->halted) {
        e->halted = 1;
        e->halt_since_ms = st->latch.since_ms;
        snprintf(e->halt_who, sizeof e->halt_who, "%s", st->latch.who);
        snprintf(e->halt_reason, sizeof e->halt_reason, "%s: %s (restored)", st->latch.who, st->latch.why);
    }
}

int gd_engine_halted(const gd_engine *e) { return e->halted; }

/* Breakers run on every bar and after every fill; a breaker that fails to
 * evaluate counts as tripped, because silence is not safety. */
static void evaluate_breakers(gd_engine *e)
{
    gordon_breaker_input *in = &e->bin;
    in->open_positions = e->book.open_count;
    in->now_ms = e->now_ms;
    in->equity = e->book.equity;
    in->gross_exposure = e->book.gross;
    in->realized_pnl = e->book.realized;
    in->last_data_ms = e->last_data_ms;
    e->tripped = NULL;
    for (uint32_t i = 0; i < e->gen->n_breakers; i++) {
        gd_inst *b = e->gen->breakers[i];
        gordon_breaker_result *r = &b->last;
        /* The result persists per breaker, so a breaker may write its reason
         * only when its state changes. */
        r->state = GORDON_BREAKER_OK;
        r->value = r->threshold = 0.0;
        int rc = b->d->evaluate(b->self, in, r);
        if (rc == 0 && r->state == GORDON_BREAKER_OK)
            continue;
        r->reason[sizeof r->reason - 1] = '\0';
        if (rc != 0 || r->state < GORDON_BREAKER_OK || r->state > GORDON_BREAKER_TRIPPED) {
            r->state = GORDON_BREAKER_TRIPPED;
            snprintf(r->reason, sizeof r->reason, "evaluate failed (rc %d)", rc);
        }
        if (r->state == GORDON_BREAKER_TRIPPED) {
            if (!e->tripped)
                e->tripped = b->short_name;
            if (!e->halted) {
                char why[200];
                snprintf(why, sizeof why, "breaker tripped: %s (value %.6g, threshold %.6g)", r->reason,
                         r->value, r->threshold);
                gd_engine_halt(e, b->name, why);
            }
        }
    }
}

/* ------------------------------------------------------------ hot path */

void gd_engine_on_bar(gd_engine *e, uint32_t s, const gordon_bar *bar)
{
    e->now_ms = bar->close_time_ms;
    e->last_data_ms = bar->close_time_ms;
    e->last_bar_ms[s] = bar->close_time_ms;
    e->bars++;

    /* Orders placed at earlier closes meet this bar first: no lookahead. */
    if (e->exec.ops->on_bar)
        e->exec.ops->on_bar(e->exec.self, s, bar);
    gd_book_mark(&e->book, s, bar->close, bar->close_time_ms);

    gd_ring *r = &e->hist[s];
    r->bars[r->n & r->mask] = *bar;
    r->n++;

    const gd_dispatch *d = &e->gen->dispatch[s];
    for (uint32_t i = 0; i < d->n_pre; i++)
        d->pre[i].fn(d->pre[i].self, s, bar);
    if (e->gen->n_breakers)
        evaluate_breakers(e);
    for (uint32_t i = 0; i < d->n_strat; i++) {
        e->in_strategy = d->strat[i].inst;
        d->strat[i].fn(d->strat[i].self, s, bar);
    }
    e->in_strategy = NULL;
}

/* ------------------------------------------------------------ setup */

static int name_skipped(const gd_engine *e, const char *name)
{
    for (uint32_t i = 0; i < e->n_skip; i++)
        if (strcmp(e->skip[i], name) == 0)
            return 1;
    return 0;
}

static int setup_api(gd_engine *e)
{
    gordon_host_api *a = &e->api;
    memset(a, 0, sizeof *a);
    a->struct_size = sizeof *a;
    a->abi_major = GORDON_SDK_ABI_MAJOR;
    a->abi_minor = GORDON_SDK_ABI_MINOR;
    a->bar_size = sizeof(gordon_bar);
    a->log = api_log;
    a->param_int = api_param_int;
    a->param_double = api_param_double;
    a->param_bool = api_param_bool;
    a->param_string = api_param_string;
    a->now_ms = api_now_ms;
    a->symbol_count = api_symbol_count;
    a->symbol_name = api_symbol_name;
    a->subscribed = api_subscribed;
    a->bars = api_bars;
    a->position = api_position;
    a->equity = api_equity;
    a->emit = api_emit;
    a->exposure = api_exposure;
    a->series_subscribe = api_series_subscribe;
    a->series_get = api_series_get;
    return 0;
}

static int resolve_plugin_path(const gd_engine *e, const gd_config *cfg, const gd_plugin_conf *pc, char *buf,
                               size_t cap, gd_err *err)
{
    const char *dir = cfg->plugin_dir ? cfg->plugin_dir : e->plugin_dir;
    if (pc->plugin_path)
        snprintf(buf, cap, "%s", pc->plugin_path);
    else if (strchr(pc->plugin, '/'))
        snprintf(buf, cap, "%s", pc->plugin);
    else if (dir)
        snprintf(buf, cap, "%s/%s.so", dir, pc->plugin);
    else
        return gd_err_set(err, GD_ENOENT, "%s:%d: [%s.%s] plugin = %s: no plugin directory configured",
                          pc->file, pc->line, gd_kind_name(pc->kind), pc->name, pc->plugin);
    return 0;
}

/* ----- the library cache: private, content-addressed copies of each .so */

static int copy_file(const char *src, const char *dst, gd_err *err)
{
    FILE *in = fopen(src, "rb"), *out = NULL;
    char buf[65536];
    size_t n;
    int rc = 0;
    if (!in)
        return gd_err_set(err, errno == ENOENT ? GD_ENOENT : GD_EIO, "%s: %s", src, strerror(errno));
    out = fopen(dst, "wb");
    if (!out) {
        rc = gd_err_set(err, GD_EIO, "%s: %s", dst, strerror(errno));
        goto done;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = gd_err_set(err, GD_EIO, "%s: write: %s", dst, strerror(errno));
            goto done;
        }
    if (ferror(in))
        rc = gd_err_set(err, GD_EIO, "%s: read error", src);
done:
    fclose(in);
    if (out && fclose(out) != 0 && !rc)
        rc = gd_err_set(err, GD_EIO, "%s: %s", dst, strerror(errno));
    return rc;
}

/* The private copies live in a fresh 0700 directory of this process
 * (PrivateTmp under systemd), never in a place that outlives it: nothing
 * loaded can have been left there by anyone else. */
static int ensure_cache_dir(gd_engine *e, gd_err *err)
{
    if (e->cache_dir)
        return 0;
    char buf[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, sizeof buf, "%s/gordon-plugins-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(buf))
        return gd_err_set(err, GD_EIO, "cannot create a private plugin directory %s: %s", buf, strerror(errno));
    e->cache_dir_temp = 1;
    if (!(e->cache_dir = strdup(buf)))
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    return 0;
}

/* Opens path through the cache. glibc returns the already-loaded object for
 * a path it has seen, so a changed .so at the same path would not load: each
 * distinct content gets its own copy, <name>.<sha256>.so, and a copy is also
 * safe from an operator overwriting the original in place. */
static int cache_open(gd_engine *e, const char *path, gd_plugin_lib **out, gd_err *err)
{
    char tmp[4200], dst[4400], hex[65];
    int rc = ensure_cache_dir(e, err);
    if (rc)
        return rc;
    /* Refuse forbidden imports before copying anything, naming the original. */
    rc = gd_loader_check_imports(path, err);
    if (rc)
        return rc;
    snprintf(tmp, sizeof tmp, "%s/.incoming.XXXXXX", e->cache_dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "%s: %s", tmp, strerror(errno));
    close(fd);
    rc = copy_file(path, tmp, err);
    if (!rc)
        rc = gd_sha256_file(tmp, hex, err);
    if (rc) {
        unlink(tmp);
        return rc;
    }
    /* What is hashed is exactly what gets loaded. */
    for (uint32_t i = 0; i < e->n_libs; i++)
        if (!strcmp(e->libs[i].lib->sha256_hex, hex)) {
            unlink(tmp);
            e->libs[i].refs++;
            *out = e->libs[i].lib;
            return 0;
        }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    if (bl > 3 && !strcmp(base + bl - 3, ".so"))
        bl -= 3;
    snprintf(dst, sizeof dst, "%s/%.*s.%s.so", e->cache_dir, (int)(bl > 200 ? 200 : bl), base, hex);
    if (rename(tmp, dst) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: %s", dst, strerror(errno));
        unlink(tmp);
        return rc;
    }
    gd_libref *grown = realloc(e->libs, (e->n_libs + 1) * sizeof *grown);
    if (!grown)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    e->libs = grown;
    gd_plugin_lib *lib = calloc(1, sizeof *lib);
    char *orig = strdup(path);
    if (!lib || !orig) {
        free(lib);
        free(orig);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    rc = gd_loader_open(dst, lib, err);
    if (rc) {
        e->loads_failed++;
        gd_err_prefix(err, rc, "%s (private copy %s): ", path, dst);
        free(lib);
        free(orig);
        return rc;
    }
    e->loads_ok++;
    e->libs[e->n_libs++] = (gd_libref){lib, orig, 1};
    *out = lib;
    return 0;
}

static void cache_release(gd_engine *e, gd_plugin_lib *lib)
{
    for (uint32_t i = 0; i < e->n_libs; i++) {
        if (e->libs[i].lib != lib)
            continue;
        if (--e->libs[i].refs > 0)
            return;
        /* No generation uses it any more: close it and drop its copy. */
        char *path = strdup(lib->path);
        gd_loader_close(lib);
        free(lib);
        if (path)
            unlink(path);
        free(path);
        free(e->libs[i].orig);
        e->libs[i] = e->libs[--e->n_libs];
        return;
    }
}

static const char *lib_origin(const gd_engine *e, const gd_plugin_lib *lib)
{
    for (uint32_t i = 0; i < e->n_libs; i++)
        if (e->libs[i].lib == lib)
            return e->libs[i].orig;
    return lib->path;
}

/* ----- generations */

static void inst_free(gd_inst *in)
{
    if (in->self && in->d && in->d->destroy)
        in->d->destroy(in->self);
    in->self = NULL;
    gd_params_free(&in->params);
    free(in->sub);
    free(in->name);
}

static void gen_free(gd_engine *e, gd_gen *g)
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
    for (uint32_t i = 0; i < g->n_libs; i++)
        cache_release(e, g->libs[i]);
    free(g->libs);
    for (uint32_t i = 0; i < g->n_new_slots; i++)
        free(g->new_slots[i]);
    free(g->new_slots);
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
        return -1;
    g->new_slots = grown;
    if (!(g->new_slots[g->n_new_slots] = strdup(name)))
        return -1;
    *slot = e->n_slots + g->n_new_slots++;
    return 0;
}

static int setup_instance(gd_engine *e, gd_gen *g, const gd_plugin_conf *pc, gd_inst *in, gd_err *err)
{
    char path[4096];
    int rc = resolve_plugin_path(e, g->cfg, pc, path, sizeof path, err);
    if (rc)
        return rc;
    in->kind = pc->kind;
    in->last.struct_size = sizeof in->last;
    in->ctx.magic = GD_CTX_MAGIC;
    in->ctx.eng = e;
    in->ctx.inst = in;
    size_t nl = strlen(pc->name) + 16;
    in->name = malloc(nl);
    in->sub = calloc(e->n_symbols ? e->n_symbols : 1, 1);
    if (!in->name || !in->sub)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    snprintf(in->name, nl, "%s.%s", gd_kind_name(pc->kind), pc->name);
    in->short_name = strchr(in->name, '.') + 1;

    if (e->shared) {
        in->lib = gd_plugin_set_find(e->shared, path);
        if (!in->lib)
            return gd_err_set(err, GD_ENOENT, "%s:%d: [%s]: %s was not preloaded", pc->file, pc->line,
                              in->name, path);
    } else {
        gd_plugin_lib **grown = realloc(g->libs, (g->n_libs + 1) * sizeof *grown);
        if (!grown)
            return gd_err_set(err, GD_ENOMEM, "out of memory");
        g->libs = grown;
        rc = cache_open(e, path, &in->lib, err);
        if (rc)
            return gd_err_prefix(err, rc, "%s:%d: [%s]: ", pc->file, pc->line, in->name);
        g->libs[g->n_libs++] = in->lib;
        /* Two different libraries with one descriptor name in one set: refuse. */
        for (uint32_t i = 0; i + 1 < g->n_libs; i++)
            if (g->libs[i] != in->lib && !strcmp(g->libs[i]->d.name, in->lib->d.name))
                return gd_err_set(err, GD_EEXIST, "%s:%d: [%s]: plugin name '%s' is already provided by %s",
                                  pc->file, pc->line, in->name, in->lib->d.name, lib_origin(e, g->libs[i]));
    }
    in->d = &in->lib->d;
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
    rc = in->d->create(&e->api, &in->ctx, &in->self, perr, sizeof perr);
    e->in_create = 0;
    perr[sizeof perr - 1] = '\0';
    if (rc != 0) {
        in->self = NULL;
        return gd_err_set(err, GD_EPLUGIN, "%s:%d: [%s]: plugin %s failed to create: %s", pc->file, pc->line,
                          in->name, in->d->name, perr[0] ? perr : "no reason given");
    }
    return 0;
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
                d->strat[d->n_strat++] = (gd_call){in->d->on_bar, in->self, in};
            else
                d->pre[d->n_pre++] = (gd_call){in->d->on_bar, in->self, in};
        }
    }
    return 0;
}

/* Bar history long enough for the largest declared warm-up; grows (keeping
 * what it has) when a reload brings a plugin that needs more. */
static int ensure_history(gd_engine *e, const gd_gen *g, gd_err *err)
{
    uint32_t max_warmup = 0;
    for (uint32_t i = 0; i < g->n_insts; i++)
        if (g->insts[i].d->warmup_bars > max_warmup)
            max_warmup = g->insts[i].d->warmup_bars;
    uint64_t cap = 256;
    while (cap < (uint64_t)max_warmup + 1)
        cap <<= 1;
    if (!e->hist && !(e->hist = calloc(e->n_symbols, sizeof *e->hist)))
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (uint32_t s = 0; s < e->n_symbols; s++) {
        gd_ring *r = &e->hist[s];
        if (r->bars && r->mask + 1 >= cap)
            continue;
        gordon_bar *nb = calloc(cap, sizeof *nb);
        if (!nb)
            return gd_err_set(err, GD_ENOMEM, "out of memory");
        uint64_t have = r->bars ? (r->n < r->mask + 1 ? r->n : r->mask + 1) : 0;
        for (uint64_t i = 0; i < have; i++) {
            uint64_t k = r->n - have + i;
            nb[k & (cap - 1)] = r->bars[k & r->mask];
        }
        free(r->bars);
        r->bars = nb;
        r->mask = cap - 1;
    }
    return 0;
}

/* Builds a complete generation from cfg; nothing of the running one changes. */
static int gen_build(gd_engine *e, const gd_config *cfg, gd_gen **out, gd_err *err)
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
        char label[160];
        snprintf(label, sizeof label, "%s.%s", gd_kind_name(pc->kind), pc->name);
        if (!pc->enabled || name_skipped(e, label) || name_skipped(e, pc->name))
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
        char label[160];
        snprintf(label, sizeof label, "%s.%s", gd_kind_name(pc->kind), pc->name);
        if (!pc->enabled || name_skipped(e, label) || name_skipped(e, pc->name))
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
            g->overlays[g->n_overlays++] = (gd_overlay_ref){in->short_name, in->self, in->d->filter};
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
    gen_free(e, g);
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
        if (old->d->snapshot && in->d->restore) {
            size_t need = old->d->snapshot(old->self, NULL, 0);
            void *buf = need ? malloc(need) : NULL;
            int ok = buf && old->d->snapshot(old->self, buf, need) == need && in->d->restore(in->self, buf, need) == 0;
            free(buf);
            if (ok)
                return 1;
            gd_log(GD_LOG_WARN, "reload", NULL, "%s: snapshot not restored; warming up from history", in->name);
        }
    }
    return 0;
}

static void warm_up(gd_engine *e, gd_inst *const *insts, uint32_t n)
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
        const gordon_bar *bar = &e->hist[best].bars[pos[best]++ & e->hist[best].mask];
        e->now_ms = bar->close_time_ms;
        for (uint32_t i = 0; i < n; i++)
            if (insts[i]->sub[best] && insts[i]->d->on_bar) {
                e->in_strategy = insts[i];
                insts[i]->d->on_bar(insts[i]->self, best, bar);
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
    return 0;
}

static int copy_instruments(const gd_engine *e, const gd_config *cfg, gd_instrument *out, gd_err *err)
{
    for (uint32_t s = 0; s < e->n_symbols; s++) {
        const gd_instrument *ins = gd_config_instrument(cfg, e->symbols[s]);
        if (!ins)
            return gd_err_set(err, GD_EINVAL,
                              "symbol %s has no [instrument.%s] section (tick_size, step_size, min_qty, "
                              "min_notional): refusing to guess exchange rules",
                              e->symbols[s], e->symbols[s]);
        out[s] = *ins;
    }
    return 0;
}

int gd_engine_new(const gd_engine_opts *o, gd_engine **out, gd_err *err)
{
    const gd_config *cfg = o->cfg;
    int rc = GD_ENOMEM;
    gd_engine *e = calloc(1, sizeof *e);
    *out = NULL;
    if (!e)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    e->n_symbols = o->n_symbols;
    e->trade_from_ms = o->trade_from_ms ? o->trade_from_ms : INT64_MIN;
    e->replay = !o->live;
    e->series_source = o->series_source;
    e->shared = o->shared_plugins;
    e->overrides = (gd_param_override *)o->overrides;
    e->n_overrides = o->n_overrides;
    if (o->plugin_dir && !(e->plugin_dir = strdup(o->plugin_dir)))
        goto nomem;
    if (o->n_skip) {
        if (!(e->skip = calloc(o->n_skip, sizeof *e->skip)))
            goto nomem;
        for (uint32_t i = 0; i < o->n_skip; i++)
            if (o->skip[i] && !(e->skip[e->n_skip++] = strdup(o->skip[i])))
                goto nomem;
    }
    if (o->n_symbols == 0) {
        rc = gd_err_set(err, GD_EINVAL, "no symbols: configure [replay] data = SYMBOL:file.csv");
        goto fail;
    }
    e->symbols = calloc(o->n_symbols, sizeof *e->symbols);
    e->instr = calloc(o->n_symbols, sizeof *e->instr);
    e->last_bar_ms = calloc(o->n_symbols, sizeof *e->last_bar_ms);
    if (!e->symbols || !e->instr || !e->last_bar_ms)
        goto nomem;
    for (uint32_t s = 0; s < o->n_symbols; s++)
        if (!(e->symbols[s] = strdup(o->symbols[s])))
            goto nomem;
    rc = copy_instruments(e, cfg, e->instr, err);
    if (rc)
        goto fail;
    setup_api(e);
    e->bin.struct_size = sizeof e->bin;

    rc = gen_build(e, cfg, &e->gen, err);
    if (rc)
        goto fail;
    rc = ensure_history(e, e->gen, err);
    if (rc)
        goto fail;
    /* The first generation's strategy names are the first slots. */
    e->slot_names = e->gen->new_slots;
    e->n_slots = e->gen->n_new_slots;
    e->gen->new_slots = NULL;
    e->gen->n_new_slots = 0;

    gd_limits lim;
    gd_limits_from_config(cfg, &lim);
    if (gd_pipeline_init(&e->pipe, &lim, e->instr, e->n_symbols, e->n_slots) != 0)
        goto nomem;
    if (gd_book_init(&e->book, e->n_slots, e->n_symbols, cfg->equity) != 0)
        goto nomem;
    gd_simexec_conf sc = {e->n_slots, e->n_symbols, cfg->fee_bps, cfg->slippage_bps};
    rc = gd_simexec_new(&sc, (gd_fill_sink){e, on_fill}, &e->exec, err);
    if (rc)
        goto fail;
    e->slot_ref = calloc((size_t)(e->n_slots ? e->n_slots : 1) * e->n_symbols, sizeof *e->slot_ref);
    if (!e->slot_ref)
        goto nomem;
    *out = e;
    return 0;
nomem:
    rc = gd_err_set(err, GD_ENOMEM, "out of memory");
fail:
    gd_engine_free(e);
    return rc;
}

static void remove_cache_dir(gd_engine *e)
{
    if (!e->cache_dir || !e->cache_dir_temp)
        return;
    DIR *d = opendir(e->cache_dir);
    if (d) {
        struct dirent *de;
        char path[4400];
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
                continue;
            snprintf(path, sizeof path, "%s/%s", e->cache_dir, de->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(e->cache_dir);
}

void gd_engine_free(gd_engine *e)
{
    if (!e)
        return;
    if (e->log.ops)
        e->log.ops->close(e->log.self);
    gen_free(e, e->gen);
    while (e->n_libs) /* anything a failed build left behind */
        cache_release(e, e->libs[0].lib);
    free(e->libs);
    remove_cache_dir(e);
    free(e->cache_dir);
    if (e->hist)
        for (uint32_t s = 0; s < e->n_symbols; s++)
            free(e->hist[s].bars);
    free(e->hist);
    if (e->exec.ops)
        e->exec.ops->destroy(e->exec.self);
    gd_book_free(&e->book);
    gd_pipeline_free(&e->pipe);
    for (uint32_t i = 0; i < e->n_slots; i++)
        free(e->slot_names[i]);
    free(e->slot_names);
    for (uint32_t i = 0; i < e->n_skip; i++)
        free(e->skip[i]);
    free(e->skip);
    free(e->plugin_dir);
    if (e->symbols)
        for (uint32_t s = 0; s < e->n_symbols; s++)
            free(e->symbols[s]);
    free(e->symbols);
    free(e->instr);
    free(e->slot_ref);
    free(e->last_bar_ms);
    for (uint32_t i = 0; i < e->n_series; i++) {
        free(e->series[i].t);
        free(e->series[i].v);
    }
    free(e->series);
    free(e);
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
    rc = copy_instruments(e, cfg, instr, err);
    if (rc)
        goto fail;

    /* 2. The whole new set, next to the running one. */
    e->reloading = 1;
    rc = gen_build(e, cfg, &g, err);
    e->reloading = 0;
    if (rc)
        goto fail;
    rc = ensure_history(e, g, err);
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
    warm_up(e, cold, n_cold);
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
    gen_free(e, old);

    /* Positions whose strategy is gone keep their stops; say so. */
    for (uint32_t k = 0; k < e->n_slots; k++)
        for (uint32_t s = 0; s < e->n_symbols; s++) {
            const gd_position *p = gd_book_pos(&e->book, k, s);
            if (p->side != GORDON_SIDE_NONE && (k >= g->n_slots || !g->by_slot[k]))
                gd_log(GD_LOG_WARN, "reload", NULL, "orphaned position: strategy %s %s %s qty %.10g, stop %.10g",
                       e->slot_names[k], e->symbols[s], p->side > 0 ? "long" : "short", p->qty, p->stop);
        }
    e->reloads_ok++;
    return 0;
fail:
    gen_free(e, g);
    free(instr);
    gd_config_free(cfg);
    free(cfg);
    e->reloads_failed++;
    return rc;
}

void gd_engine_reload_failed(gd_engine *e) { e->reloads_failed++; }

const gd_config *gd_engine_config(const gd_engine *e) { return e->gen->cfg; }

void gd_engine_set_intentlog(gd_engine *e, gd_intentlog log)
{
    if (e->log.ops)
        e->log.ops->close(e->log.self);
    e->log = log;
}

int gd_engine_flush(gd_engine *e, gd_err *err)
{
    return e->log.ops ? e->log.ops->flush(e->log.self, err) : 0;
}

const gd_book *gd_engine_book(const gd_engine *e) { return &e->book; }

void gd_engine_stats_get(const gd_engine *e, gd_engine_stats *out)
{
    memset(out, 0, sizeof *out);
    out->bars = e->bars;
    out->signals = e->signals;
    memcpy(out->by_result, e->pipe.by_result, sizeof out->by_result);
    out->halted = e->halted;
    snprintf(out->halt_reason, sizeof out->halt_reason, "%s", e->halt_reason);
}

void gd_engine_summary(const gd_engine *e, FILE *out)
{
    const gd_book *b = &e->book;
    double net = b->equity - b->start_equity;
    uint64_t accepted = e->pipe.by_result[GORDON_ACCEPTED], rejected = 0;
    for (int i = 1; i < GORDON_REJECT__COUNT; i++)
        rejected += e->pipe.by_result[i];
    fprintf(out, "bars            %llu\n", (unsigned long long)e->bars);
    fprintf(out, "signals         %llu (accepted %llu, rejected %llu)\n", (unsigned long long)e->signals,
            (unsigned long long)accepted, (unsigned long long)rejected);
    fprintf(out, "trades          %llu", (unsigned long long)b->trades);
    if (b->trades)
        fprintf(out, " (win rate %.1f%%)", 100.0 * (double)b->wins / (double)b->trades);
    fprintf(out, "\n");
    if (b->gross_loss > 0.0)
        fprintf(out, "profit factor   %.2f\n", b->gross_profit / b->gross_loss);
    else
        fprintf(out, "profit factor   n/a (no losing trades)\n");
    fprintf(out, "net PnL         %+.2f (%+.2f%%), fees %.2f\n", net, 100.0 * net / b->start_equity, b->fees);
    fprintf(out, "final equity    %.2f (start %.2f)\n", b->equity, b->start_equity);
    fprintf(out, "max drawdown    %.2f%% (longest %.1f days below a peak)\n", b->max_dd_pct,
            (double)b->max_dd_duration_ms / (double)GD_DAY_MS);
    fprintf(out, "open positions  %u\n", b->open_count);
    fprintf(out, "halt latch      %s%s%s\n", e->halted ? "SET" : "clear", e->halted ? ": " : "",
            e->halted ? e->halt_reason : "");
    if (rejected) {
        fprintf(out, "rejections by reason:\n");
        for (int i = 1; i < GORDON_REJECT__COUNT; i++)
            if (e->pipe.by_result[i])
                fprintf(out, "  %-20s %llu\n", gd_reject_name(i), (unsigned long long)e->pipe.by_result[i]);
    }
    for (uint32_t i = 0; i < e->gen->n_breakers; i++) {
        const gd_inst *bi = e->gen->breakers[i];
        static const char *const st[] = {"ok", "warn", "tripped"};
        fprintf(out, "breaker %-12s %s (value %.4g, threshold %.4g)\n", bi->short_name,
                st[bi->last.state >= 0 && bi->last.state <= 2 ? bi->last.state : 2], bi->last.value,
                bi->last.threshold);
    }
}

/* ------------------------------------------------------------ operator views */

const gd_engine_counters *gd_engine_counters_get(const gd_engine *e) { return &e->ctr; }
int64_t gd_engine_now(const gd_engine *e) { return e->now_ms; }

int gd_engine_flatten(gd_engine *e, const char *who, const char *why, char **json)
{
    int failures = 0;
    char hw[256];
    snprintf(hw, sizeof hw, "emergency flatten: %s", why);
    gd_engine_halt(e, who, hw);
    cJSON *root = cJSON_CreateObject();
    cJSON *sent = cJSON_AddArrayToObject(root, "closed");
    cJSON *errs = cJSON_AddArrayToObject(root, "errors");
    for (uint32_t k = 0; k < e->n_slots; k++)
        for (uint32_t s = 0; s < e->n_symbols; s++) {
            const gd_position *p = gd_book_pos(&e->book, k, s);
            gd_slot_orders so;
            e->exec.ops->slot(e->exec.self, k, s, &so);
            if (p->side == GORDON_SIDE_NONE && !so.entry_pending)
                continue;
            if (so.exit_pending && !so.entry_pending)
                continue; /* already on its way out */
            gd_order o;
            gd_err err;
            gd_intent it;
            memset(&o, 0, sizeof o);
            memset(&it, 0, sizeof it);
            it.id = e->pipe.next_id++;
            it.time_ms = e->now_ms;
            it.strategy = k;
            it.symbol = s;
            it.action = GORDON_ACTION_EXIT;
            it.side = p->side;
            it.qty = p->qty;
            snprintf(it.tag, sizeof it.tag, "emergency-flatten");
            o.intent_id = it.id;
            o.owner = k;
            o.symbol = s;
            o.kind = GD_ORDER_FLATTEN;
            o.ref_price = e->book.mark[s];
            o.time_ms = e->now_ms;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "strategy", e->slot_names[k]);
            cJSON_AddStringToObject(x, "symbol", e->symbols[s]);
            cJSON_AddStringToObject(x, "side", gd_side_name(p->side));
            cJSON_AddNumberToObject(x, "qty", p->qty);
            if (e->exec.ops->submit(e->exec.self, &o, &err) != 0) {
                failures++;
                it.result = GORDON_REJECT_EXECUTOR;
                snprintf(it.detail, sizeof it.detail, "flatten failed: %.130s", err.msg);
                cJSON_AddStringToObject(x, "error", err.msg);
                cJSON_AddItemToArray(errs, x);
            } else {
                e->ctr.orders[GD_ORDER_FLATTEN]++;
                e->slot_ref[(size_t)k * e->n_symbols + s] = e->book.mark[s];
                snprintf(it.detail, sizeof it.detail, "emergency flatten by %.100s", who);
                cJSON_AddStringToObject(x, "order", p->side ? "reduce-only market" : "pending entry cancelled");
                cJSON_AddItemToArray(sent, x);
            }
            record_intent(e, &it);
        }
    char f[64];
    snprintf(f, sizeof f, "\"orders\":%d,\"failures\":%d", cJSON_GetArraySize(sent), failures);
    audit(e, "flatten", who, why, f);
    cJSON_AddBoolToObject(root, "halted", 1);
    if (json)
        *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return failures;
}

char *gd_engine_positions_json(const gd_engine *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "positions");
    for (uint32_t k = 0; k < e->n_slots; k++)
        for (uint32_t s = 0; s < e->n_symbols; s++) {
            const gd_position *p = &e->book.pos[(size_t)k * e->n_symbols + s];
            if (p->side == GORDON_SIDE_NONE)
                continue;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "strategy", e->slot_names[k]);
            cJSON_AddStringToObject(x, "symbol", e->symbols[s]);
            cJSON_AddStringToObject(x, "side", gd_side_name(p->side));
            /* Its strategy was removed by a reload: nobody manages it but its stop. */
            cJSON_AddBoolToObject(x, "orphaned", k >= e->gen->n_slots || !e->gen->by_slot[k]);
            cJSON_AddNumberToObject(x, "qty", p->qty);
            cJSON_AddNumberToObject(x, "entry_price", p->entry_price);
            cJSON_AddNumberToObject(x, "stop", p->stop);
            cJSON_AddNumberToObject(x, "take_profit", p->take_profit);
            cJSON_AddNumberToObject(x, "mark", e->book.mark[s]);
            cJSON_AddNumberToObject(x, "unrealized_pnl", p->side * p->qty * (e->book.mark[s] - p->entry_price));
            cJSON_AddNumberToObject(x, "opened_ms", (double)p->opened_ms);
            cJSON_AddItemToArray(arr, x);
        }
    cJSON_AddNumberToObject(root, "equity", e->book.equity);
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

char *gd_engine_risk_json(const gd_engine *e)
{
    static const char *const st[] = {"ok", "warn", "tripped"};
    cJSON *root = cJSON_CreateObject();
    cJSON *latch = cJSON_AddObjectToObject(root, "halt_latch");
    cJSON_AddBoolToObject(latch, "halted", e->halted);
    if (e->halted) {
        cJSON_AddStringToObject(latch, "who", e->halt_who);
        cJSON_AddStringToObject(latch, "reason", e->halt_reason);
        cJSON_AddNumberToObject(latch, "since_ms", (double)e->halt_since_ms);
    }
    cJSON_AddBoolToObject(latch, "persisted", e->state != NULL);
    cJSON *br = cJSON_AddArrayToObject(root, "breakers");
    for (uint32_t i = 0; i < e->gen->n_breakers; i++) {
        const gd_inst *b = e->gen->breakers[i];
        cJSON *x = cJSON_CreateObject();
        int s = b->last.state >= 0 && b->last.state <= 2 ? b->last.state : 2;
        cJSON_AddStringToObject(x, "name", b->short_name);
        cJSON_AddStringToObject(x, "plugin", b->d->name);
        cJSON_AddStringToObject(x, "state", st[s]);
        if (isfinite(b->last.value))
            cJSON_AddNumberToObject(x, "value", b->last.value);
        else
            cJSON_AddNullToObject(x, "value");
        cJSON_AddNumberToObject(x, "threshold", b->last.threshold);
        if (s != GORDON_BREAKER_OK)
            cJSON_AddStringToObject(x, "reason", b->last.reason);
        cJSON_AddItemToArray(br, x);
    }
    cJSON *acct = cJSON_AddObjectToObject(root, "account");
    cJSON_AddNumberToObject(acct, "equity", e->book.equity);
    cJSON_AddNumberToObject(acct, "peak_equity", e->book.peak);
    cJSON_AddNumberToObject(acct, "drawdown_pct",
                            e->book.peak > 0 ? (e->book.peak - e->book.equity) / e->book.peak * 100.0 : 0.0);
    cJSON_AddNumberToObject(acct, "gross_exposure", e->book.gross);
    cJSON_AddNumberToObject(acct, "gross_exposure_cap", e->pipe.lim.max_gross_exposure);
    cJSON_AddNumberToObject(acct, "notional_used_today", e->pipe.used_today);
    cJSON_AddNumberToObject(acct, "notional_cap_daily", e->pipe.lim.max_daily_notional);
    cJSON_AddNumberToObject(acct, "open_positions", e->book.open_count);
    /* Positions whose strategy a reload removed: only their stops manage them. */
    cJSON *orph = cJSON_AddArrayToObject(root, "orphaned_positions");
    for (uint32_t k = 0; k < e->n_slots; k++)
        for (uint32_t s = 0; s < e->n_symbols; s++) {
            const gd_position *p = &e->book.pos[(size_t)k * e->n_symbols + s];
            if (p->side == GORDON_SIDE_NONE || (k < e->gen->n_slots && e->gen->by_slot[k]))
                continue;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "strategy", e->slot_names[k]);
            cJSON_AddStringToObject(x, "symbol", e->symbols[s]);
            cJSON_AddStringToObject(x, "side", gd_side_name(p->side));
            cJSON_AddNumberToObject(x, "qty", p->qty);
            cJSON_AddNumberToObject(x, "stop", p->stop);
            cJSON_AddItemToArray(orph, x);
        }
    cJSON *in = cJSON_AddObjectToObject(root, "intents");
    for (int i = 0; i < GORDON_REJECT__COUNT; i++)
        if (e->pipe.by_result[i])
            cJSON_AddNumberToObject(in, gd_reject_name(i), (double)e->pipe.by_result[i]);
    cJSON_AddNumberToObject(root, "clock_ms", (double)e->now_ms);
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

uint32_t gd_engine_series_count(const gd_engine *e) { return e->n_series; }

const char *gd_engine_series_id(const gd_engine *e, uint32_t i) { return i < e->n_series ? e->series[i].id : NULL; }

int gd_engine_series_update(gd_engine *e, const char *id, const int64_t *t, const double *v, size_t n, int ok)
{
    gd_series_data *sd = series_find(e, id);
    if (!sd)
        return GD_ENOENT;
    if (!ok) { /* keep what we had: stale, not gone */
        sd->ok = 0;
        return 0;
    }
    int64_t *nt = malloc((n ? n : 1) * sizeof *nt);
    double *nv = malloc((n ? n : 1) * sizeof *nv);
    if (!nt || !nv) {
        free(nt);
        free(nv);
        sd->ok = 0;
        return GD_ENOMEM;
    }
    memcpy(nt, t, n * sizeof *nt);
    memcpy(nv, v, n * sizeof *nv);
    free(sd->t);
    free(sd->v);
    sd->t = nt;
    sd->v = nv;
    sd->n = n;
    sd->ok = 1;
    sd->fetched_ms = wall_ms();
    return 0;
}

/* ------------------------------------------------------------ Prometheus */

#define GD_PROM_ENUM(name, type, help, labels) GD_PROM_##name,
enum { GD_PROM_FAMILIES(GD_PROM_ENUM) GD_PROM__COUNT };
#define GD_PROM_ROW(name, type, help, labels) {#name, #type, help},
static const struct {
    const char *name, *type, *help;
} prom_rows[] = {GD_PROM_FAMILIES(GD_PROM_ROW)};

static void head(gd_buf *b, int fam)
{
    gd_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", prom_rows[fam].name, prom_rows[fam].help, prom_rows[fam].name,
       prom_rows[fam].type);
}

/* Label values from plugins' names are [a-z0-9_] and symbols [A-Za-z0-9_.-]:
 * nothing to escape, by the config loader's rules. */
char *gd_engine_metrics(const gd_engine *e, const char *extra)
{
    static const char *const fill_reasons[] = {"", "entry", "exit", "stop", "take_profit", "flatten"};
    static const char *const order_kinds[] = {"", "entry", "exit", "flatten"};
    gd_buf b = GD_BUF_INIT;
    head(&b, GD_PROM_gordon_up);
    gd_buf_printf(&b, "gordon_up 1\n");
    head(&b, GD_PROM_gordon_build_info);
    gd_buf_printf(&b, "gordon_build_info{version=\"%s\",git=\"%s\",sdk_abi=\"%d.%d\"} 1\n", GD_VERSION, GD_GIT_DESCRIBE,
       GORDON_SDK_ABI_MAJOR, GORDON_SDK_ABI_MINOR);
    head(&b, GD_PROM_gordon_breaker_state);
    for (uint32_t i = 0; i < e->gen->n_breakers; i++)
        gd_buf_printf(&b, "gordon_breaker_state{breaker=\"%s\"} %d\n", e->gen->breakers[i]->short_name,
           e->gen->breakers[i]->last.state);
    head(&b, GD_PROM_gordon_breaker_value);
    for (uint32_t i = 0; i < e->gen->n_breakers; i++) {
        double v = e->gen->breakers[i]->last.value;
        if (isfinite(v))
            gd_buf_printf(&b, "gordon_breaker_value{breaker=\"%s\"} %.17g\n", e->gen->breakers[i]->short_name, v);
        else
            gd_buf_printf(&b, "gordon_breaker_value{breaker=\"%s\"} NaN\n", e->gen->breakers[i]->short_name);
    }
    head(&b, GD_PROM_gordon_halt_latch);
    gd_buf_printf(&b, "gordon_halt_latch %d\n", e->halted);
    head(&b, GD_PROM_gordon_intents_total);
    gd_buf_printf(&b, "gordon_intents_total{result=\"accepted\",reason=\"\"} %llu\n",
       (unsigned long long)e->pipe.by_result[GORDON_ACCEPTED]);
    for (int i = 1; i < GORDON_REJECT__COUNT; i++)
        gd_buf_printf(&b, "gordon_intents_total{result=\"rejected\",reason=\"%s\"} %llu\n", gd_reject_name(i),
           (unsigned long long)e->pipe.by_result[i]);
    head(&b, GD_PROM_gordon_orders_total);
    for (int k = 1; k < 4; k++)
        gd_buf_printf(&b, "gordon_orders_total{kind=\"%s\"} %llu\n", order_kinds[k], (unsigned long long)e->ctr.orders[k]);
    head(&b, GD_PROM_gordon_fills_total);
    for (int k = 1; k < 6; k++)
        gd_buf_printf(&b, "gordon_fills_total{reason=\"%s\"} %llu\n", fill_reasons[k], (unsigned long long)e->ctr.fills[k]);
    head(&b, GD_PROM_gordon_fill_slippage_bps);
    uint64_t cum = 0;
    for (int k = 0; k < GD_SLIP_BUCKETS; k++) {
        cum += e->ctr.slip_le[k];
        gd_buf_printf(&b, "gordon_fill_slippage_bps_bucket{le=\"%g\"} %llu\n", gd_slip_bounds[k], (unsigned long long)cum);
    }
    cum += e->ctr.slip_le[GD_SLIP_BUCKETS];
    gd_buf_printf(&b, "gordon_fill_slippage_bps_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    gd_buf_printf(&b, "gordon_fill_slippage_bps_sum %.17g\ngordon_fill_slippage_bps_count %llu\n", e->ctr.slip_sum,
       (unsigned long long)e->ctr.slip_count);
    head(&b, GD_PROM_gordon_equity);
    gd_buf_printf(&b, "gordon_equity %.17g\n", e->book.equity);
    head(&b, GD_PROM_gordon_drawdown_pct);
    gd_buf_printf(&b, "gordon_drawdown_pct %.17g\n", e->book.peak > 0 ? (e->book.peak - e->book.equity) / e->book.peak * 100.0 : 0.0);
    head(&b, GD_PROM_gordon_notional_used_today);
    gd_buf_printf(&b, "gordon_notional_used_today %.17g\n", e->pipe.used_today);
    head(&b, GD_PROM_gordon_notional_cap_daily);
    gd_buf_printf(&b, "gordon_notional_cap_daily %.17g\n", e->pipe.lim.max_daily_notional);
    head(&b, GD_PROM_gordon_positions_open);
    gd_buf_printf(&b, "gordon_positions_open %u\n", e->book.open_count);
    head(&b, GD_PROM_gordon_data_freshness_seconds);
    for (uint32_t s = 0; s < e->n_symbols; s++)
        if (e->last_bar_ms[s])
            gd_buf_printf(&b, "gordon_data_freshness_seconds{symbol=\"%s\"} %.3f\n", e->symbols[s],
               (double)(e->now_ms - e->last_bar_ms[s]) / 1000.0);
    head(&b, GD_PROM_gordon_plugin_loads_total);
    gd_buf_printf(&b, "gordon_plugin_loads_total{result=\"ok\"} %llu\ngordon_plugin_loads_total{result=\"error\"} %llu\n",
       (unsigned long long)e->loads_ok, (unsigned long long)e->loads_failed);
    head(&b, GD_PROM_gordon_plugin_reloads_total);
    gd_buf_printf(&b, "gordon_plugin_reloads_total{result=\"ok\"} %llu\ngordon_plugin_reloads_total{result=\"error\"} %llu\n",
       (unsigned long long)e->reloads_ok, (unsigned long long)e->reloads_failed);
    head(&b, GD_PROM_gordon_bars_total);
    gd_buf_printf(&b, "gordon_bars_total %llu\n", (unsigned long long)e->bars);
    if (extra)
        gd_buf_printf(&b, "%s", extra);
    return gd_buf_take(&b);
}

const char *gd_prom_family_help(const char *name)
{
    for (int i = 0; i < GD_PROM__COUNT; i++)
        if (!strcmp(prom_rows[i].name, name))
            return prom_rows[i].help;
    return NULL;
}
