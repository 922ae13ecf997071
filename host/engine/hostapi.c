/* The host-API table: what a plugin instance can see and do, as an ABI
 * adapter onto the engine. Every entry resolves the caller's context first;
 * a stale or forged handle gets nothing. */
#include "engine/engine_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/sized.h"

/* ---- handles ---- */

/* Instances a process runs at once, over every engine (an ablation runs
 * several engines per thread): far more than any configuration needs. */
#define GD_HANDLES_MAX 65536u

static _Atomic(gd_inst *) handle_inst[GD_HANDLES_MAX];
static _Atomic uint32_t handle_gen[GD_HANDLES_MAX];
static atomic_uint handle_hint;
static atomic_ullong handle_refused;

_Thread_local gordon_ctx *gd_calling;

static uintptr_t handle_value(uint32_t idx, uint32_t gen) { return ((uintptr_t)gen << 32) | (uintptr_t)(idx + 1); }

gordon_ctx *gd_handle_new(gd_inst *in)
{
    unsigned start = atomic_fetch_add(&handle_hint, 1u);
    for (unsigned k = 0; k < GD_HANDLES_MAX; k++) {
        uint32_t idx = (start + k) % GD_HANDLES_MAX;
        gd_inst *empty = NULL;
        if (atomic_compare_exchange_strong(&handle_inst[idx], &empty, in)) {
            uint32_t gen = atomic_load(&handle_gen[idx]);
            if (gen == 0) { /* generation 0 never names anything */
                atomic_store(&handle_gen[idx], 1u);
                gen = 1;
            }
            return (gordon_ctx *)handle_value(idx, gen);
        }
    }
    return NULL;
}

void gd_handle_free(gordon_ctx *h)
{
    uintptr_t v = (uintptr_t)h;
    uint32_t idx = (uint32_t)(v & 0xFFFFFFFFu) - 1u;
    if (!h || idx >= GD_HANDLES_MAX)
        return;
    /* A new generation first: a late call with the old handle never sees
     * whatever takes the slot next. */
    atomic_fetch_add(&handle_gen[idx], 1u);
    atomic_store(&handle_inst[idx], NULL);
}

/* The instance behind a handle, or NULL (counted) for a stale or forged one,
 * or one not being called on this thread right now. Lock-free: a compare,
 * two loads and a compare. */
static gd_inst *ctx_inst(gordon_ctx *ctx)
{
    uintptr_t v = (uintptr_t)ctx;
    uint32_t idx = (uint32_t)(v & 0xFFFFFFFFu) - 1u, gen = (uint32_t)(v >> 32);
    if (ctx && ctx == gd_calling && idx < GD_HANDLES_MAX && gen && atomic_load(&handle_gen[idx]) == gen) {
        gd_inst *in = atomic_load(&handle_inst[idx]);
        if (in && atomic_load(&handle_gen[idx]) == gen)
            return in;
    }
    atomic_fetch_add(&handle_refused, 1u);
    return NULL;
}

uint64_t gd_plugin_refused_calls(void) { return atomic_load(&handle_refused); }

const gd_inst *gd_handle_peek(gordon_ctx *h)
{
    uintptr_t v = (uintptr_t)h;
    uint32_t idx = (uint32_t)(v & 0xFFFFFFFFu) - 1u;
    return h && idx < GD_HANDLES_MAX ? atomic_load(&handle_inst[idx]) : NULL;
}

gd_inst *gd_handle_inst(gordon_ctx *h)
{
    uintptr_t v = (uintptr_t)h;
    uint32_t idx = (uint32_t)(v & 0xFFFFFFFFu) - 1u, gen = (uint32_t)(v >> 32);
    if (!h || h != gd_calling || idx >= GD_HANDLES_MAX || !gen || atomic_load(&handle_gen[idx]) != gen)
        return NULL;
    return atomic_load(&handle_inst[idx]);
}

int gd_overlay_filter(void *instance, const gordon_signal *in, gordon_signal *out, char *reason, size_t len)
{
    gd_inst *ov = instance;
    int r;
    GD_CALL_AS(ov->handle, r = ov->d->filter(ov->self, in, out, reason, len));
    return r;
}

/* ---- the table ---- */

/* log() takes a message, not a format (SDK 1.3): the host never formats
 * with a plugin's string and arguments (a %n or a bad %s must do nothing).
 * At most GD_LOG_MSG_MAX bytes are read and made valid UTF-8; gordon_log()
 * in <gordon/helpers.h> formats in the plugin's own buffer. */
#define GD_LOG_MSG_MAX 1024

static void api_log(gordon_ctx *ctx, int level, const char *msg, ...)
{
    gd_inst *in = ctx_inst(ctx);
    char text[GD_LOG_MSG_MAX], fields[256], name[160];
    if (!in || !msg)
        return;
    if (level < GORDON_LOG_DEBUG || level > GORDON_LOG_ERROR)
        level = GORDON_LOG_INFO;
    if (!gd_log_enabled(level))
        return;
    gd_utf8_copy(text, sizeof text, msg);
    gd_json_escape(name, sizeof name, in->name);
    snprintf(fields, sizeof fields, "\"plugin\":\"%s\"", name);
    gd_log(level, "plugin", fields, "%s", text);
}

static int api_log_enabled(gordon_ctx *ctx, int level)
{
    gd_inst *in = ctx_inst(ctx);
    if (level < GORDON_LOG_DEBUG || level > GORDON_LOG_ERROR)
        level = GORDON_LOG_INFO;
    return in && gd_log_enabled(level);
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
    gd_inst *in = ctx_inst(ctx);
    if (!in || !name || !out)
        return -1;
    const gd_param_value *v = gd_params_find(&in->params, name);
    if (!v || v->decl.type != GORDON_PARAM_STRING || !in->pstr)
        return -1;
    const char *ro = in->pstr[v - in->params.v];
    *out = ro ? ro : "";
    return 0;
}

static int64_t api_now_ms(gordon_ctx *ctx)
{
    gd_inst *in = ctx_inst(ctx);
    return in ? in->eng->now_ms : 0;
}

static uint32_t api_symbol_count(gordon_ctx *ctx)
{
    gd_inst *in = ctx_inst(ctx);
    return in ? in->eng->n_symbols : 0;
}

static const char *api_symbol_name(gordon_ctx *ctx, uint32_t s)
{
    gd_inst *in = ctx_inst(ctx);
    return in && s < in->eng->n_symbols ? in->eng->sym_ro[s] : NULL;
}

static int api_subscribed(gordon_ctx *ctx, uint32_t s)
{
    gd_inst *in = ctx_inst(ctx);
    return in && s < in->eng->n_symbols ? in->sub[s] : 0;
}

static size_t api_bars(gordon_ctx *ctx, uint32_t s, size_t n, gordon_bar *out, size_t elem_size)
{
    gd_inst *in = ctx_inst(ctx);
    /* elem_size is the plugin's sizeof(gordon_bar): a few times ours at
     * most, never a length that walks the host's writes off its buffer. */
    if (!in || s >= in->eng->n_symbols || !out || elem_size == 0 || elem_size > GD_BAR_ELEM_MAX)
        return 0;
    const gd_ring *r = &in->eng->hist[s];
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
    return in && struct_size && s < in->eng->n_symbols && *struct_size >= min ? in : NULL;
}

static int api_position(gordon_ctx *ctx, uint32_t s, gordon_position *out)
{
    gd_inst *in = inst_for(ctx, s, out ? &out->struct_size : NULL, GD_SIZE_THROUGH(gordon_position, reserved));
    if (!in)
        return -1;
    gd_engine *e = in->eng;
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
    return in ? in->eng->book.equity : 0.0;
}

static int api_emit(gordon_ctx *ctx, const gordon_signal *sig)
{
    gd_inst *in = ctx_inst(ctx);
    if (!in || in->kind != GORDON_KIND_STRATEGY || !sig)
        return -1;
    return gd_engine_emit(in->eng, in, sig);
}

static int api_exposure(gordon_ctx *ctx, uint32_t sym, gordon_exposure *out)
{
    gd_inst *in = inst_for(ctx, sym, out ? &out->struct_size : NULL, GD_SIZE_THROUGH(gordon_exposure, notional));
    if (!in)
        return -1;
    gd_engine *e = in->eng;
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
    return in ? gd_series_subscribe(in->eng, id) : -1;
}

static int api_series_get(gordon_ctx *ctx, const char *id, gordon_series_point *out)
{
    gd_inst *in = ctx_inst(ctx);
    return in ? gd_series_get(in->eng, id, out) : -1;
}

static void fill(gordon_host_api *a)
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
    a->log_enabled = api_log_enabled;
}

static const gordon_host_api *the_table;

static void make_table(void)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t len = sizeof(gordon_host_api) <= (size_t)page ? (size_t)page : sizeof(gordon_host_api);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    fill(p);
    /* Read-only from here: a plugin writing through its const pointer (or
     * past the table's end) faults instead of rewriting the host's limits,
     * which no longer sit next to it anyway. */
    if (mprotect(p, len, PROT_READ) != 0) {
        munmap(p, len);
        return;
    }
    the_table = p;
}

const gordon_host_api *gd_hostapi_table(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_table);
    return the_table;
}
