/* libFuzzer target for worker-to-host messages (plugin/wire.c): the input
 * is one datagram as gd_wire_recv hands it over. gd_rb_start checks the
 * header; then the payload is read as the host reads that type: the
 * descriptor through gd_worker_read_hello (the host's own validation), the
 * others field by field as engine/isolate.c reads them (and the calls a
 * worker reads, as worker_main.c does). Readers get exactly the message's
 * bytes (libFuzzer's buffer), so ASan sees any read past it.
 * Checked beyond "no crash": the read offset never passes the length;
 * every string read is NUL-terminated inside its buffer, even when the
 * message is bad; a descriptor accepted has its strings within the
 * loader's limits; a message read whole and well (gd_rb_end 0) written
 * back with the gd_wb_* writers gives the same payload bytes.
 * FUZZ_SEEDS=DIR writes the seed messages (built with the real writers)
 * into DIR and exits. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "plugin/loader.h"
#include "plugin/wire.h"
#include "plugin/worker.h"

static unsigned char out[GD_WIRE_HDR + GD_WIRE_MAX];

/* A string read into buf (cap bytes, pre-filled with junk): terminated. */
static void str(gd_rbuf *r, gd_wbuf *w, char *buf, size_t cap)
{
    memset(buf, 'x', cap);
    gd_rb_str(r, buf, cap);
    if (!memchr(buf, '\0', cap))
        abort();
    gd_wb_str(w, buf, cap - 1);
}

static void ctx(gd_rbuf *r, gd_wbuf *w)
{
    gd_wire_ctx c;
    gd_rb_ctx(r, &c);
    gd_wb_ctx(w, &c);
}

static void signal_(gd_rbuf *r, gd_wbuf *w)
{
    gordon_signal s;
    gd_rb_signal(r, &s);
    if (!memchr(s.tag, '\0', sizeof s.tag))
        abort();
    gd_wb_signal(w, &s);
}

static void check_lib(const gd_plugin_lib *lib)
{
    const gordon_plugin *d = lib->desc;
    if (!d || !d->name || strlen(d->name) > GD_PLUGIN_NAME_MAX || !d->version ||
        strlen(d->version) > GD_PLUGIN_VERSION_MAX ||
        (d->description && strlen(d->description) > GD_PLUGIN_DESCRIPTION_MAX))
        abort();
    for (uint32_t i = 0; i < d->n_params; i++) {
        const gordon_param *p = &d->params[i];
        if (!p->name || strlen(p->name) > GD_PARAM_NAME_MAX ||
            (p->def_str && strlen(p->def_str) > GD_PARAM_DEF_STR_MAX) ||
            (p->help && strlen(p->help) > GD_PARAM_HELP_MAX))
            abort();
    }
}

/* Reads the payload as type r->type and writes the same fields to w;
 * 0 when it has no writer-side twin (the descriptor). */
static int read_as(gd_rbuf *r, gd_wbuf *w)
{
    char text[GD_WIRE_TEXT_MAX], id[65];
    switch (r->type) {
    case GD_W_HELLO: {
        gd_plugin_lib lib;
        gd_err err;
        uint32_t cbs = 0;
        memset(&lib, 0, sizeof lib);
        int rc = gd_worker_read_hello(r, &lib, &cbs, &err);
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "fuzz_wire: hello: rc %d %s\n", rc, rc ? err.msg : "");
        if (rc == 0)
            check_lib(&lib);
        gd_loader_close(&lib);
        return 0;
    }
    case GD_W_FAIL: str(r, w, text, sizeof text); break;
    case GD_W_DONE: {
        int64_t rc = gd_rb_i64(r);
        gd_wb_i64(w, rc);
        str(r, w, text, sizeof text);
        break;
    }
    case GD_W_LOG:
        gd_wb_u32(w, gd_rb_u32(r));
        str(r, w, text, sizeof text);
        break;
    case GD_W_EMIT: signal_(r, w); break;
    case GD_W_Q_BARS:
        gd_wb_u32(w, gd_rb_u32(r));
        gd_wb_u32(w, gd_rb_u32(r));
        break;
    case GD_W_Q_POSITION:
    case GD_W_Q_EXPOSURE: gd_wb_u32(w, gd_rb_u32(r)); break;
    case GD_W_Q_SERIES_SUB:
    case GD_W_Q_SERIES_GET: str(r, w, id, sizeof id); break;
    case GD_W_FILTERED:
        gd_wb_i32(w, gd_rb_i32(r));
        signal_(r, w);
        str(r, w, text, sizeof text);
        break;
    case GD_W_EVALUATED: {
        gordon_breaker_result o;
        gd_wb_i32(w, gd_rb_i32(r));
        gd_rb_breaker_out(r, &o);
        if (!memchr(o.reason, '\0', sizeof o.reason))
            abort();
        gd_wb_breaker_out(w, &o);
        break;
    }
    case GD_W_SNAP_CHUNK: {
        size_t n = r->len - r->off;
        const void *p = gd_rb_bytes(r, n);
        if (p)
            gd_wb_bytes(w, p, n);
        break;
    }
    /* The host's calls, as the worker reads them. */
    case GD_W_BAR: {
        gordon_bar b;
        gordon_position p = GORDON_POSITION_INIT;
        ctx(r, w);
        gd_wb_u32(w, gd_rb_u32(r));
        gd_rb_bar(r, &b);
        gd_wb_bar(w, &b);
        uint8_t has = gd_rb_u8(r);
        gd_wb_u8(w, has);
        if (has) {
            gd_rb_position(r, &p);
            gd_wb_position(w, &p);
        }
        break;
    }
    case GD_W_FILL: {
        gordon_fill f;
        ctx(r, w);
        gd_rb_fill(r, &f);
        gd_wb_fill(w, &f);
        break;
    }
    case GD_W_FILTER:
        ctx(r, w);
        signal_(r, w);
        break;
    case GD_W_EVALUATE: {
        gordon_breaker_input in;
        gordon_breaker_result o;
        ctx(r, w);
        gd_rb_breaker_in(r, &in);
        gd_wb_breaker_in(w, &in);
        gd_rb_breaker_out(r, &o);
        gd_wb_breaker_out(w, &o);
        break;
    }
    case GD_W_RESUME: ctx(r, w); break;
    case GD_W_REPLY: { /* the answers the worker reads: rc, then one struct */
        gordon_exposure x;
        gordon_series_point sp;
        gd_wb_i32(w, gd_rb_i32(r));
        if (r->flags & 1) {
            gd_rb_exposure(r, &x);
            gd_wb_exposure(w, &x);
        } else {
            gd_rb_series(r, &sp);
            gd_wb_series(w, &sp);
        }
        break;
    }
    default: return 0;
    }
    return 1;
}

static void write_seeds(const char *dir);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        gd_log_init(NULL, GD_LOG_OFF);
        if (getenv("FUZZ_SEEDS"))
            write_seeds(getenv("FUZZ_SEEDS"));
        once = 1;
    }
    gd_rbuf r;
    gd_err err;
    if (gd_rb_start(&r, data, size, &err) != 0)
        return 0;
    if (r.len != size - GD_WIRE_HDR || r.p != data + GD_WIRE_HDR)
        abort();
    gd_wbuf w;
    gd_wb_start(&w, out, sizeof out, r.type);
    int twin = read_as(&r, &w);
    if (r.off > r.len)
        abort();
    int ok = gd_rb_end(&r, &err) == 0;
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_wire: %s: %s\n", gd_wire_type_name(r.type), ok ? "ok" : err.msg);
    if (ok && r.off != r.len)
        abort(); /* "everything was read" */
    if (ok && twin && (w.bad || w.len != size || memcmp(w.p + GD_WIRE_HDR, data + GD_WIRE_HDR, r.len) != 0))
        abort();
    return 0;
}

/* ------------------------------------------------------------ the seeds */

static void save(const char *dir, const char *name, const gd_wbuf *w)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(w->p, 1, w->len, f) != w->len || fclose(f))
        abort();
}

static void write_seeds(const char *dir)
{
    gd_wbuf w;
    gd_wire_ctx c = {1704067200000, 10000};
    gordon_signal s = GORDON_SIGNAL_INIT;
    s.symbol = 1, s.action = GORDON_ACTION_ENTRY, s.side = GORDON_SIDE_LONG, s.entry = 100.5, s.stop_loss = 99;
    snprintf(s.tag, sizeof s.tag, "ema_cross");
    gordon_bar b = {1704067200000, 1704070800000, 100, 100.82, 99.8, 100.44, 110.112};
    gordon_position p = GORDON_POSITION_INIT;
    p.side = 1, p.qty = 0.5, p.entry_price = 100, p.stop_loss = 99, p.opened_ms = 1704067200000;
    gordon_breaker_input in = {sizeof in, 1, 1704067200000, 9800, 5000, -200, 1704067200000, 0};
    gordon_breaker_result o = {sizeof o, 1, 2.0, 5.0, "drawdown 2.0% of 5.0%"};
    gordon_fill f = {sizeof f, 1, 1, 1, 0.5, 100.4, 0.02, 0, 1704067200000, 7};

    gd_wb_start(&w, out, sizeof out, GD_W_HELLO);
    gd_wb_u32(&w, sizeof(gordon_plugin));
    gd_wb_u32(&w, GORDON_SDK_ABI_MAJOR);
    gd_wb_u32(&w, GORDON_SDK_ABI_MINOR);
    gd_wb_i32(&w, GORDON_KIND_STRATEGY);
    gd_wb_str(&w, "ema_cross", GD_PLUGIN_NAME_MAX);
    gd_wb_str(&w, "1.0.0", GD_PLUGIN_VERSION_MAX);
    gd_wb_u8(&w, 1);
    gd_wb_str(&w, "EMA crossover", GD_PLUGIN_DESCRIPTION_MAX);
    gd_wb_u32(&w, 50);
    gd_wb_u32(&w, GD_WCB_CREATE | GD_WCB_DESTROY | GD_WCB_ON_BAR);
    gd_wb_u32(&w, 2);
    gd_wb_str(&w, "fast", GD_PARAM_NAME_MAX);
    gd_wb_i32(&w, GORDON_PARAM_INT);
    gd_wb_i32(&w, 1);
    gd_wb_f64(&w, 12), gd_wb_f64(&w, 2), gd_wb_f64(&w, 200), gd_wb_f64(&w, 1);
    gd_wb_u8(&w, 0);
    gd_wb_u8(&w, 1);
    gd_wb_str(&w, "fast EMA period", GD_PARAM_HELP_MAX);
    gd_wb_str(&w, "mode", GD_PARAM_NAME_MAX);
    gd_wb_i32(&w, GORDON_PARAM_STRING);
    gd_wb_i32(&w, 0);
    gd_wb_f64(&w, 0), gd_wb_f64(&w, 0), gd_wb_f64(&w, 0), gd_wb_f64(&w, 0);
    gd_wb_u8(&w, 1);
    gd_wb_str(&w, "close", GD_PARAM_DEF_STR_MAX);
    gd_wb_u8(&w, 0);
    gd_wb_u8(&w, 1);
    save(dir, "hello", &w);

    gd_wb_start(&w, out, sizeof out, GD_W_FAIL);
    gd_wb_str(&w, "dlopen: no such file", GD_WIRE_TEXT_MAX - 1);
    save(dir, "fail", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_DONE);
    gd_wb_i64(&w, 0);
    gd_wb_str(&w, "", GD_WIRE_TEXT_MAX - 1);
    save(dir, "done", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_LOG);
    gd_wb_u32(&w, 1);
    gd_wb_str(&w, "crossed up at 100.44", GD_WIRE_TEXT_MAX - 1);
    save(dir, "log", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_EMIT);
    gd_wb_signal(&w, &s);
    save(dir, "emit", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_Q_BARS);
    gd_wb_u32(&w, 0), gd_wb_u32(&w, 200);
    save(dir, "q_bars", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_Q_POSITION);
    gd_wb_u32(&w, 1);
    save(dir, "q_position", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_Q_SERIES_GET);
    gd_wb_str(&w, "VIXCLS", 64);
    save(dir, "q_series_get", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_FILTERED);
    gd_wb_i32(&w, 1);
    gd_wb_signal(&w, &s);
    gd_wb_str(&w, "tightened the stop", GD_WIRE_TEXT_MAX - 1);
    save(dir, "filtered", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_EVALUATED);
    gd_wb_i32(&w, 0);
    gd_wb_breaker_out(&w, &o);
    save(dir, "evaluated", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_SNAP_CHUNK);
    gd_wb_bytes(&w, "{\"ema\":100.1}", 13);
    save(dir, "snap_chunk", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_BAR);
    gd_wb_ctx(&w, &c);
    gd_wb_u32(&w, 1);
    gd_wb_bar(&w, &b);
    gd_wb_u8(&w, 1);
    gd_wb_position(&w, &p);
    save(dir, "bar", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_FILL);
    gd_wb_ctx(&w, &c);
    gd_wb_fill(&w, &f);
    save(dir, "fill", &w);
    gd_wb_start(&w, out, sizeof out, GD_W_EVALUATE);
    gd_wb_ctx(&w, &c);
    gd_wb_breaker_in(&w, &in);
    gd_wb_breaker_out(&w, &o);
    save(dir, "evaluate", &w);
    exit(0);
}
