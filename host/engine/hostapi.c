/* The host-API table: what a plugin instance can see and do, as an ABI
 * adapter onto the engine. Every entry resolves the caller's context first;
 * a stale or forged handle gets nothing. */
#include "engine/engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/sized.h"

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

/* The caller's instance, for a call that fills a struct about symbol s:
 * NULL for a stale context, a bad symbol, or a struct_size below min. */
static gd_inst *inst_for(gordon_ctx *ctx, uint32_t s, const uint32_t *struct_size, size_t min)
{
    gd_inst *in = ctx_inst(ctx);
    return in && struct_size && s < in->ctx.eng->n_symbols && *struct_size >= min ? in : NULL;
}

static int api_position(gordon_ctx *ctx, uint32_t s, gordon_position *out)
{
    gd_inst *in = inst_for(ctx, s, out ? &out->struct_size : NULL, GD_SIZE_THROUGH(gordon_position, reserved));
    if (!in)
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
    gd_sized_out(out, out->struct_size, &p, sizeof p);
    return 0;
}

static double api_equity(gordon_ctx *ctx)
{
    gd_inst *in = ctx_inst(ctx);
    return in ? in->ctx.eng->book.equity : 0.0;
}

static int api_emit(gordon_ctx *ctx, const gordon_signal *sig)
{
    gd_inst *in = ctx_inst(ctx);
    if (!in || in->kind != GORDON_KIND_STRATEGY || !sig)
        return -1;
    return gd_engine_emit(in->ctx.eng, in, sig);
}

static int api_exposure(gordon_ctx *ctx, uint32_t sym, gordon_exposure *out)
{
    gd_inst *in = inst_for(ctx, sym, out ? &out->struct_size : NULL, GD_SIZE_THROUGH(gordon_exposure, notional));
    if (!in)
        return -1;
    gd_engine *e = in->ctx.eng;
    gordon_exposure x;
    memset(&x, 0, sizeof x);
    x.struct_size = sizeof x;
    for (uint32_t k = 0; k < e->n_slots; k++) {
        const gd_position *p;
        gd_slot_orders so;
        if (!gd_engine_slot_holds(e, k, sym, &p, &so))
            continue;
        x.strategies++;
        x.net_qty += p->side * p->qty;
        x.gross_qty += p->qty;
        if (so.entry_pending && e->book.mark[sym] > 0)
            x.pending_qty += so.entry_notional / e->book.mark[sym];
    }
    x.notional = x.gross_qty * e->book.mark[sym];
    gd_sized_out(out, out->struct_size, &x, sizeof x);
    return 0;
}

static int api_series_subscribe(gordon_ctx *ctx, const char *id)
{
    gd_inst *in = ctx_inst(ctx);
    return in ? gd_series_subscribe(in->ctx.eng, id) : -1;
}

static int api_series_get(gordon_ctx *ctx, const char *id, gordon_series_point *out)
{
    gd_inst *in = ctx_inst(ctx);
    return in ? gd_series_get(in->ctx.eng, id, out) : -1;
}

void gd_hostapi_init(gordon_host_api *a)
{
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
}
