/* Isolated instances: the engine calls a plugin instance that lives in a
 * sandboxed worker process through stand-in callbacks with the plugin's
 * signatures, so the pipeline, the dispatch lists and reloads are the same
 * in both modes.
 *
 * A stand-in sends the call (with the host's clock and equity) and serves
 * the worker's requests (emit, bars, position, exposure, series, log lines)
 * through the engine's own host-API table, bound to the instance's handle,
 * until the answer comes. Everything the worker sends is bounded and
 * validated here or by the pipeline; a worker that breaks the protocol,
 * floods, misses its deadline or dies is killed and counted, and its
 * instance is quarantined: a strategy gets no bars and makes no entries (its
 * open positions keep their stops), an overlay vetoes every entry, a breaker
 * fails closed (tripped). gd_isolate_tick restarts it with backoff and a
 * warm-up from history; one that keeps dying stays quarantined. */
#include "engine/engine_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/dates.h"
#include "base/log.h"
#include "base/json.h"
#include "base/sized.h"

/* Messages a worker may send during one call (log lines and requests);
 * a strategy's emits past GD_EMITS_PER_CALL are refused long before this. */
#define GD_PROXY_MSGS_PER_CALL 4096u
/* Log lines one call may add to the host's log; the rest are counted and
 * summarised in one line. */
#define GD_PROXY_LOGS_PER_CALL 32u

enum { PX_DOWN, PX_HELLO, PX_CREATE };

struct gd_proxy {
    gd_inst *in;
    gd_worker w;
    int up;                  /* created and answering */
    int rt;                  /* SCHED_FIFO: the deadline is the kernel's (worker.h) */
    uint32_t deaths;         /* since the engine started */
    int64_t next_start_ms;   /* monotonic: when a restart may be tried */
    unsigned char *snap;     /* the last snapshot taken, for the second snapshot() call */
    uint32_t logs;           /* log lines in the current call */
    int phase;               /* while down: PX_DOWN, or how far a restart got */
    int64_t phase_until;     /* monotonic: a restart not done by then has failed */
    uint32_t phase_msgs;     /* messages the restarting worker sent */
    size_t snap_len;
    /* an overlay's filter asked ahead (gd_overlay_send), its answer not read yet */
    int f_sent;
    int f_rc;
    gd_err f_err;
    int e_rc; /* a bar batch's evaluate, as it was sent */
    gd_err e_err;
};

/* The worker is killed, and the instance quarantined until a restart. */
static void proxy_down(gd_proxy *px, const char *why)
{
    gd_inst *in = px->in;
    gd_engine *e = in->eng;
    char end[160], fields[256], name[160];
    gd_worker_kill(&px->w, why);
    gd_worker_describe_end(&px->w, end, sizeof end);
    if (px->up || px->deaths == 0)
        e->ctr.worker_deaths++;
    px->up = 0;
    px->rt = 0;
    px->phase = PX_DOWN;
    px->deaths++;
    uint32_t max = (uint32_t)in->cfg->iso_max_restarts;
    double backoff = in->cfg->iso_backoff_ms * pow(2.0, (double)(px->deaths - 1));
    px->next_start_ms = (int64_t)gd_mono_ms() + (int64_t)(backoff < 3600000 ? backoff : 3600000);
    gd_json_escape(name, sizeof name, in->name);
    snprintf(fields, sizeof fields, "\"plugin\":\"%s\",\"deaths\":%u", name, px->deaths);
    gd_log(GD_LOG_ERROR, "isolation", fields, "%s: worker stopped: %s (%s); quarantined%s", in->name,
           px->w.why[0] ? px->w.why : "ended", end,
           px->deaths > max ? ", for good: it keeps dying" : ", restart pending");
    char why2[300], detail[300];
    snprintf(why2, sizeof why2, "%s: worker stopped: %s", in->name, px->w.why[0] ? px->w.why : "ended");
    snprintf(detail, sizeof detail, "{%s,\"for_good\":%s}", fields, px->deaths > max ? "true" : "false");
    gd_engine_rec_risk(e, "quarantine", "host", why2, detail);
}

/* The engine's answer to one request of the worker. */
static int serve_request(gd_proxy *px, gd_rbuf *r, gd_err *err)
{
    gd_inst *in = px->in;
    gd_engine *e = in->eng;
    const gordon_host_api *api = e->api;
    gordon_ctx *h = in->handle;
    gd_wbuf m;
    gd_wb_start(&m, px->w.out, sizeof px->w.out, GD_W_REPLY);
    int rc;
    switch (r->type) {
    case GD_W_LOG: {
        char text[GD_WIRE_TEXT_MAX];
        uint32_t level = gd_rb_u32(r);
        gd_rb_str(r, text, sizeof text);
        if ((rc = gd_rb_end(r, err)) != 0)
            return rc;
        if (++px->logs <= GD_PROXY_LOGS_PER_CALL)
            api->log(h, (int)level, text);
        return 0; /* no reply */
    }
    case GD_W_EMIT: {
        gordon_signal s;
        gd_rb_signal(r, &s);
        if ((rc = gd_rb_end(r, err)) != 0)
            return rc;
        gd_wb_i32(&m, api->emit(h, &s));
        break;
    }
    case GD_W_Q_BARS: {
        static gordon_bar bars[GD_WIRE_BARS_MAX];
        uint32_t s = gd_rb_u32(r), n = gd_rb_u32(r);
        if ((rc = gd_rb_end(r, err)) != 0)
            return rc;
        size_t got = api->bars(h, s, n < GD_WIRE_BARS_MAX ? n : GD_WIRE_BARS_MAX, bars, sizeof bars[0]);
        gd_wb_i32(&m, (int32_t)got);
        for (size_t i = 0; i < got; i++)
            gd_wb_bar(&m, &bars[i]);
        break;
    }
    case GD_W_Q_POSITION: {
        gordon_position p = GORDON_POSITION_INIT;
        uint32_t s = gd_rb_u32(r);
        if ((rc = gd_rb_end(r, err)) != 0)
            return rc;
        int q = api->position(h, s, &p);
        gd_wb_i32(&m, q);
        if (q == 0)
            gd_wb_position(&m, &p);
        break;
    }
    case GD_W_Q_EXPOSURE: {
        gordon_exposure x = GORDON_EXPOSURE_INIT;
        uint32_t s = gd_rb_u32(r);
        if ((rc = gd_rb_end(r, err)) != 0)
            return rc;
        int q = api->exposure(h, s, &x);
        gd_wb_i32(&m, q);
        if (q == 0)
            gd_wb_exposure(&m, &x);
        break;
    }
    case GD_W_Q_SERIES_SUB:
    case GD_W_Q_SERIES_GET: {
        char id[65];
        gd_rb_str(r, id, sizeof id);
        if ((rc = gd_rb_end(r, err)) != 0)
            return rc;
        if (r->type == GD_W_Q_SERIES_SUB) {
            gd_wb_i32(&m, e->in_create ? api->series_subscribe(h, id) : -1);
        } else {
            gordon_series_point p = GORDON_SERIES_POINT_INIT;
            int q = api->series_get(h, id, &p);
            gd_wb_i32(&m, q);
            if (q == 0)
                gd_wb_series(&m, &p);
        }
        break;
    }
    default:
        return gd_err_set(err, GD_EPROTO, "it sent %s (type %u) during a call", gd_wire_type_name(r->type),
                          (unsigned)r->type);
    }
    return gd_worker_send(&px->w, &m, err);
}

static uint32_t e_deadline(const gd_proxy *px) { return px->in->eng->wconf->deadline_ms; }

/* Sends a call and serves the worker until its answer (type answer) is in
 * r. On any failure the worker is down and the error is returned. The
 * deadline counts the worker's time only, not the host's answering. */
static int proxy_wait(gd_proxy *px, uint16_t answer, uint32_t deadline_ms, gd_rbuf *r, int rc, gd_err *err);

static int proxy_call(gd_proxy *px, const gd_wbuf *m, uint16_t answer, uint32_t deadline_ms, gd_rbuf *r)
{
    gd_err err;
    if (!px->up)
        return GD_ESTATE;
    int rc = gd_worker_send(&px->w, m, &err);
    return proxy_wait(px, answer, deadline_ms, r, rc, &err);
}

/* The second half of a call: rc and err say how sending it went (err is
 * then the working message). */
static int proxy_wait(gd_proxy *px, uint16_t answer, uint32_t deadline_ms, gd_rbuf *r, int rc, gd_err *err)
{
    char why[GD_WIRE_TEXT_MAX + 64];
    uint32_t wall_ms = px->rt ? deadline_ms * GD_WORKER_RT_WALL : deadline_ms;
    double budget_ms = (double)wall_ms;
    px->logs = 0;
    for (uint32_t k = 0; !rc; k++) {
        if (k > GD_PROXY_MSGS_PER_CALL) {
            rc = gd_err_set(err, GD_EPROTO, "more than %u messages in one call", GD_PROXY_MSGS_PER_CALL);
            break;
        }
        /* Each wait is bounded by the socket's timeout (the deadline); the
         * budget bounds them together. */
        double t0 = gd_mono_ms();
        rc = gd_worker_recv(&px->w, deadline_ms == e_deadline(px) ? -1 : (int)wall_ms, r, err);
        budget_ms -= gd_mono_ms() - t0;
        if (!rc && budget_ms < 0)
            rc = GD_ETIMEDOUT;
        if (rc == GD_ETIMEDOUT) {
            px->in->eng->ctr.worker_timeouts++;
            if (px->rt)
                gd_err_set(err, GD_ETIMEDOUT, "no answer within %u ms (%u times its deadline of %u ms: real-time, its "
                           "CPU time is the kernel's to bound)", wall_ms, GD_WORKER_RT_WALL, deadline_ms);
            else
                gd_err_set(err, GD_ETIMEDOUT, "no answer within its deadline of %u ms", deadline_ms);
        }
        if (rc)
            break;
        if (r->type == answer) {
            if (px->logs > GD_PROXY_LOGS_PER_CALL)
                gd_log(GD_LOG_WARN, "isolation", NULL, "%s: %u log lines in one call; %u dropped (at most %u are kept)",
                       px->in->name, px->logs, px->logs - GD_PROXY_LOGS_PER_CALL, GD_PROXY_LOGS_PER_CALL);
            return 0;
        }
        if (r->type == GD_W_FAIL) {
            char text[GD_WIRE_TEXT_MAX];
            gd_rb_str(r, text, sizeof text);
            rc = gd_err_set(err, GD_EPLUGIN, "%s", text);
            break;
        }
        rc = serve_request(px, r, err);
    }
    if (rc == GD_EPROTO)
        px->in->eng->ctr.worker_protocol++;
    snprintf(why, sizeof why, "%s", err->msg);
    proxy_down(px, why);
    return rc;
}

static void put_ctx(gd_proxy *px, gd_wbuf *m)
{
    gd_wire_ctx c = {px->in->eng->now_ms, px->in->eng->book.equity};
    gd_wb_ctx(m, &c);
}

static uint32_t deadline(const gd_proxy *px) { return (uint32_t)px->in->cfg->iso_deadline_ms; }

/* GD_W_DONE's rc and text. */
static int64_t done_rc(gd_rbuf *r, char *text, size_t cap)
{
    int64_t rc = gd_rb_i64(r);
    gd_rb_str(r, text, cap);
    return r->bad ? INT64_MIN : rc;
}

/* The worker's GD_W_HELLO (or GD_W_FAIL) in r: the same file the host
 * described must give the same descriptor. */
static int check_hello(gd_proxy *px, gd_rbuf *r, gd_err *err)
{
    const gd_inst *in = px->in;
    if (r->type == GD_W_FAIL) {
        char text[GD_WIRE_TEXT_MAX];
        gd_rb_str(r, text, sizeof text);
        return gd_err_set(err, GD_EPLUGIN, "%s", text);
    }
    if (r->type != GD_W_HELLO)
        return gd_err_set(err, GD_EPROTO, "it sent %s before its descriptor", gd_wire_type_name(r->type));
    gd_plugin_lib seen;
    memset(&seen, 0, sizeof seen);
    int rc = gd_worker_read_hello(r, &seen, NULL, err);
    if (!rc && (strcmp(seen.d.name, in->lib->d.name) || seen.d.kind != in->lib->d.kind ||
                seen.worker_callbacks != in->lib->worker_callbacks))
        rc = gd_err_set(err, GD_EPROTO, "it described a different plugin (%s)", seen.d.name);
    gd_loader_close(&seen);
    return rc;
}

/* GD_W_CREATE: the instance's name, the symbols, its parameters. */
static void put_create(gd_proxy *px, gd_wbuf *m)
{
    const gd_inst *in = px->in;
    const gd_engine *e = in->eng;
    gd_wb_start(m, px->w.out, sizeof px->w.out, GD_W_CREATE);
    gd_wb_str(m, in->name, 159);
    gd_wb_u32(m, (uint32_t)gd_log_min_level());
    gd_wb_u32(m, e->n_symbols);
    for (uint32_t s = 0; s < e->n_symbols; s++) {
        gd_wb_str(m, e->symbols[s], 127);
        gd_wb_u8(m, in->sub[s]);
    }
    gd_wb_u32(m, (uint32_t)in->params.n);
    for (size_t k = 0; k < in->params.n; k++) {
        const gd_param_value *v = &in->params.v[k];
        gd_wb_str(m, v->decl.name, GD_PARAM_NAME_MAX);
        gd_wb_i32(m, v->decl.type);
        gd_wb_i64(m, v->i);
        gd_wb_f64(m, v->d);
        gd_wb_str(m, v->s ? v->s : "", GD_PARAM_DEF_STR_MAX);
    }
}

static int spawn(gd_proxy *px, uint32_t start_ms, gd_err *err)
{
    gd_worker_conf wc = *px->in->eng->wconf;
    wc.start_ms = start_ms;
    wc.address_space_mb = (uint64_t)px->in->cfg->iso_memory_mb;
    wc.cpu_seconds = (uint64_t)px->in->cfg->iso_cpu_seconds;
    px->up = 0;
    return gd_worker_spawn(&wc, px->in->lib->path, 0, &px->w, err);
}

/* Spawns the worker, checks it loaded the plugin the host described, and
 * creates the instance, each step within start_ms, waiting: for the first
 * start and reloads. perr gets the plugin's own words on failure. */
/* Real-time only once created: create() may take its start budget. */
static void go_realtime(gd_proxy *px)
{
    gd_err err;
    px->rt = 0;
    if (px->in->eng->wconf->rt_priority <= 0)
        return;
    /* The instance's deadline: a reload may have changed it since start. */
    if (gd_worker_realtime(&px->w, px->in->eng->wconf, deadline(px), &err) != 0) {
        gd_log(GD_LOG_WARN, "isolation", NULL, "%s: its worker keeps the normal policy: %s", px->in->name, err.msg);
        return;
    }
    px->rt = 1;
}

static int proxy_start(gd_proxy *px, uint32_t start_ms, char *perr, size_t perr_len)
{
    gd_engine *e = px->in->eng;
    gd_err err;
    gd_rbuf r;
    int rc = spawn(px, start_ms, &err);
    if (rc) {
        snprintf(perr, perr_len, "%s", err.msg);
        return rc;
    }
    px->up = 1; /* answering, as far as proxy_call is concerned */
    rc = gd_worker_recv(&px->w, (int)start_ms, &r, &err);
    if (!rc)
        rc = check_hello(px, &r, &err);
    if (rc) {
        snprintf(perr, perr_len, "%s", err.msg);
        proxy_down(px, err.msg);
        return rc;
    }
    gd_wbuf m;
    put_create(px, &m);
    char text[GD_WIRE_TEXT_MAX];
    int was = e->in_create;
    e->in_create = 1;
    rc = proxy_call(px, &m, GD_W_DONE, start_ms, &r);
    e->in_create = was;
    if (rc) {
        snprintf(perr, perr_len, "%s", px->w.why);
        return rc;
    }
    int64_t crc = done_rc(&r, text, sizeof text);
    if (crc != 0) {
        snprintf(perr, perr_len, "%s", text);
        gd_worker_stop(&px->w, 100);
        px->up = 0;
        return GD_EPLUGIN;
    }
    go_realtime(px);
    return 0;
}

/* ------------------------------------------------------------ stand-ins */

static int px_create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)api;
    gd_inst *in = gd_handle_inst(ctx);
    gd_proxy *px = in ? calloc(1, sizeof *px) : NULL;
    *instance = NULL;
    if (!px) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    px->in = in;
    px->w.fd = -1;
    in->proxy = px;
    if (proxy_start(px, (uint32_t)in->cfg->iso_start_ms, err, err_len) != 0) {
        gd_worker_kill(&px->w, NULL);
        in->proxy = NULL;
        free(px);
        return -1;
    }
    *instance = px;
    return 0;
}

static void px_destroy(void *instance)
{
    gd_proxy *px = instance;
    if (!px)
        return;
    if (px->up)
        gd_worker_stop(&px->w, deadline(px));
    else
        gd_worker_kill(&px->w, NULL);
    px->in->proxy = NULL;
    free(px->snap);
    free(px);
}

/* The bar message: context, symbol, bar, and for a strategy its position in
 * the bar's symbol (most ask for it, and a request is a round trip). */
static void put_bar(gd_proxy *px, gd_wbuf *m, uint32_t symbol, const gordon_bar *bar)
{
    gd_wb_start(m, px->w.out, sizeof px->w.out, GD_W_BAR);
    put_ctx(px, m);
    gd_wb_u32(m, symbol);
    gd_wb_bar(m, bar);
    gordon_position p = GORDON_POSITION_INIT;
    int has = px->in->kind == GORDON_KIND_STRATEGY && px->in->eng->api->position(px->in->handle, symbol, &p) == 0;
    gd_wb_u8(m, (uint8_t)has);
    if (has)
        gd_wb_position(m, &p);
}

static void px_on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    gd_proxy *px = instance;
    if (!px->up)
        return;
    gd_wbuf m;
    gd_rbuf r;
    put_bar(px, &m, symbol, bar);
    proxy_call(px, &m, GD_W_DONE, deadline(px), &r);
}

static void px_on_fill(void *instance, const gordon_fill *f)
{
    gd_proxy *px = instance;
    if (!px->up)
        return;
    gd_wbuf m;
    gd_rbuf r;
    gd_wb_start(&m, px->w.out, sizeof px->w.out, GD_W_FILL);
    put_ctx(px, &m);
    gd_wb_fill(&m, f);
    proxy_call(px, &m, GD_W_DONE, deadline(px), &r);
}

/* A filter's answer, read. */
static int filter_answer(gd_proxy *px, const gd_rbuf *r, gordon_signal *out, char *reason, size_t len);

static int px_filter(void *instance, const gordon_signal *in, gordon_signal *out, char *reason, size_t len)
{
    gd_proxy *px = instance;
    if (!px->up) {
        snprintf(reason, len, "overlay worker is down (quarantined)");
        return GORDON_FILTER_VETO;
    }
    gd_wbuf m;
    gd_rbuf r;
    gd_wb_start(&m, px->w.out, sizeof px->w.out, GD_W_FILTER);
    put_ctx(px, &m);
    gd_wb_signal(&m, in);
    if (proxy_call(px, &m, GD_W_FILTERED, deadline(px), &r) != 0) {
        snprintf(reason, len, "overlay worker failed: %s", px->w.why);
        return GORDON_FILTER_VETO;
    }
    return filter_answer(px, &r, out, reason, len);
}

/* The filter in two halves, so the pipeline asks every isolated overlay at
 * once and reads the answers in order (pipeline.c): the workers think in
 * parallel, a signal costs the slowest overlay, not the sum. */
static void px_filter_send(gd_proxy *px, const gordon_signal *in)
{
    px->f_sent = 1;
    px->f_rc = GD_ESTATE;
    if (!px->up)
        return;
    gd_wbuf m;
    gd_wb_start(&m, px->w.out, sizeof px->w.out, GD_W_FILTER);
    put_ctx(px, &m);
    gd_wb_signal(&m, in);
    px->f_rc = gd_worker_send(&px->w, &m, &px->f_err);
}

static int px_filter_recv(gd_proxy *px, gordon_signal *out, char *reason, size_t len)
{
    int sent = px->f_sent;
    px->f_sent = 0;
    if (!sent || !px->up) {
        snprintf(reason, len, "overlay worker is down (quarantined)");
        return GORDON_FILTER_VETO;
    }
    gd_rbuf r;
    if (proxy_wait(px, GD_W_FILTERED, deadline(px), &r, px->f_rc, &px->f_err) != 0) {
        snprintf(reason, len, "overlay worker failed: %s", px->w.why);
        return GORDON_FILTER_VETO;
    }
    return filter_answer(px, &r, out, reason, len);
}

int gd_overlay_send(void *instance, const gordon_signal *in)
{
    gd_inst *ov = instance;
    if (!ov->proxy)
        return -1;
    GD_CALL_AS(ov->handle, px_filter_send(ov->proxy, in));
    return 0;
}

int gd_overlay_recv(void *instance, gordon_signal *out, char *reason, size_t len)
{
    gd_inst *ov = instance;
    int r;
    GD_CALL_AS(ov->handle, r = px_filter_recv(ov->proxy, out, reason, len));
    return r;
}

static int filter_answer(gd_proxy *px, const gd_rbuf *rb, gordon_signal *out, char *reason, size_t len)
{
    gd_rbuf r = *rb;
    gordon_signal o;
    char text[GD_WIRE_TEXT_MAX];
    int32_t res = gd_rb_i32(&r);
    gd_rb_signal(&r, &o);
    gd_rb_str(&r, text, sizeof text);
    gd_err err;
    if (gd_rb_end(&r, &err) != 0) {
        proxy_down(px, err.msg);
        snprintf(reason, len, "overlay worker failed: %s", err.msg);
        return GORDON_FILTER_VETO;
    }
    /* The pipeline compares out with its own copy, field by field. */
    gd_sized_out(out, out->struct_size, &o, sizeof o);
    snprintf(reason, len, "%s", text);
    return res;
}

static void put_evaluate(gd_proxy *px, gd_wbuf *m, const gordon_breaker_input *in, const gordon_breaker_result *out)
{
    gd_wb_start(m, px->w.out, sizeof px->w.out, GD_W_EVALUATE);
    put_ctx(px, m);
    gd_wb_breaker_in(m, in);
    gd_wb_breaker_out(m, out);
}

static int evaluate_answer(gd_proxy *px, gd_rbuf r, gordon_breaker_result *out);

static int px_evaluate(void *instance, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    gd_proxy *px = instance;
    if (!px->up) {
        snprintf(out->reason, sizeof out->reason, "breaker worker is down (quarantined)");
        return -1; /* fails closed: the engine treats it as tripped */
    }
    gd_wbuf m;
    gd_rbuf r;
    put_evaluate(px, &m, in, out);
    if (proxy_call(px, &m, GD_W_EVALUATED, deadline(px), &r) != 0) {
        snprintf(out->reason, sizeof out->reason, "breaker worker failed");
        return -1;
    }
    return evaluate_answer(px, r, out);
}

static int evaluate_answer(gd_proxy *px, gd_rbuf r, gordon_breaker_result *out)
{
    gordon_breaker_result o;
    int32_t rc = gd_rb_i32(&r);
    gd_rb_breaker_out(&r, &o);
    gd_err err;
    if (gd_rb_end(&r, &err) != 0) {
        proxy_down(px, err.msg);
        return -1;
    }
    out->state = o.state;
    out->value = o.value;
    out->threshold = o.threshold;
    memcpy(out->reason, o.reason, sizeof out->reason);
    return rc;
}

static void px_on_resume(void *instance)
{
    gd_proxy *px = instance;
    if (!px->up)
        return;
    gd_wbuf m;
    gd_rbuf r;
    gd_wb_start(&m, px->w.out, sizeof px->w.out, GD_W_RESUME);
    put_ctx(px, &m);
    proxy_call(px, &m, GD_W_DONE, deadline(px), &r);
}

static uint32_t px_warmup(void *instance)
{
    gd_proxy *px = instance;
    gd_wbuf m;
    gd_rbuf r;
    char text[64];
    gd_wb_start(&m, px->w.out, sizeof px->w.out, GD_W_WARMUP);
    if (proxy_call(px, &m, GD_W_DONE, deadline(px), &r) != 0)
        return 0;
    int64_t w = done_rc(&r, text, sizeof text);
    /* Above the SDK's limit is refused by the caller, as in-process. */
    return w < 0 ? 0 : w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

/* snapshot() is asked twice (size, then bytes): the first call fetches the
 * blob from the worker, the second hands it over. */
static size_t px_snapshot(void *instance, void *buf, size_t cap)
{
    gd_proxy *px = instance;
    if (!px->up)
        return 0;
    if (buf && px->snap && cap >= px->snap_len) {
        memcpy(buf, px->snap, px->snap_len);
        return px->snap_len;
    }
    free(px->snap);
    px->snap = NULL;
    px->snap_len = 0;
    gd_wbuf m;
    gd_rbuf r;
    char text[GD_WIRE_TEXT_MAX];
    gd_wb_start(&m, px->w.out, sizeof px->w.out, GD_W_SNAPSHOT);
    int rc = gd_worker_send(&px->w, &m, NULL);
    size_t have = 0, cap_now = 0;
    unsigned char *blob = NULL;
    while (!rc) {
        gd_err err;
        rc = gd_worker_recv(&px->w, (int)deadline(px), &r, &err);
        if (rc) {
            proxy_down(px, err.msg);
            break;
        }
        if (r.type == GD_W_DONE) {
            int64_t n = done_rc(&r, text, sizeof text);
            if (n >= 0 && (size_t)n == have) {
                px->snap = blob;
                px->snap_len = have;
                blob = NULL;
            }
            break;
        }
        /* Empty chunks would let a worker keep the host reading for ever. */
        if (r.type != GD_W_SNAP_CHUNK || r.len == 0 || r.len > GD_WIRE_SNAP_MAX - have) {
            proxy_down(px, "a malformed snapshot");
            break;
        }
        if (have + r.len > cap_now) {
            size_t nc = (have + r.len) * 2;
            unsigned char *g = realloc(blob, nc);
            if (!g)
                break;
            blob = g;
            cap_now = nc;
        }
        memcpy(blob + have, r.p, r.len);
        have += r.len;
    }
    free(blob);
    if (buf && px->snap && cap >= px->snap_len) {
        memcpy(buf, px->snap, px->snap_len);
        return px->snap_len;
    }
    return px->snap_len;
}

static int px_restore(void *instance, const void *buf, size_t len)
{
    gd_proxy *px = instance;
    if (!px->up || len > GD_WIRE_SNAP_MAX)
        return -1;
    gd_wbuf m;
    gd_rbuf r;
    gd_err err;
    char text[64];
    gd_wb_start(&m, px->w.out, sizeof px->w.out, GD_W_RESTORE);
    gd_wb_u32(&m, (uint32_t)len);
    if (gd_worker_send(&px->w, &m, &err) != 0) {
        proxy_down(px, err.msg);
        return -1;
    }
    for (size_t off = 0; off < len;) {
        size_t k = len - off < GD_WIRE_MAX - 16 ? len - off : GD_WIRE_MAX - 16;
        gd_wb_start(&m, px->w.out, sizeof px->w.out, GD_W_SNAP_CHUNK);
        gd_wb_bytes(&m, (const unsigned char *)buf + off, k);
        if (gd_worker_send(&px->w, &m, &err) != 0) {
            proxy_down(px, err.msg);
            return -1;
        }
        off += k;
    }
    if (gd_worker_recv(&px->w, (int)deadline(px), &r, &err) != 0 || r.type != GD_W_DONE) {
        proxy_down(px, "no answer to restore");
        return -1;
    }
    return done_rc(&r, text, sizeof text) == 0 ? 0 : -1;
}

/* The bar to every worker of a batch at once, then their answers in turn:
 * the workers compute side by side, so a bar costs the host the slowest
 * worker's time, not the sum of all (nine plugins of 10 ms each would hold
 * the operator API for 90 ms). Requests are served in call order, with
 * each call's instance bound, as sequential calls would have them; what a
 * bar message carries (time, equity, the strategy's own position) does not
 * change while earlier calls are served, so the results are the same. */
enum { GD_BAR_BATCH = 64 };

static void batch_bar(gd_engine *e, const gd_call *calls, uint32_t n, uint32_t symbol, const gordon_bar *bar,
                      int strategies)
{
    int rcs[GD_BAR_BATCH];
    gd_err errs[GD_BAR_BATCH];
    for (uint32_t i = 0; i < n; i++) {
        gd_proxy *px = calls[i].self;
        rcs[i] = GD_ESTATE;
        if (!px->up)
            continue;
        gd_wbuf m;
        gd_calling = calls[i].ctx; /* the position is read as the instance */
        put_bar(px, &m, symbol, bar);
        gd_calling = NULL;
        rcs[i] = gd_worker_send(&px->w, &m, &errs[i]);
    }
    for (uint32_t i = 0; i < n; i++) {
        gd_rbuf r;
        if (rcs[i] == GD_ESTATE)
            continue;
        if (strategies)
            e->in_strategy = calls[i].inst;
        GD_CALL_AS(calls[i].ctx, proxy_wait(calls[i].self, GD_W_DONE, deadline(calls[i].self), &r, rcs[i], &errs[i]));
    }
    if (strategies)
        e->in_strategy = NULL;
}

/* The second half of a bar batch's evaluates: each breaker's answer (a
 * worker down or failing counts as tripped), then its verdict. */
static int evaluate_recv(gd_inst *b)
{
    gd_proxy *px = b->proxy;
    gd_rbuf r;
    if (px->e_rc == GD_ESTATE || !px->up) {
        snprintf(b->scratch->reason, sizeof b->scratch->reason, "breaker worker is down (quarantined)");
        return -1;
    }
    if (proxy_wait(px, GD_W_EVALUATED, deadline(px), &r, px->e_rc, &px->e_err) != 0) {
        snprintf(b->scratch->reason, sizeof b->scratch->reason, "breaker worker failed");
        return -1;
    }
    return evaluate_answer(px, r, b->scratch);
}

static void verdicts(gd_engine *e)
{
    for (uint32_t i = 0; i < e->gen->n_breakers; i++) {
        gd_inst *b = e->gen->breakers[i];
        int rc;
        GD_CALL_AS(b->handle, rc = evaluate_recv(b));
        gd_engine_breaker_verdict(e, i, rc);
    }
}

int gd_isolate_bar_all(gd_engine *e, const gd_dispatch *d, uint32_t symbol, const gordon_bar *bar)
{
    const gd_gen *g = e->gen;
    uint32_t nb = g->n_breakers;
    if (d->n_pre + d->n_strat > GD_BAR_BATCH)
        return -1;
    for (uint32_t i = 0; i < nb; i++)
        if (!g->breakers[i]->proxy)
            return -1;
    int rcs[GD_BAR_BATCH];
    gd_err errs[GD_BAR_BATCH];
    const gd_call *calls[GD_BAR_BATCH];
    uint32_t n = 0;
    gordon_breaker_input in;
    gd_engine_breakers_begin(e, &in);
    /* The bar to every worker, pre calls first. */
    for (uint32_t k = 0; k < d->n_pre + d->n_strat; k++) {
        const gd_call *c = k < d->n_pre ? &d->pre[k] : &d->strat[k - d->n_pre];
        gd_proxy *px = c->self;
        calls[n] = c;
        rcs[n] = GD_ESTATE;
        if (px->up) {
            gd_wbuf m;
            gd_calling = c->ctx; /* a strategy's position is read as the instance */
            put_bar(px, &m, symbol, bar);
            gd_calling = NULL;
            rcs[n] = gd_worker_send(&px->w, &m, &errs[n]);
        }
        n++;
    }
    /* Each breaker's evaluate behind its bar (a worker answers in order). */
    for (uint32_t i = 0; i < nb; i++) {
        gd_inst *b = g->breakers[i];
        gd_proxy *px = b->proxy;
        px->e_rc = GD_ESTATE;
        if (px->up) {
            gd_wbuf m;
            put_evaluate(px, &m, &in, b->scratch);
            px->e_rc = gd_worker_send(&px->w, &m, &px->e_err);
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        if (k == d->n_pre) {
            /* Every pre call answered: the verdicts, before any signal. */
            verdicts(e);
        }
        gd_rbuf r;
        if (rcs[k] == GD_ESTATE)
            continue;
        int strategy = k >= d->n_pre;
        if (strategy)
            e->in_strategy = calls[k]->inst;
        GD_CALL_AS(calls[k]->ctx, proxy_wait(calls[k]->self, GD_W_DONE, deadline(calls[k]->self), &r, rcs[k], &errs[k]));
    }
    if (n == d->n_pre) {
        /* No strategy: the verdicts after the pre answers all the same. */
        verdicts(e);
    }
    e->in_strategy = NULL;
    return 0;
}

void gd_isolate_bar(gd_engine *e, const gd_call *calls, uint32_t n, uint32_t symbol, const gordon_bar *bar,
                    int strategies)
{
    for (uint32_t at = 0; at < n; at += GD_BAR_BATCH)
        batch_bar(e, calls + at, n - at < GD_BAR_BATCH ? n - at : GD_BAR_BATCH, symbol, bar, strategies);
}

void gd_isolate_desc(const gordon_plugin *src, gordon_plugin *dst)
{
    *dst = *src;
    dst->create = px_create;
    dst->destroy = px_destroy;
    dst->on_bar = src->on_bar ? px_on_bar : NULL;
    dst->on_fill = src->on_fill ? px_on_fill : NULL;
    dst->filter = src->filter ? px_filter : NULL;
    dst->evaluate = src->evaluate ? px_evaluate : NULL;
    dst->snapshot = src->snapshot ? px_snapshot : NULL;
    dst->restore = src->restore ? px_restore : NULL;
    dst->on_resume = src->on_resume ? px_on_resume : NULL;
    dst->warmup = src->warmup ? px_warmup : NULL;
}

/* ------------------------------------------------------------ restarts */

/* A restart in steps, none of which waits: the loop keeps answering while a
 * worker starts (an ASan worker takes 50 ms) or a plugin's create() hangs. */
static void restart_step(gd_proxy *px)
{
    gd_inst *in = px->in;
    gd_engine *e = in->eng;
    gd_err err;
    gd_rbuf r;
    for (;;) {
        /* A few milliseconds at most: a healthy worker usually answers
         * within them, and the loop does not wait for a slow one. */
        int rc = gd_worker_recv(&px->w, 5, &r, &err);
        if (rc == GD_ETIMEDOUT) {
            if ((int64_t)gd_mono_ms() > px->phase_until)
                proxy_down(px, px->phase == PX_HELLO ? "did not load its plugin in time" : "create() did not return in time");
            return;
        }
        if (!rc && ++px->phase_msgs > GD_PROXY_MSGS_PER_CALL)
            rc = gd_err_set(&err, GD_EPROTO, "more than %u messages while starting", GD_PROXY_MSGS_PER_CALL);
        if (!rc && px->phase == PX_HELLO) {
            rc = check_hello(px, &r, &err);
            if (!rc) {
                gd_wbuf m;
                put_create(px, &m);
                rc = gd_worker_send(&px->w, &m, &err);
                px->phase = PX_CREATE;
            }
        } else if (!rc && r.type == GD_W_DONE) {
            char text[GD_WIRE_TEXT_MAX];
            int64_t crc = done_rc(&r, text, sizeof text);
            if (crc != 0) {
                char why[GD_WIRE_TEXT_MAX + 32];
                snprintf(why, sizeof why, "create() failed: %s", text);
                proxy_down(px, why);
                return;
            }
            px->up = 1;
            px->phase = PX_DOWN;
            go_realtime(px);
            /* Its indicators come back from the history the host kept, as
             * much as it says it needs. */
            gd_inst *one[1] = {in};
            gd_engine_warm_up(e, one, 1, in->warmup ? in->warmup : 1);
            if (px->up) {
                e->ctr.worker_restarts++;
                gd_log(GD_LOG_WARN, "isolation", NULL, "%s: worker restarted and warmed up; out of quarantine",
                       in->name);
                char why[200];
                snprintf(why, sizeof why, "%s: worker restarted and warmed up", in->name);
                gd_engine_rec_risk(e, "release", "host", why, NULL);
            }
            return;
        } else if (!rc && r.type == GD_W_FAIL) {
            char text[GD_WIRE_TEXT_MAX];
            gd_rb_str(&r, text, sizeof text);
            rc = gd_err_set(&err, GD_EPLUGIN, "%s", text);
        } else if (!rc) {
            /* create()'s requests: series_subscribe, log lines */
            int was = e->in_create;
            e->in_create = 1;
            GD_CALL_AS(in->handle, rc = serve_request(px, &r, &err));
            e->in_create = was;
        }
        if (rc) {
            proxy_down(px, err.msg);
            return;
        }
    }
}

void gd_isolate_tick(gd_engine *e)
{
    if (!e->wconf || !e->gen || e->in_bar)
        return;
    int64_t now = (int64_t)gd_mono_ms();
    for (uint32_t i = 0; i < e->gen->n_insts; i++) {
        gd_inst *in = &e->gen->insts[i];
        gd_proxy *px = in->proxy;
        if (!px || px->up)
            continue;
        if (px->phase == PX_DOWN) {
            if (px->deaths > (uint32_t)in->cfg->iso_max_restarts || now < px->next_start_ms)
                continue;
            gd_err err;
            if (spawn(px, (uint32_t)in->cfg->iso_start_ms, &err) != 0) {
                proxy_down(px, err.msg);
                continue;
            }
            gd_log(GD_LOG_WARN, "isolation", NULL, "%s: restarting its worker (restart %u of at most %u)", in->name,
                   px->deaths, (uint32_t)in->cfg->iso_max_restarts);
            px->phase = PX_HELLO;
            px->phase_msgs = 0;
            px->phase_until = now + (int64_t)in->cfg->iso_start_ms;
        }
        restart_step(px);
    }
}

uint32_t gd_isolate_quarantined(const gd_engine *e, uint32_t *for_good)
{
    uint32_t n = 0, hard = 0;
    for (uint32_t i = 0; e->gen && i < e->gen->n_insts; i++) {
        const gd_proxy *px = e->gen->insts[i].proxy;
        if (px && !px->up) {
            n++;
            hard += px->deaths > (uint32_t)e->gen->insts[i].cfg->iso_max_restarts;
        }
    }
    if (for_good)
        *for_good = hard;
    return n;
}
