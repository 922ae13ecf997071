/* A tiny fake gordon host for plugin tests: see fake_host.h. */
#include "fake_host.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FH_MAGIC 0x46484F53u /* "FHOS" */

typedef struct fh_param {
    gordon_param decl;
    int64_t i;
    double d;
    const char *s; /* borrowed from the params list or the declaration */
} fh_param;

struct gordon_ctx {
    uint32_t magic;
    fh_host *host;
};

typedef struct fh_series {
    char id[64];
    int subscribed;
    gordon_series_point pt;
} fh_series;

struct fh_host {
    gordon_ctx ctx;
    const gordon_plugin *desc;
    gordon_host_api api; /* what create() sees: the full table, or a shortened one */
    void *instance;
    fh_param *params;
    uint32_t n_params;
    uint32_t nsym;
    char (*names)[16];
    gordon_position *pos;
    int64_t now_ms;
    double equity;
    int emit_rc;
    gordon_signal sigs[FH_MAX_SIGNALS];
    size_t nsig;
    int log_count;
    char last_log[512];
    /* SDK 1.1 */
    gordon_exposure *expo;
    int in_create;
    int sub_rc;
    char sub_ids[FH_MAX_SERIES][64];
    int n_sub_ids;
    fh_series series[FH_MAX_SERIES];
    int n_series;
    gordon_breaker_result bres;
};

static fh_host *host_of(gordon_ctx *ctx)
{
    if (!ctx || ctx->magic != FH_MAGIC) {
        fprintf(stderr, "fake_host: bad ctx handle\n");
        abort();
    }
    return ctx->host;
}

static void h_log(gordon_ctx *ctx, int level, const char *fmt, ...) GORDON_PRINTF(3, 4);
static void h_log(gordon_ctx *ctx, int level, const char *fmt, ...)
{
    fh_host *h = host_of(ctx);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->last_log, sizeof h->last_log, fmt, ap);
    va_end(ap);
    h->log_count++;
    if (getenv("FH_VERBOSE"))
        fprintf(stderr, "[plugin log %d] %s\n", level, h->last_log);
}

static const fh_param *find(fh_host *h, const char *name, int type)
{
    uint32_t i;
    for (i = 0; i < h->n_params; i++)
        if (strcmp(h->params[i].decl.name, name) == 0)
            return h->params[i].decl.type == type ? &h->params[i] : NULL;
    return NULL;
}

static int h_param_int(gordon_ctx *ctx, const char *name, int64_t *out)
{
    const fh_param *p = find(host_of(ctx), name, GORDON_PARAM_INT);
    if (!p)
        return -1;
    *out = p->i;
    return 0;
}

static int h_param_double(gordon_ctx *ctx, const char *name, double *out)
{
    const fh_param *p = find(host_of(ctx), name, GORDON_PARAM_DOUBLE);
    if (!p)
        return -1;
    *out = p->d;
    return 0;
}

static int h_param_bool(gordon_ctx *ctx, const char *name, int *out)
{
    const fh_param *p = find(host_of(ctx), name, GORDON_PARAM_BOOL);
    if (!p)
        return -1;
    *out = (int)p->i;
    return 0;
}

static int h_param_string(gordon_ctx *ctx, const char *name, const char **out)
{
    const fh_param *p = find(host_of(ctx), name, GORDON_PARAM_STRING);
    if (!p)
        return -1;
    *out = p->s ? p->s : "";
    return 0;
}

static int64_t h_now_ms(gordon_ctx *ctx) { return host_of(ctx)->now_ms; }
static uint32_t h_symbol_count(gordon_ctx *ctx) { return host_of(ctx)->nsym; }

static const char *h_symbol_name(gordon_ctx *ctx, uint32_t symbol)
{
    fh_host *h = host_of(ctx);
    return symbol < h->nsym ? h->names[symbol] : NULL;
}

static int h_subscribed(gordon_ctx *ctx, uint32_t symbol) { return symbol < host_of(ctx)->nsym; }

static size_t h_bars(gordon_ctx *ctx, uint32_t symbol, size_t n, gordon_bar *out, size_t elem_size)
{
    (void)host_of(ctx);
    (void)symbol;
    (void)n;
    (void)out;
    (void)elem_size;
    return 0; /* the fake host keeps no history */
}

static int h_position(gordon_ctx *ctx, uint32_t symbol, gordon_position *out)
{
    fh_host *h = host_of(ctx);
    uint32_t size;
    if (!out || symbol >= h->nsym || out->struct_size < sizeof(uint32_t))
        return -1;
    size = out->struct_size < sizeof *out ? out->struct_size : (uint32_t)sizeof *out;
    memcpy(out, &h->pos[symbol], size);
    out->struct_size = size;
    return 0;
}

static double h_equity(gordon_ctx *ctx) { return host_of(ctx)->equity; }

static int h_emit(gordon_ctx *ctx, const gordon_signal *sig)
{
    fh_host *h = host_of(ctx);
    /* Like the host: the 1.0 layout (through tag) is required, a longer or
     * shorter struct is copied min(struct_size, sizeof) and zero-extended. */
    if (h->desc->kind != GORDON_KIND_STRATEGY || !sig ||
        sig->struct_size < offsetof(gordon_signal, tag) + sizeof sig->tag)
        return -1;
    if (h->nsig < FH_MAX_SIGNALS) {
        gordon_signal *to = &h->sigs[h->nsig++];
        memset(to, 0, sizeof *to);
        memcpy(to, sig, sig->struct_size < sizeof *to ? sig->struct_size : sizeof *to);
        to->struct_size = sizeof *to;
    }
    return h->emit_rc;
}

static int h_exposure(gordon_ctx *ctx, uint32_t symbol, gordon_exposure *out)
{
    fh_host *h = host_of(ctx);
    uint32_t size;
    if (!out || symbol >= h->nsym || out->struct_size < sizeof(uint32_t))
        return -1;
    size = out->struct_size < sizeof *out ? out->struct_size : (uint32_t)sizeof *out;
    memcpy(out, &h->expo[symbol], size);
    out->struct_size = size;
    return 0;
}

static fh_series *series_find(fh_host *h, const char *id)
{
    int i;
    for (i = 0; i < h->n_series; i++)
        if (strcmp(h->series[i].id, id) == 0)
            return &h->series[i];
    return NULL;
}

static fh_series *series_add(fh_host *h, const char *id)
{
    fh_series *s = series_find(h, id);
    if (s)
        return s;
    if (h->n_series >= FH_MAX_SERIES || strlen(id) >= sizeof s->id)
        return NULL;
    s = &h->series[h->n_series++];
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", id);
    s->pt.struct_size = sizeof s->pt;
    s->pt.value = NAN;
    s->pt.prev_value = NAN;
    return s;
}

static int h_series_subscribe(gordon_ctx *ctx, const char *id)
{
    fh_host *h = host_of(ctx);
    fh_series *s;
    if (!h->in_create || !id || !*id)
        return -1;
    if (h->n_sub_ids < FH_MAX_SERIES)
        snprintf(h->sub_ids[h->n_sub_ids++], sizeof h->sub_ids[0], "%s", id);
    if (h->sub_rc != 0)
        return h->sub_rc;
    s = series_add(h, id);
    if (!s)
        return -1;
    s->subscribed = 1;
    return 0;
}

static int h_series_get(gordon_ctx *ctx, const char *id, gordon_series_point *out)
{
    fh_host *h = host_of(ctx);
    const fh_series *s;
    uint32_t size;
    if (!id || !out || out->struct_size < sizeof(uint32_t))
        return -1;
    s = series_find(h, id);
    if (!s)
        return -1;
    size = out->struct_size < sizeof *out ? out->struct_size : (uint32_t)sizeof *out;
    memcpy(out, &s->pt, size);
    out->struct_size = size;
    return 0;
}

static const gordon_host_api api = {
    .struct_size = sizeof(gordon_host_api),
    .abi_major = GORDON_SDK_ABI_MAJOR,
    .abi_minor = GORDON_SDK_ABI_MINOR,
    .bar_size = sizeof(gordon_bar),
    .log = h_log,
    .param_int = h_param_int,
    .param_double = h_param_double,
    .param_bool = h_param_bool,
    .param_string = h_param_string,
    .now_ms = h_now_ms,
    .symbol_count = h_symbol_count,
    .symbol_name = h_symbol_name,
    .subscribed = h_subscribed,
    .bars = h_bars,
    .position = h_position,
    .equity = h_equity,
    .emit = h_emit,
    .exposure = h_exposure,
    .series_subscribe = h_series_subscribe,
    .series_get = h_series_get,
};

const gordon_host_api *fh_api(void) { return &api; }

static int parse_value(fh_param *p, const char *v, char *err, size_t err_len)
{
    char *end = NULL;
    errno = 0;
    switch (p->decl.type) {
    case GORDON_PARAM_INT:
        p->i = strtoll(v, &end, 10);
        if (errno || end == v || *end) {
            snprintf(err, err_len, "%s: bad integer '%s'", p->decl.name, v);
            return -1;
        }
        p->d = (double)p->i;
        break;
    case GORDON_PARAM_DOUBLE:
        p->d = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(p->d)) {
            snprintf(err, err_len, "%s: bad number '%s'", p->decl.name, v);
            return -1;
        }
        break;
    case GORDON_PARAM_BOOL:
        if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
            p->i = 1;
        else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") ||
                 !strcasecmp(v, "off"))
            p->i = 0;
        else {
            snprintf(err, err_len, "%s: bad boolean '%s'", p->decl.name, v);
            return -1;
        }
        return 0;
    default:
        p->s = v;
        return 0;
    }
    if (p->d < p->decl.min || p->d > p->decl.max) {
        snprintf(err, err_len, "%s: %s outside [%g, %g]", p->decl.name, v, p->decl.min, p->decl.max);
        return -1;
    }
    return 0;
}

fh_host *fh_new(const gordon_plugin *desc, const char *const *params, uint32_t nsym, char *err,
                size_t err_len)
{
    fh_host *h = calloc(1, sizeof *h);
    uint32_t i;
    if (!h)
        return NULL;
    h->ctx.magic = FH_MAGIC;
    h->ctx.host = h;
    h->desc = desc;
    h->api = api;
    h->nsym = nsym;
    h->equity = 10000;
    h->emit_rc = GORDON_ACCEPTED;
    h->names = calloc(nsym ? nsym : 1, sizeof *h->names);
    h->pos = calloc(nsym ? nsym : 1, sizeof *h->pos);
    h->expo = calloc(nsym ? nsym : 1, sizeof *h->expo);
    h->n_params = desc->n_params;
    h->params = calloc(desc->n_params ? desc->n_params : 1, sizeof *h->params);
    if (!h->names || !h->pos || !h->expo || !h->params)
        goto fail;
    for (i = 0; i < nsym; i++) {
        snprintf(h->names[i], sizeof h->names[i], "S%u", i);
        h->pos[i].struct_size = sizeof h->pos[i];
        h->expo[i].struct_size = sizeof h->expo[i];
    }
    h->bres.struct_size = sizeof h->bres;
    for (i = 0; i < desc->n_params; i++) {
        fh_param *p = &h->params[i];
        size_t n = desc->param_size < sizeof p->decl ? desc->param_size : sizeof p->decl;
        memcpy(&p->decl, (const char *)desc->params + (size_t)i * desc->param_size, n);
        p->i = (int64_t)p->decl.def;
        p->d = p->decl.def;
        p->s = p->decl.def_str;
    }
    for (; params && *params; params++) {
        const char *eq = strchr(*params, '=');
        size_t klen = eq ? (size_t)(eq - *params) : 0;
        fh_param *p = NULL;
        for (i = 0; eq && i < h->n_params; i++)
            if (strlen(h->params[i].decl.name) == klen &&
                strncmp(h->params[i].decl.name, *params, klen) == 0)
                p = &h->params[i];
        if (!p) {
            snprintf(err, err_len, "unknown parameter '%s'", *params);
            goto fail;
        }
        if (parse_value(p, eq + 1, err, err_len) != 0)
            goto fail;
    }
    return h;
fail:
    fh_free(h);
    return NULL;
}

void fh_free(fh_host *h)
{
    if (!h)
        return;
    if (h->instance && h->desc->destroy)
        h->desc->destroy(h->instance);
    free(h->names);
    free(h->pos);
    free(h->expo);
    free(h->params);
    free(h);
}

gordon_ctx *fh_ctx(fh_host *h) { return &h->ctx; }

int fh_create_instance(fh_host *h, char *err, size_t err_len)
{
    void *inst = NULL;
    int rc;
    if (err_len)
        err[0] = '\0';
    h->in_create = 1;
    rc = h->desc->create(&h->api, &h->ctx, &inst, err, err_len);
    h->in_create = 0;
    if (rc == 0)
        h->instance = inst;
    return rc;
}

void *fh_instance(fh_host *h) { return h->instance; }

void fh_bar(fh_host *h, uint32_t symbol, const gordon_bar *bar)
{
    h->now_ms = bar->close_time_ms;
    if (h->desc->on_bar) /* optional for overlays and breakers */
        h->desc->on_bar(h->instance, symbol, bar);
}

void fh_set_now(fh_host *h, int64_t now_ms) { h->now_ms = now_ms; }
void fh_set_equity(fh_host *h, double equity) { h->equity = equity; }

void fh_set_position(fh_host *h, uint32_t symbol, int side, double qty, double entry_price,
                     int order_pending)
{
    gordon_position *p = &h->pos[symbol];
    memset(p, 0, sizeof *p);
    p->struct_size = sizeof *p;
    p->side = side;
    p->qty = side ? qty : 0;
    p->entry_price = side ? entry_price : 0;
    p->order_pending = order_pending;
}

void fh_set_emit_result(fh_host *h, int rc) { h->emit_rc = rc; }
size_t fh_signal_count(const fh_host *h) { return h->nsig; }
const gordon_signal *fh_signal(const fh_host *h, size_t i) { return i < h->nsig ? &h->sigs[i] : NULL; }
void fh_clear_signals(fh_host *h) { h->nsig = 0; }
int fh_log_count(const fh_host *h) { return h->log_count; }
const char *fh_last_log(const fh_host *h) { return h->last_log; }

/* ---------------------------------------------------------------- SDK 1.1 */

void fh_set_api_size(fh_host *h, uint32_t size)
{
    h->api.struct_size = size ? size : (uint32_t)sizeof h->api;
}

void fh_set_exposure(fh_host *h, uint32_t symbol, double gross_qty, double pending_qty)
{
    gordon_exposure e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    e.strategies = gross_qty > 0 || pending_qty > 0;
    e.net_qty = gross_qty;
    e.gross_qty = gross_qty;
    e.pending_qty = pending_qty;
    fh_set_exposure_full(h, symbol, &e);
}

void fh_set_exposure_full(fh_host *h, uint32_t symbol, const gordon_exposure *e)
{
    if (symbol >= h->nsym)
        return;
    h->expo[symbol] = *e;
    h->expo[symbol].struct_size = sizeof h->expo[symbol];
}

void fh_set_series_subscribe_result(fh_host *h, int rc) { h->sub_rc = rc; }
int fh_series_subscribed_count(const fh_host *h) { return h->n_sub_ids; }

const char *fh_series_subscribed(const fh_host *h, int i)
{
    return i >= 0 && i < h->n_sub_ids ? h->sub_ids[i] : NULL;
}

void fh_set_series(fh_host *h, const char *id, const gordon_series_point *p)
{
    fh_series *s = series_add(h, id);
    if (!s) {
        fprintf(stderr, "fake_host: too many series or id too long: %s\n", id);
        abort();
    }
    s->pt = *p;
    s->pt.struct_size = sizeof s->pt;
}

int fh_evaluate(fh_host *h, const gordon_breaker_input *in)
{
    gordon_breaker_result *r = &h->bres;
    h->now_ms = in->now_ms;
    r->state = GORDON_BREAKER_OK;
    r->value = r->threshold = 0.0;
    return h->desc->evaluate(h->instance, in, r);
}

gordon_breaker_result *fh_breaker_result(fh_host *h) { return &h->bres; }

int fh_load_plugins(const char *const *names, int n, void **handles, const gordon_plugin **descs)
{
    const char *dir = getenv("GD_PLUGIN_DIR");
    if (!dir) {
        fprintf(stderr, "GD_PLUGIN_DIR is not set\n");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        gordon_plugin_entry_fn entry;
        snprintf(path, sizeof path, "%s/%s.so", dir, names[i]);
        handles[i] = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!handles[i]) {
            fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
            return -1;
        }
        *(void **)&entry = dlsym(handles[i], GORDON_ENTRY_SYMBOL);
        if (!entry) {
            fprintf(stderr, "%s: no %s\n", path, GORDON_ENTRY_SYMBOL);
            return -1;
        }
        if (!(descs[i] = entry()))
            return -1;
    }
    return 0;
}

void fh_unload_plugins(void **handles, int n)
{
    for (int i = 0; i < n; i++)
        if (handles[i])
            dlclose(handles[i]);
}
