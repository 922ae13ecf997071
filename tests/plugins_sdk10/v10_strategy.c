/*
 * v10_strategy: a strategy built against the frozen SDK 1.0 header
 * (tests/sdk10/gordon/sdk.h, by relative path; sdk/include is not on its
 * include path), to prove that the current host still loads, trades with,
 * snapshots and restores a 1.0 plugin (tests/test_sdk_compat.c).
 * Deterministic and deliberately simple.
 *
 * It tracks its own position from on_fill, not from api->position, so its
 * exits exist only if fills reach it: flat (as far as its fills say) and no
 * order pending, it goes long on every `every`-th bar it sees (stop 2% below
 * the close); long, it exits after `hold` bars. Every signal's tag carries
 * the build, the bars seen and the fills received ("v10b1 n600 f12"), so a
 * test can see which code ran and what state it had. Both counters cross a
 * hot reload only through snapshot/restore: a warm-up from bar history can
 * neither replay fills nor recount bars older than the host's history.
 *
 * Built twice (V10_BUILD 1 and 2) into two files that differ in content but
 * not in plugin name, so a reload swaps the code and carries the state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Quoted and relative, so no -I can substitute the current header. */
#include "../sdk10/gordon/sdk.h"

#if GORDON_SDK_ABI_MAJOR != 1 || GORDON_SDK_ABI_MINOR != 0
#error "v10_strategy must be built against the frozen 1.0 header (tests/sdk10) only"
#endif

#ifndef V10_BUILD
#define V10_BUILD 1
#endif

#define SNAP_MAGIC 0x31303056u /* "V001" */
#define SNAP_BYTES (4 + 4 + 4 + 8 + 8)     /* magic, every, hold, bars, fills */
#define SNAP_SYM (4 + 4)                   /* long (0/1), bars held */

typedef struct sym_state {
    uint32_t is_long; /* from fills: 1 after an entry fill, 0 after any other */
    uint32_t held;    /* bars seen while long */
} sym_state;

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint32_t every, hold, nsym;
    uint64_t bars, fills;
    sym_state *sym;
} inst;

static const gordon_param params[] = {
    {.name = "every", .type = GORDON_PARAM_INT, .def = 7, .min = 1, .max = 1000,
     .help = "go long on every n-th bar while flat"},
    {.name = "hold", .type = GORDON_PARAM_INT, .def = 5, .min = 1, .max = 1000,
     .help = "exit after this many bars long"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    int64_t every = 0, hold = 0;
    inst *s;
    if (api->param_int(ctx, "every", &every) != 0 || api->param_int(ctx, "hold", &hold) != 0 ||
        every < 1 || hold < 1) {
        snprintf(err, err_len, "v10_strategy: cannot read every, hold");
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "v10_strategy: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    s->every = (uint32_t)every;
    s->hold = (uint32_t)hold;
    s->nsym = api->symbol_count(ctx);
    s->sym = calloc(s->nsym ? s->nsym : 1, sizeof *s->sym);
    if (!s->sym) {
        free(s);
        snprintf(err, err_len, "v10_strategy: out of memory");
        return -1;
    }
    *instance = s;
    return 0;
}

static void destroy(void *instance)
{
    inst *s = instance;
    if (!s)
        return;
    free(s->sym);
    free(s);
}

static void emit(inst *s, uint32_t symbol, int action, double close)
{
    gordon_signal sig = GORDON_SIGNAL_INIT;
    sig.symbol = symbol;
    sig.action = action;
    sig.entry = close;
    if (action == GORDON_ACTION_ENTRY) {
        sig.side = GORDON_SIDE_LONG;
        sig.stop_loss = close * 0.98;
    }
    snprintf(sig.tag, sizeof sig.tag, "v10b%d n%llu f%llu", V10_BUILD,
             (unsigned long long)s->bars, (unsigned long long)s->fills);
    s->api->emit(s->ctx, &sig);
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    gordon_position pos;
    sym_state *st;
    if (symbol >= s->nsym)
        return;
    st = &s->sym[symbol];
    s->bars++;
    memset(&pos, 0, sizeof pos);
    pos.struct_size = sizeof pos; /* the 1.0 size: no init macro in 1.0 */
    if (s->api->position(s->ctx, symbol, &pos) != 0 || pos.order_pending)
        return;
    if (st->is_long) {
        if (++st->held >= s->hold)
            emit(s, symbol, GORDON_ACTION_EXIT, bar->close);
    } else if (s->bars % s->every == 0) {
        emit(s, symbol, GORDON_ACTION_ENTRY, bar->close);
    }
}

static void on_fill(void *instance, const gordon_fill *fill)
{
    inst *s = instance;
    s->fills++;
    if (fill->symbol >= s->nsym)
        return;
    s->sym[fill->symbol].is_long = fill->reason == GORDON_FILL_ENTRY;
    s->sym[fill->symbol].held = 0;
}

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    size_t need = SNAP_BYTES + (size_t)s->nsym * SNAP_SYM;
    unsigned char *p = buf;
    uint32_t hdr[3] = {SNAP_MAGIC, s->every, s->hold}, i;
    if (!buf || cap < need)
        return need;
    memcpy(p, hdr, sizeof hdr);
    memcpy(p + 12, &s->bars, 8);
    memcpy(p + 20, &s->fills, 8);
    p += SNAP_BYTES;
    for (i = 0; i < s->nsym; i++, p += SNAP_SYM) {
        memcpy(p, &s->sym[i].is_long, 4);
        memcpy(p + 4, &s->sym[i].held, 4);
    }
    return need;
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    const unsigned char *p = buf;
    uint32_t hdr[3], i;
    if (!buf || len != SNAP_BYTES + (size_t)s->nsym * SNAP_SYM)
        return -1;
    memcpy(hdr, p, sizeof hdr);
    if (hdr[0] != SNAP_MAGIC || hdr[1] != s->every || hdr[2] != s->hold)
        return -1;
    for (i = 0; i < s->nsym; i++) { /* check all before applying any */
        uint32_t is_long;
        memcpy(&is_long, p + SNAP_BYTES + (size_t)i * SNAP_SYM, 4);
        if (is_long > 1)
            return -1;
    }
    memcpy(&s->bars, p + 12, 8);
    memcpy(&s->fills, p + 20, 8);
    for (i = 0; i < s->nsym; i++) {
        memcpy(&s->sym[i].is_long, p + SNAP_BYTES + (size_t)i * SNAP_SYM, 4);
        memcpy(&s->sym[i].held, p + SNAP_BYTES + (size_t)i * SNAP_SYM + 4, 4);
    }
    s->api->log(s->ctx, GORDON_LOG_INFO, "v10_strategy: build %d restored %llu bars, %llu fills",
                V10_BUILD, (unsigned long long)s->bars, (unsigned long long)s->fills);
    return 0;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "v10_strategy",
    .version = V10_BUILD == 1 ? "1.0.1" : "1.0.2",
    .description = "SDK 1.0 compatibility probe (tests): long every n bars, exit after m",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 0,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .on_fill = on_fill,
    .snapshot = snapshot,
    .restore = restore,
};

GORDON_PLUGIN_ENTRY(desc)
