/* gordon-worker: one plugin instance in a sandboxed process of its own.
 *
 * The host spawns it with an empty environment and only the IPC socket open
 * (fd 3), then sends GD_W_LOAD. The worker limits itself (sandbox.h:
 * prctl, rlimits, Landlock, the loader's seccomp stage), loads and validates
 * the plugin exactly as the host would, sends the descriptor (GD_W_HELLO),
 * closes the last doors (the run stage) and answers calls until
 * GD_W_DESTROY. It serves the plugin a host-API table of its own whose every
 * answer comes from the host: the worker holds no state the host does not
 * send it, and the host checks everything it sends back.
 *
 * Anything unexpected ends the process: the host sees the socket close,
 * counts it and quarantines the instance. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gordon/sdk.h>

#include "base/sized.h"
#include "plugin/loader.h"
#include "plugin/sandbox.h"
#include "plugin/wire.h"

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer's exit check starts a tracer thread, which the sandbox
 * forbids. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

typedef struct wparam {
    char name[GD_PARAM_NAME_MAX + 1];
    int32_t type;
    int64_t i;
    double d;
    char *s;
} wparam;

static struct {
    gd_plugin_lib lib;
    const gordon_plugin *d;
    void *self;
    int log_level;
    int in_call;
    int landlock; /* 1 if the kernel enforces the Landlock rules */
    gd_wire_ctx ctx;
    /* The position in the bar's symbol, sent with the bar; good until an
     * emit (which may change it) or the end of the call. */
    int pos_valid;
    uint32_t pos_symbol;
    gordon_position pos;
    uint32_t n_symbols;
    char **symbols;
    uint8_t *sub;
    wparam *params;
    uint32_t n_params;
    unsigned char out[GD_WIRE_HDR + GD_WIRE_MAX];
    unsigned char in[GD_WIRE_HDR + GD_WIRE_MAX];
} W;

/* The socket is the worker's only way to say anything; when it fails there
 * is nobody to tell. */
static _Noreturn void die(void) { _exit(70); }

static void send_or_die(const gd_wbuf *w)
{
    if (gd_wire_send(GD_WORKER_FD, w, NULL) != 0)
        die();
}

static _Noreturn void fail(const char *fmt, ...)
{
    char msg[GD_WIRE_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gd_wbuf w;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_FAIL);
    gd_wb_str(&w, msg, GD_WIRE_TEXT_MAX - 1);
    gd_wire_send(GD_WORKER_FD, &w, NULL);
    _exit(1);
}

static void recv_or_die(gd_rbuf *r)
{
    if (gd_wire_recv(GD_WORKER_FD, W.in, -1, r, NULL) != 0)
        die();
}

/* A request to the host, answered by GD_W_REPLY into r (rc first). */
static int32_t request(gd_wbuf *w, gd_rbuf *r)
{
    send_or_die(w);
    recv_or_die(r);
    if (r->type != GD_W_REPLY)
        die();
    return gd_rb_i32(r);
}

static void done(int64_t rc, const char *text)
{
    gd_wbuf w;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_DONE);
    gd_wb_i64(&w, rc);
    gd_wb_str(&w, text, GD_WIRE_TEXT_MAX - 1);
    send_or_die(&w);
}

/* ------------------------------------------------------------ host API */

static void api_log(gordon_ctx *ctx, int level, const char *msg, ...)
{
    (void)ctx;
    if (!W.in_call || !msg || level < W.log_level)
        return;
    gd_wbuf w;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_LOG);
    gd_wb_u32(&w, (uint32_t)level);
    gd_wb_str(&w, msg, GD_WIRE_TEXT_MAX - 1);
    send_or_die(&w);
}

static int api_log_enabled(gordon_ctx *ctx, int level)
{
    (void)ctx;
    return W.in_call && level >= W.log_level;
}

static const wparam *param_of(const char *name, int type)
{
    for (uint32_t i = 0; name && i < W.n_params; i++)
        if (!strcmp(W.params[i].name, name))
            return W.params[i].type == type ? &W.params[i] : NULL;
    return NULL;
}

static int api_param_int(gordon_ctx *ctx, const char *name, int64_t *out)
{
    (void)ctx;
    const wparam *p = param_of(name, GORDON_PARAM_INT);
    if (!p || !out)
        return -1;
    *out = p->i;
    return 0;
}

static int api_param_double(gordon_ctx *ctx, const char *name, double *out)
{
    (void)ctx;
    const wparam *p = param_of(name, GORDON_PARAM_DOUBLE);
    if (!p || !out)
        return -1;
    *out = p->d;
    return 0;
}

static int api_param_bool(gordon_ctx *ctx, const char *name, int *out)
{
    (void)ctx;
    const wparam *p = param_of(name, GORDON_PARAM_BOOL);
    if (!p || !out)
        return -1;
    *out = p->i != 0;
    return 0;
}

static int api_param_string(gordon_ctx *ctx, const char *name, const char **out)
{
    (void)ctx;
    const wparam *p = param_of(name, GORDON_PARAM_STRING);
    if (!p || !out)
        return -1;
    *out = p->s;
    return 0;
}

static int64_t api_now_ms(gordon_ctx *ctx)
{
    (void)ctx;
    return W.ctx.now_ms;
}

static uint32_t api_symbol_count(gordon_ctx *ctx)
{
    (void)ctx;
    return W.n_symbols;
}

static const char *api_symbol_name(gordon_ctx *ctx, uint32_t s)
{
    (void)ctx;
    return s < W.n_symbols ? W.symbols[s] : NULL;
}

static int api_subscribed(gordon_ctx *ctx, uint32_t s)
{
    (void)ctx;
    return s < W.n_symbols ? W.sub[s] : 0;
}

static size_t api_bars(gordon_ctx *ctx, uint32_t s, size_t n, gordon_bar *out, size_t elem_size)
{
    (void)ctx;
    if (!W.in_call || !out || elem_size == 0 || elem_size > 1024 || n == 0)
        return 0;
    if (n > GD_WIRE_BARS_MAX)
        n = GD_WIRE_BARS_MAX;
    gd_wbuf w;
    gd_rbuf r;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_Q_BARS);
    gd_wb_u32(&w, s);
    gd_wb_u32(&w, (uint32_t)n);
    int32_t got = request(&w, &r);
    if (got < 0 || (size_t)got > n)
        return 0;
    size_t copy = elem_size < sizeof(gordon_bar) ? elem_size : sizeof(gordon_bar);
    for (int32_t i = 0; i < got; i++) {
        gordon_bar b;
        gd_rb_bar(&r, &b);
        char *dst = (char *)out + (size_t)i * elem_size;
        memcpy(dst, &b, copy);
        memset(dst + copy, 0, elem_size - copy);
    }
    return r.bad ? 0 : (size_t)got;
}

static int api_position(gordon_ctx *ctx, uint32_t s, gordon_position *out)
{
    (void)ctx;
    if (!W.in_call || !out || out->struct_size < GD_SIZE_THROUGH(gordon_position, reserved))
        return -1;
    if (W.pos_valid && s == W.pos_symbol) {
        gd_sized_out(out, out->struct_size, &W.pos, sizeof W.pos);
        return 0;
    }
    gd_wbuf w;
    gd_rbuf r;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_Q_POSITION);
    gd_wb_u32(&w, s);
    if (request(&w, &r) != 0)
        return -1;
    gordon_position p;
    gd_rb_position(&r, &p);
    if (r.bad)
        return -1;
    gd_sized_out(out, out->struct_size, &p, sizeof p);
    return 0;
}

static double api_equity(gordon_ctx *ctx)
{
    (void)ctx;
    return W.ctx.equity;
}

static int api_emit(gordon_ctx *ctx, const gordon_signal *sig)
{
    (void)ctx;
    if (!W.in_call || !sig || sig->struct_size < GD_SIZE_THROUGH(gordon_signal, tag))
        return -1;
    gordon_signal s;
    gd_sized_in(&s, sizeof s, sig, sig->struct_size);
    s.tag[sizeof s.tag - 1] = '\0';
    gd_wbuf w;
    gd_rbuf r;
    W.pos_valid = 0;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_EMIT);
    gd_wb_signal(&w, &s);
    return request(&w, &r);
}

static int api_exposure(gordon_ctx *ctx, uint32_t s, gordon_exposure *out)
{
    (void)ctx;
    if (!W.in_call || !out || out->struct_size < GD_SIZE_THROUGH(gordon_exposure, notional))
        return -1;
    gd_wbuf w;
    gd_rbuf r;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_Q_EXPOSURE);
    gd_wb_u32(&w, s);
    if (request(&w, &r) != 0)
        return -1;
    gordon_exposure x;
    gd_rb_exposure(&r, &x);
    if (r.bad)
        return -1;
    gd_sized_out(out, out->struct_size, &x, sizeof x);
    return 0;
}

static int api_series_subscribe(gordon_ctx *ctx, const char *id)
{
    (void)ctx;
    if (!W.in_call || !id)
        return -1;
    gd_wbuf w;
    gd_rbuf r;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_Q_SERIES_SUB);
    gd_wb_str(&w, id, 64);
    return request(&w, &r) == 0 ? 0 : -1;
}

static int api_series_get(gordon_ctx *ctx, const char *id, gordon_series_point *out)
{
    (void)ctx;
    if (!W.in_call || !id || !out || out->struct_size < GD_SIZE_THROUGH(gordon_series_point, prev_value))
        return -1;
    gd_wbuf w;
    gd_rbuf r;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_Q_SERIES_GET);
    gd_wb_str(&w, id, 64);
    if (request(&w, &r) != 0)
        return -1;
    gordon_series_point p;
    gd_rb_series(&r, &p);
    if (r.bad)
        return -1;
    gd_sized_out(out, out->struct_size, &p, sizeof p);
    return 0;
}

static const gordon_host_api api_table = {
    .struct_size = sizeof(gordon_host_api),
    .abi_major = GORDON_SDK_ABI_MAJOR,
    .abi_minor = GORDON_SDK_ABI_MINOR,
    .bar_size = sizeof(gordon_bar),
    .log = api_log,
    .param_int = api_param_int,
    .param_double = api_param_double,
    .param_bool = api_param_bool,
    .param_string = api_param_string,
    .now_ms = api_now_ms,
    .symbol_count = api_symbol_count,
    .symbol_name = api_symbol_name,
    .subscribed = api_subscribed,
    .bars = api_bars,
    .position = api_position,
    .equity = api_equity,
    .emit = api_emit,
    .exposure = api_exposure,
    .series_subscribe = api_series_subscribe,
    .series_get = api_series_get,
    .log_enabled = api_log_enabled,
};

/* The one instance's handle: any non-NULL value; the worker serves no other. */
#define CTX ((gordon_ctx *)&W)

/* ------------------------------------------------------------ describe */

static void put_opt_str(gd_wbuf *w, const char *s, size_t max)
{
    gd_wb_u8(w, s != NULL);
    if (s)
        gd_wb_str(w, s, max);
}

static void hello(void)
{
    const gordon_plugin *d = W.d;
    uint32_t cbs = (d->create ? GD_WCB_CREATE : 0) | (d->destroy ? GD_WCB_DESTROY : 0) |
                   (d->on_bar ? GD_WCB_ON_BAR : 0) | (d->on_fill ? GD_WCB_ON_FILL : 0) |
                   (d->filter ? GD_WCB_FILTER : 0) | (d->evaluate ? GD_WCB_EVALUATE : 0) |
                   (d->snapshot ? GD_WCB_SNAPSHOT : 0) | (d->restore ? GD_WCB_RESTORE : 0) |
                   (d->on_resume ? GD_WCB_ON_RESUME : 0) | (d->warmup ? GD_WCB_WARMUP : 0);
    gd_wbuf w;
    gd_wb_start(&w, W.out, sizeof W.out, GD_W_HELLO);
    gd_wb_u32(&w, d->struct_size);
    gd_wb_u32(&w, d->abi_major);
    gd_wb_u32(&w, d->abi_minor);
    gd_wb_i32(&w, d->kind);
    gd_wb_str(&w, d->name, GD_PLUGIN_NAME_MAX);
    gd_wb_str(&w, d->version, GD_PLUGIN_VERSION_MAX);
    put_opt_str(&w, d->description, GD_PLUGIN_DESCRIPTION_MAX);
    gd_wb_u32(&w, d->warmup_bars);
    gd_wb_u32(&w, cbs);
    gd_wb_u32(&w, d->n_params);
    for (uint32_t i = 0; i < d->n_params; i++) {
        gordon_param p;
        gd_objmem_read(&p, (const unsigned char *)d->params + (size_t)i * d->param_size, sizeof p);
        gd_wb_str(&w, p.name, GD_PARAM_NAME_MAX);
        gd_wb_i32(&w, p.type);
        gd_wb_i32(&w, p.tunable);
        gd_wb_f64(&w, p.def);
        gd_wb_f64(&w, p.min);
        gd_wb_f64(&w, p.max);
        gd_wb_f64(&w, p.step);
        put_opt_str(&w, p.def_str, GD_PARAM_DEF_STR_MAX);
        put_opt_str(&w, p.help, GD_PARAM_HELP_MAX);
    }
    gd_wb_u8(&w, (uint8_t)W.landlock);
    if (w.bad)
        fail("the plugin's descriptor does not fit in one message");
    send_or_die(&w);
}

/* ------------------------------------------------------------ calls */

static void on_create(gd_rbuf *r)
{
    char name[160];
    gd_rb_str(r, name, sizeof name);
    W.log_level = (int)gd_rb_u32(r);
    W.n_symbols = gd_rb_u32(r);
    if (r->bad || W.n_symbols > 65536)
        die();
    W.symbols = calloc(W.n_symbols ? W.n_symbols : 1, sizeof *W.symbols);
    W.sub = calloc(W.n_symbols ? W.n_symbols : 1, 1);
    if (!W.symbols || !W.sub)
        fail("out of memory");
    for (uint32_t s = 0; s < W.n_symbols; s++) {
        char sym[128];
        gd_rb_str(r, sym, sizeof sym);
        W.sub[s] = gd_rb_u8(r);
        if (r->bad || !(W.symbols[s] = strdup(sym)))
            die();
    }
    W.n_params = gd_rb_u32(r);
    if (r->bad || W.n_params > 256)
        die();
    W.params = calloc(W.n_params ? W.n_params : 1, sizeof *W.params);
    if (!W.params)
        fail("out of memory");
    for (uint32_t i = 0; i < W.n_params; i++) {
        wparam *p = &W.params[i];
        char s[GD_PARAM_DEF_STR_MAX + 1];
        gd_rb_str(r, p->name, sizeof p->name);
        p->type = gd_rb_i32(r);
        p->i = gd_rb_i64(r);
        p->d = gd_rb_f64(r);
        gd_rb_str(r, s, sizeof s);
        if (r->bad)
            die();
        if (p->type == GORDON_PARAM_STRING && !(p->s = strdup(s)))
            fail("out of memory");
    }
    if (gd_rb_end(r, NULL) != 0)
        die();
    char perr[512] = "";
    W.in_call = 1;
    int rc = W.d->create(&api_table, CTX, &W.self, perr, sizeof perr);
    W.in_call = 0;
    perr[sizeof perr - 1] = '\0';
    if (rc != 0)
        W.self = NULL;
    done(rc != 0 ? -1 : 0, rc != 0 ? perr : "");
}

static void snapshot_call(void)
{
    size_t need = W.d->snapshot(W.self, NULL, 0);
    if (need == 0 || need > GD_WIRE_SNAP_MAX) {
        done(need == 0 ? 0 : -1, need ? "snapshot too large" : "");
        return;
    }
    unsigned char *buf = malloc(need);
    if (!buf)
        fail("out of memory for a snapshot of %zu bytes", need);
    size_t n = W.d->snapshot(W.self, buf, need);
    if (n > need) {
        free(buf);
        done(-1, "snapshot size changed between calls");
        return;
    }
    for (size_t off = 0; off < n;) {
        size_t k = n - off < GD_WIRE_MAX - 16 ? n - off : GD_WIRE_MAX - 16;
        gd_wbuf w;
        gd_wb_start(&w, W.out, sizeof W.out, GD_W_SNAP_CHUNK);
        gd_wb_bytes(&w, buf + off, k);
        send_or_die(&w);
        off += k;
    }
    free(buf);
    done((int64_t)n, "");
}

static void restore_call(gd_rbuf *r)
{
    uint32_t total = gd_rb_u32(r);
    if (gd_rb_end(r, NULL) != 0 || total > GD_WIRE_SNAP_MAX)
        die();
    unsigned char *buf = malloc(total ? total : 1);
    if (!buf)
        fail("out of memory for a snapshot of %u bytes", total);
    for (uint32_t off = 0; off < total;) {
        gd_rbuf c;
        recv_or_die(&c);
        if (c.type != GD_W_SNAP_CHUNK || c.len > total - off)
            die();
        memcpy(buf + off, c.p, c.len);
        off += (uint32_t)c.len;
    }
    int rc = W.d->restore ? W.d->restore(W.self, buf, total) : -1;
    free(buf);
    done(rc, "");
}

static void serve(void)
{
    for (;;) {
        gd_rbuf r;
        recv_or_die(&r);
        switch (r.type) {
        case GD_W_CREATE:
            on_create(&r);
            break;
        case GD_W_WARMUP:
            done(W.d->warmup && W.self ? (int64_t)W.d->warmup(W.self) : 0, "");
            break;
        case GD_W_BAR: {
            gordon_bar b;
            gd_rb_ctx(&r, &W.ctx);
            uint32_t s = gd_rb_u32(&r);
            gd_rb_bar(&r, &b);
            W.pos_valid = gd_rb_u8(&r);
            W.pos_symbol = s;
            if (W.pos_valid)
                gd_rb_position(&r, &W.pos);
            if (gd_rb_end(&r, NULL) != 0)
                die();
            W.in_call = 1;
            if (W.self && W.d->on_bar)
                W.d->on_bar(W.self, s, &b);
            W.in_call = 0;
            W.pos_valid = 0;
            done(0, "");
            break;
        }
        case GD_W_FILL: {
            gordon_fill f;
            gd_rb_ctx(&r, &W.ctx);
            gd_rb_fill(&r, &f);
            if (gd_rb_end(&r, NULL) != 0)
                die();
            W.in_call = 1;
            if (W.self && W.d->on_fill)
                W.d->on_fill(W.self, &f);
            W.in_call = 0;
            done(0, "");
            break;
        }
        case GD_W_FILTER: {
            gordon_signal in, out;
            char reason[256] = "";
            gd_rb_ctx(&r, &W.ctx);
            gd_rb_signal(&r, &in);
            if (gd_rb_end(&r, NULL) != 0)
                die();
            out = in;
            W.in_call = 1;
            int res = W.self && W.d->filter ? W.d->filter(W.self, &in, &out, reason, sizeof reason) : -1;
            W.in_call = 0;
            reason[sizeof reason - 1] = '\0';
            gd_wbuf w;
            gd_wb_start(&w, W.out, sizeof W.out, GD_W_FILTERED);
            gd_wb_i32(&w, res);
            gd_wb_signal(&w, &out);
            gd_wb_str(&w, reason, sizeof reason - 1);
            send_or_die(&w);
            break;
        }
        case GD_W_EVALUATE: {
            gordon_breaker_input in;
            gordon_breaker_result res;
            gd_rb_ctx(&r, &W.ctx);
            gd_rb_breaker_in(&r, &in);
            gd_rb_breaker_out(&r, &res);
            if (gd_rb_end(&r, NULL) != 0)
                die();
            W.in_call = 1;
            int rc = W.self && W.d->evaluate ? W.d->evaluate(W.self, &in, &res) : -1;
            W.in_call = 0;
            res.reason[sizeof res.reason - 1] = '\0';
            gd_wbuf w;
            gd_wb_start(&w, W.out, sizeof W.out, GD_W_EVALUATED);
            gd_wb_i32(&w, rc);
            gd_wb_breaker_out(&w, &res);
            send_or_die(&w);
            break;
        }
        case GD_W_RESUME:
            gd_rb_ctx(&r, &W.ctx);
            W.in_call = 1;
            if (W.self && W.d->on_resume)
                W.d->on_resume(W.self);
            W.in_call = 0;
            done(0, "");
            break;
        case GD_W_SNAPSHOT:
            if (!W.self || !W.d->snapshot)
                done(0, "");
            else
                snapshot_call();
            break;
        case GD_W_RESTORE:
            restore_call(&r);
            break;
        case GD_W_DESTROY:
            if (W.self && W.d->destroy)
                W.d->destroy(W.self);
            _exit(0);
        default:
            die();
        }
    }
}

static void lock_memory(void)
{
#if defined(__SANITIZE_ADDRESS__)
    fail("lock_memory: not in a build with AddressSanitizer (its shadow memory cannot be locked)");
#else
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        fail("lock_memory: mlockall: %s (the host's RLIMIT_MEMLOCK, e.g. LimitMEMLOCK=infinity, or CAP_IPC_LOCK, "
             "is the workers' too)",
             strerror(errno));
#endif
}

int main(void)
{
    struct stat st;
    gd_err err;
    gd_rbuf r;
    char path[4096];

    if (fstat(GD_WORKER_FD, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "gordon-worker: started by the host only (fd %d is not its socket)\n", GD_WORKER_FD);
        return 64;
    }
    recv_or_die(&r);
    if (r.type != GD_W_LOAD)
        die();
    uint32_t version = gd_rb_u32(&r);
    gd_rb_str(&r, path, sizeof path);
    uint32_t flags = gd_rb_u32(&r);
    gd_sandbox_limits lim;
    lim.address_space_mb = gd_rb_u64(&r);
    lim.cpu_seconds = gd_rb_u64(&r);
    if (gd_rb_end(&r, NULL) != 0)
        die();
    if (version != GD_WIRE_VERSION)
        fail("protocol version %u, this worker speaks %u", version, GD_WIRE_VERSION);
#if defined(__SANITIZE_ADDRESS__)
    lim.address_space_mb = 0;
#endif
    if (gd_sandbox_process(&lim, &err) != 0)
        fail("sandbox: %s", err.msg);
    /* Before the plugin is mapped, so its code and data are locked as they
     * come: a page the kernel took back is a major fault in the middle of a
     * call (about 100 us each on the bench machine, see bench_live). */
    if ((flags & GD_WIRE_LOAD_LOCK) && (flags & GD_WIRE_LOAD_DESCRIBE) == 0)
        lock_memory();
    int landlock = gd_sandbox_landlock(path, &err);
    if (landlock < 0)
        fail("sandbox: %s", err.msg);
    W.landlock = landlock;
    if (gd_sandbox_seccomp_loader(&err) != 0)
        fail("sandbox: %s", err.msg);
    /* The host linted and hashed this file; the worker only loads it. */
    if (gd_loader_load(path, path, "0000000000000000000000000000000000000000000000000000000000000000", &W.lib,
                       &err) != 0)
        fail("%s", err.msg);
    W.d = &W.lib.d;
    hello();
    if (flags & GD_WIRE_LOAD_DESCRIBE)
        _exit(0);
    if (gd_sandbox_seccomp_run(&err) != 0)
        fail("sandbox: %s", err.msg);
    serve();
}
