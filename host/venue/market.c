#include "venue/market.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/jscan.h"
#include "base/log.h"
#include "venue/profile.h"
#include "venue/rest.h"
#include "venue/rules.h"
#include "venue/stream.h"

#define VM_TICK_MS        1000
#define VM_BACKOFF_MIN_MS 500
#define VM_BACKOFF_MAX_MS 30000
#define VM_FILL_TRIES     3    /* fetches of one gap before it is called unfilled */
#define VM_FILL_RETRY_MS  5000 /* an unfilled gap is asked again this often */
#define VM_KLINES_MAX     1500 /* Binance's limit per request */
#define VM_URL_MAX        4096

typedef struct vm_sym {
    char name[32];
    char lower[32];
    int64_t last_open;  /* the last delivered bar's open (0: none yet) */
    int64_t want_upto;  /* a fill is wanted up to this open (0: none) */
    gordon_bar pending; /* the newest stream bar held back behind a gap */
    int has_pending;
    int filling;        /* a klines request is in flight */
    struct vm_req *req; /* ... owned until its answer (freed by stop if none comes) */
    int tries;          /* fetches of the current gap */
    int64_t retry_at;   /* mono: the next fetch of an unfilled gap */
    int unfilled;
} vm_sym;

typedef struct vm_req {
    struct gd_vmarket *m;
    uint32_t s;
    int warmup;
} vm_req;

struct gd_vmarket {
    gd_vmarket_opts o;
    const gd_config *cfg;
    int64_t iv;   /* the interval, ms */
    vm_sym *syms; /* owned */
    gd_rest *rest;
    gd_wsc *ws;
    uv_timer_t tick;
    int tick_init, stopped, started, ready, stream_on;
    uint32_t warm_left;   /* warm-up requests still out */
    char url[VM_URL_MAX]; /* the combined stream */
    int64_t retry_at;     /* mono: reconnect then (0: not waiting) */
    int64_t backoff;
    int64_t down_since; /* mono: the stream is down since (0: up) */
    int64_t last_msg;   /* mono: the stream's last message (mark prices come every second) */
    uint64_t msg_ns;    /* uv_hrtime() when the message being handled arrived whole */
    int stale;
    gd_vmarket_stats st;
};

static int64_t mono(const gd_vmarket *m) { return (int64_t)uv_now(m->o.loop); }
int64_t gd_vmarket_now(const gd_vmarket *m) { return gd_wall_ms() + (m->rest ? gd_rest_offset(m->rest) : 0); }

static void set_stale(gd_vmarket *m, int stale, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_stale(gd_vmarket *m, int stale, const char *fmt, ...)
{
    if (m->stale == stale)
        return;
    char why[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    m->stale = m->st.stale = stale;
    gd_log(stale ? GD_LOG_WARN : GD_LOG_INFO, "market", NULL, "%s", why);
    if (m->o.hooks.stale)
        m->o.hooks.stale(m->o.hooks.arg, stale, why);
}

/* ------------------------------------------------------------ bars */

static int bar_ok(const gordon_bar *b)
{
    return isfinite(b->open) && isfinite(b->high) && isfinite(b->low) && isfinite(b->close) && isfinite(b->volume) &&
           b->low > 0 && b->high >= b->low && b->open >= b->low && b->open <= b->high && b->close >= b->low &&
           b->close <= b->high && b->volume >= 0;
}

static void deliver(gd_vmarket *m, uint32_t s, const gordon_bar *b, int backfilled)
{
    vm_sym *y = &m->syms[s];
    if (y->last_open && b->open_time_ms <= y->last_open) {
        m->st.duplicates++;
        return;
    }
    y->last_open = b->open_time_ms;
    if (backfilled)
        m->st.bars_backfilled++;
    else
        m->st.bars_stream++;
    if (m->o.hooks.bar)
        m->o.hooks.bar(m->o.hooks.arg, s, b, backfilled);
}

static void fill_reply(void *arg, const gd_rest_reply *r);

/* Asks for s's closed bars after the last delivered one (the warm-up: the
 * last n). */
static void fetch(gd_vmarket *m, uint32_t s, int warmup)
{
    vm_sym *y = &m->syms[s];
    char params[256];
    gd_err e;
    if (y->filling)
        return;
    if (warmup || !y->last_open)
        snprintf(params, sizeof params, "symbol=%s&interval=%s&limit=%u", y->name, m->cfg->market_interval,
                 (m->o.warmup_bars + 2 < VM_KLINES_MAX ? m->o.warmup_bars + 2 : VM_KLINES_MAX));
    else
        snprintf(params, sizeof params, "symbol=%s&interval=%s&startTime=%" PRId64 "&limit=%d", y->name,
                 m->cfg->market_interval, y->last_open + m->iv, VM_KLINES_MAX);
    vm_req *q = malloc(sizeof *q);
    if (!q) {
        y->retry_at = mono(m) + VM_FILL_RETRY_MS;
        return;
    }
    *q = (vm_req){m, s, warmup};
    if (gd_rest_call(m->rest, "GET", "/fapi/v1/klines", params, 0, fill_reply, q, &e) != 0) {
        gd_log(GD_LOG_WARN, "market", NULL, "%s: klines: %s", y->name, e.msg);
        free(q);
        y->retry_at = mono(m) + VM_FILL_RETRY_MS;
        return;
    }
    y->filling = 1;
    y->req = q;
    y->tries++;
}

/* The bars a fetch brought, delivered in order; then the held stream bar. */
static int take_klines(gd_vmarket *m, uint32_t s, const cJSON *arr, int warmup)
{
    vm_sym *y = &m->syms[s];
    int64_t now = gd_vmarket_now(m);
    const cJSON *k;
    uint32_t n = 0, total = (uint32_t)cJSON_GetArraySize(arr);
    cJSON_ArrayForEach(k, arr)
    {
        n++;
        if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) < 7) {
            m->st.bad++;
            gd_log(GD_LOG_WARN, "market", NULL, "%s: klines: element %u is not a kline", y->name, n);
            return -1;
        }
        gordon_bar b;
        memset(&b, 0, sizeof b);
        double t = gd_venue_num(cJSON_GetArrayItem(k, 0));
        b.open = gd_venue_num(cJSON_GetArrayItem(k, 1));
        b.high = gd_venue_num(cJSON_GetArrayItem(k, 2));
        b.low = gd_venue_num(cJSON_GetArrayItem(k, 3));
        b.close = gd_venue_num(cJSON_GetArrayItem(k, 4));
        b.volume = gd_venue_num(cJSON_GetArrayItem(k, 5));
        if (!isfinite(t) || t < 0 || t > 9e15 || t != floor(t) || !bar_ok(&b)) {
            m->st.bad++;
            gd_log(GD_LOG_WARN, "market", NULL, "%s: klines: element %u is not a well-formed bar", y->name, n);
            return -1;
        }
        b.open_time_ms = (int64_t)t;
        b.close_time_ms = b.open_time_ms + m->iv;
        if (n == total && b.close_time_ms > now)
            continue; /* the bar still open: Binance lists it last */
        if (warmup && total - n > m->o.warmup_bars + 1)
            continue;
        deliver(m, s, &b, 1);
    }
    return 0;
}

static void check_fresh(gd_vmarket *m);

static void fill_reply(void *arg, const gd_rest_reply *r)
{
    vm_req *q = arg;
    gd_vmarket *m = q->m;
    uint32_t s = q->s;
    int warmup = q->warmup;
    m->syms[s].req = NULL;
    free(q);
    if (m->stopped)
        return;
    vm_sym *y = &m->syms[s];
    y->filling = 0;
    cJSON *j = r->outcome == GD_REST_OK ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    int ok = cJSON_IsArray(j) && take_klines(m, s, j, warmup) == 0;
    cJSON_Delete(j);
    if (warmup) {
        if (!ok) {
            gd_err e;
            gd_err_set(&e, GD_EIO, "%s: the warm-up klines could not be read: %s (HTTP %ld, code %d)", y->name,
                       r->outcome == GD_REST_OK ? "not a list of klines" : r->msg, r->status, r->code);
            m->stopped = 1; /* nothing more from a feed that did not start */
            if (m->o.hooks.ready)
                m->o.hooks.ready(m->o.hooks.arg, GD_EIO, &e);
            return;
        }
        y->tries = 0;
        if (--m->warm_left == 0) {
            gd_err e;
            m->stream_on = 1;
            gd_log(GD_LOG_INFO, "market", NULL, "warm-up delivered (%" PRIu64 " bars); opening %s",
                   m->st.bars_backfilled, m->url);
            if (gd_wsc_connect(m->ws, m->url, &e) != 0) {
                gd_log(GD_LOG_WARN, "market", NULL, "market stream: %s", e.msg);
                m->retry_at = mono(m) + m->backoff;
            }
            m->down_since = mono(m);
            m->ready = 1;
            if (m->o.hooks.ready)
                m->o.hooks.ready(m->o.hooks.arg, 0, NULL);
        }
        return;
    }
    if (!ok)
        gd_log(GD_LOG_WARN, "market", NULL, "%s: filling a gap: %s (HTTP %ld, code %d)", y->name,
               r->outcome == GD_REST_OK ? "not a list of klines" : r->msg, r->status, r->code);
    if (y->has_pending && y->pending.open_time_ms == y->last_open + m->iv) {
        y->has_pending = 0;
        deliver(m, s, &y->pending, 0);
    } else if (y->has_pending && y->pending.open_time_ms <= y->last_open) {
        y->has_pending = 0;
    }
    if (y->want_upto && y->last_open >= y->want_upto) {
        y->want_upto = 0;
        y->tries = 0;
        y->unfilled = 0;
    } else if (y->want_upto) {
        if (y->tries >= VM_FILL_TRIES && !y->unfilled) {
            y->unfilled = 1;
            m->st.gaps_unfilled++;
            set_stale(m, 1, "market data stale: %s: the bars from %" PRId64 " to %" PRId64 " could not be fetched",
                      y->name, y->last_open + m->iv, y->want_upto);
        }
        y->retry_at = mono(m) + (y->unfilled ? VM_FILL_RETRY_MS : 500);
    }
    check_fresh(m);
}

/* What a stream message says, gathered by the scanner (spans into it). */
typedef struct vm_msg {
    gd_jval e, E, s, p;                 /* the event (data's members, or the top's on a raw stream) */
    gd_jval t, i, o, h, l, c, v, x, ks; /* its kline (k's members) */
    int has_k;
} vm_msg;

static void msg_member(void *arg, int depth, gd_jspan parent, gd_jspan key, const gd_jval *v)
{
    vm_msg *m = arg;
    if (key.n != 1 && !(key.n == 4 && !memcmp(key.p, "data", 4)))
        return;
    int event = depth == 0 || (depth == 1 && gd_jspan_eq(parent, "data"));
    int kline = depth >= 1 && gd_jspan_eq(parent, "k");
    char c = key.p[0];
    if (event && key.n == 1) {
        switch (c) {
        case 'e': m->e = *v; break;
        case 'E': m->E = *v; break;
        case 's': m->s = *v; break;
        case 'p': m->p = *v; break;
        case 'k': m->has_k = v->type == GD_JS_OBJ; break;
        default: break;
        }
    } else if (kline && key.n == 1) {
        switch (c) {
        case 't': m->t = *v; break;
        case 'i': m->i = *v; break;
        case 'o': m->o = *v; break;
        case 'h': m->h = *v; break;
        case 'l': m->l = *v; break;
        case 'c': m->c = *v; break;
        case 'v': m->v = *v; break;
        case 'x': m->x = *v; break;
        case 's': m->ks = *v; break;
        default: break;
        }
    }
}

int gd_vmarket_parse(const char *text, size_t len, const char *interval, int64_t interval_ms, gd_vmarket_msg *out)
{
    vm_msg g;
    memset(&g, 0, sizeof g);
    memset(out, 0, sizeof *out);
    if (gd_jscan(text, len, 8, msg_member, &g, NULL) != 0)
        return out->kind = GD_VM_BAD;
    if (g.e.type != GD_JS_STR || g.s.type != GD_JS_STR || g.s.escaped || g.s.text.n == 0)
        return out->kind = GD_VM_OTHER;
    out->symbol = g.s.text;
    if (gd_jspan_eq(g.e.text, "kline")) {
        if (!g.has_k || g.x.type != GD_JS_TRUE)
            return out->kind = GD_VM_OTHER; /* a bar still open */
        gordon_bar *b = &out->bar;
        double t = gd_jval_num(&g.t);
        b->open = gd_jval_num(&g.o);
        b->high = gd_jval_num(&g.h);
        b->low = gd_jval_num(&g.l);
        b->close = gd_jval_num(&g.c);
        b->volume = gd_jval_num(&g.v);
        if (!isfinite(t) || t < 0 || t > 9e15 || t != floor(t) || !bar_ok(b) || g.i.type != GD_JS_STR ||
            !gd_jspan_eq(g.i.text, interval) || interval_ms <= 0) {
            memset(b, 0, sizeof *b);
            return out->kind = GD_VM_BAD;
        }
        b->open_time_ms = (int64_t)t;
        b->close_time_ms = b->open_time_ms + interval_ms;
        return out->kind = GD_VM_BAR;
    }
    if (gd_jspan_eq(g.e.text, "markPriceUpdate")) {
        double p = gd_jval_num(&g.p), t = gd_jval_num(&g.E);
        if (!isfinite(p) || !(p > 0) || !(fabs(t) <= 9e15))
            return out->kind = GD_VM_BAD;
        out->mark = p;
        out->time_ms = (int64_t)t;
        return out->kind = GD_VM_MARK;
    }
    return out->kind = GD_VM_OTHER;
}

/* A closed kline from the stream, in sequence or not. */
static void on_kline(gd_vmarket *m, uint32_t s, const gordon_bar *bar)
{
    vm_sym *y = &m->syms[s];
    gordon_bar b = *bar;
    if (y->last_open && b.open_time_ms <= y->last_open) {
        m->st.duplicates++;
        return;
    }
    if (!y->last_open || (b.open_time_ms == y->last_open + m->iv && !y->want_upto)) {
        deliver(m, s, &b, 0);
        check_fresh(m);
        return;
    }
    /* Ahead of the next expected bar: what is between comes first. */
    if (!y->want_upto) {
        m->st.gaps++;
        gd_log(GD_LOG_WARN, "market", NULL,
               "%s: a gap: bar %" PRId64 " came after %" PRId64 "; fetching the %" PRId64 " missing", y->name,
               b.open_time_ms, y->last_open, (b.open_time_ms - y->last_open) / m->iv - 1);
    }
    y->pending = b;
    y->has_pending = 1;
    if (b.open_time_ms - m->iv > y->want_upto)
        y->want_upto = b.open_time_ms - m->iv;
    fetch(m, s, 0);
}

/* ------------------------------------------------------------ stream */

static uint32_t sym_of(const gd_vmarket *m, gd_jspan name)
{
    for (uint32_t s = 0; s < m->o.n_symbols; s++)
        if (gd_jspan_eq(name, m->syms[s].name))
            return s;
    return UINT32_MAX;
}

/* One message of the combined (or a raw) stream. Scanned in place: the
 * per-bar path allocates nothing. */
static void ws_message(void *arg, const char *text, size_t len)
{
    gd_vmarket *m = arg;
    m->msg_ns = uv_hrtime(); /* the vDSO clock, no system call */
    m->last_msg = mono(m);
    gd_vmarket_msg g;
    int kind = gd_vmarket_parse(text, len, m->cfg->market_interval, m->iv, &g);
    uint32_t s = kind == GD_VM_BAD || kind == GD_VM_OTHER ? UINT32_MAX : sym_of(m, g.symbol);
    if (kind == GD_VM_BAD) {
        m->st.bad++;
        gd_log(GD_LOG_WARN, "market", NULL, "a market message that is not well formed (or not a %s kline): dropped",
               m->cfg->market_interval);
    } else if (s != UINT32_MAX && kind == GD_VM_BAR) {
        on_kline(m, s, &g.bar);
    } else if (s != UINT32_MAX && kind == GD_VM_MARK) {
        m->st.marks++;
        if (m->o.hooks.mark)
            m->o.hooks.mark(m->o.hooks.arg, s, g.mark, g.time_ms);
    }
}

static void ws_open(void *arg)
{
    gd_vmarket *m = arg;
    m->st.connects++;
    m->st.connected = 1;
    m->backoff = VM_BACKOFF_MIN_MS;
    m->down_since = 0;
    m->last_msg = mono(m);
    gd_log(GD_LOG_INFO, "market", NULL, "market stream connected (%u symbol(s))", m->o.n_symbols);
    /* What closed while it was down comes by REST. */
    for (uint32_t s = 0; s < m->o.n_symbols; s++) {
        vm_sym *y = &m->syms[s];
        int64_t expect = y->last_open + 2 * m->iv; /* the next bar's close */
        int64_t now = gd_vmarket_now(m);
        if (y->last_open && expect <= now) {
            /* the open of the last bar closed by now */
            int64_t upto = y->last_open + (now - y->last_open - m->iv) / m->iv * m->iv;
            if (upto > y->want_upto)
                y->want_upto = upto;
            y->tries = 0;
            fetch(m, s, 0);
        }
    }
}

static void ws_closed(void *arg, const char *why)
{
    gd_vmarket *m = arg;
    m->st.connected = 0;
    if (m->stopped)
        return;
    if (!m->down_since)
        m->down_since = mono(m);
    gd_log(GD_LOG_WARN, "market", NULL, "market stream closed (%s); reconnecting in %" PRId64 " ms", why, m->backoff);
    m->retry_at = mono(m) + m->backoff;
    m->backoff = m->backoff * 2 > VM_BACKOFF_MAX_MS ? VM_BACKOFF_MAX_MS : m->backoff * 2;
}

/* ------------------------------------------------------------ freshness */

static void check_fresh(gd_vmarket *m)
{
    if (!m->ready)
        return;
    int64_t now = gd_vmarket_now(m), grace = (int64_t)m->cfg->market_stale_grace_ms;
    for (uint32_t s = 0; s < m->o.n_symbols; s++) {
        const vm_sym *y = &m->syms[s];
        if (y->unfilled)
            return; /* said when it happened */
        if (y->last_open && now > y->last_open + 2 * m->iv + grace) {
            set_stale(m, 1, "market data stale: %s: no bar since the one that closed at %" PRId64 " (%.1f s late)",
                      y->name, y->last_open + m->iv, (double)(now - (y->last_open + 2 * m->iv)) / 1000.0);
            return;
        }
    }
    if (m->down_since && mono(m) - m->down_since > grace) {
        set_stale(m, 1, "market data stale: the market stream has been down for %.1f s",
                  (double)(mono(m) - m->down_since) / 1000.0);
        return;
    }
    /* Connected and silent: mark prices come every second. */
    if (!m->down_since && m->last_msg && mono(m) - m->last_msg > grace) {
        set_stale(m, 1, "market data stale: nothing from the market stream for %.1f s",
                  (double)(mono(m) - m->last_msg) / 1000.0);
        return;
    }
    for (uint32_t s = 0; s < m->o.n_symbols; s++)
        if (m->syms[s].want_upto)
            return; /* stale until the gap is filled */
    set_stale(m, 0, "market data current again");
}

static void on_tick(uv_timer_t *h)
{
    gd_vmarket *m = h->data;
    if (m->stopped || !m->stream_on)
        return;
    int64_t t = mono(m);
    if (m->retry_at && t >= m->retry_at && !gd_wsc_connected(m->ws)) {
        gd_err e;
        m->retry_at = 0;
        if (gd_wsc_connect(m->ws, m->url, &e) != 0) {
            gd_log(GD_LOG_WARN, "market", NULL, "market stream: %s", e.msg);
            m->retry_at = t + m->backoff;
        }
    }
    for (uint32_t s = 0; s < m->o.n_symbols; s++) {
        vm_sym *y = &m->syms[s];
        if (y->want_upto && !y->filling && t >= y->retry_at)
            fetch(m, s, 0);
    }
    check_fresh(m);
}

/* ------------------------------------------------------------ life */

static void on_clock(void *arg, int rc, int64_t offset)
{
    gd_vmarket *m = arg;
    if (m->stopped)
        return;
    if (rc) {
        gd_err e;
        gd_err_set(&e, GD_EIO, "market data: the venue's time could not be measured (GET /fapi/v1/time: %s)",
                   gd_rest_clock_why(m->rest));
        m->stopped = 1;
        if (m->o.hooks.ready)
            m->o.hooks.ready(m->o.hooks.arg, GD_EIO, &e);
        return;
    }
    gd_log(GD_LOG_INFO, "market", NULL, "venue time %+" PRId64 " ms from ours; warm-up: %u bar(s) of %s", offset,
           m->o.warmup_bars, m->cfg->market_interval);
    m->warm_left = m->o.n_symbols;
    for (uint32_t s = 0; s < m->o.n_symbols; s++)
        fetch(m, s, 1);
}

int gd_vmarket_new(const gd_vmarket_opts *o, gd_vmarket **out, gd_err *err)
{
    const gd_config *cfg = o->cfg;
    gd_venue_endpoints ep;
    int rc;
    *out = NULL;
    if ((rc = gd_venue_endpoints_get(cfg, &ep, err)) != 0)
        return rc;
    if (!cfg->market_interval_ms || !cfg->market_interval)
        return gd_err_set(err, GD_EINVAL, "[market] interval: live bars need it");
    if (o->n_symbols == 0)
        return gd_err_set(err, GD_EINVAL, "[market] symbols: none");
    gd_vmarket *m = calloc(1, sizeof *m);
    if (!m)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    m->o = *o;
    m->cfg = cfg;
    m->iv = cfg->market_interval_ms;
    m->backoff = VM_BACKOFF_MIN_MS;
    if (m->o.warmup_bars > VM_KLINES_MAX - 2)
        m->o.warmup_bars = VM_KLINES_MAX - 2;
    if (!(m->syms = calloc(o->n_symbols, sizeof *m->syms))) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    /* The combined stream's URL: every symbol's klines and mark price. */
    int live = !strcmp(ep.profile, "live") && !ep.overridden;
    int n = snprintf(m->url, sizeof m->url, "%s%s", ep.ws, live ? "/market/stream?streams=" : "/stream?streams=");
    for (uint32_t s = 0; s < o->n_symbols; s++) {
        vm_sym *y = &m->syms[s];
        size_t len = strlen(o->symbols[s]);
        if (len == 0 || len >= sizeof y->name) {
            rc = gd_err_set(err, GD_EINVAL, "symbol %s: 1 to %zu characters", o->symbols[s], sizeof y->name - 1);
            goto fail;
        }
        for (size_t i = 0; i <= len; i++) {
            char c = o->symbols[s][i];
            if (c && !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
                rc = gd_err_set(err, GD_EINVAL, "symbol %s: a venue symbol is upper-case letters and digits",
                                o->symbols[s]);
                goto fail;
            }
            y->name[i] = c;
            y->lower[i] = (char)tolower((unsigned char)c);
        }
        if (n > 0 && (size_t)n < sizeof m->url)
            n += snprintf(m->url + n, sizeof m->url - (size_t)n, "%s%s@kline_%s/%s@markPrice@1s", s ? "/" : "",
                          y->lower, cfg->market_interval, y->lower);
    }
    if (n <= 0 || (size_t)n >= sizeof m->url) {
        rc = gd_err_set(err, GD_ERANGE, "[market] symbols: the stream's URL is longer than %d bytes", VM_URL_MAX - 1);
        goto fail;
    }
    gd_rest_opts ro = {o->loop, ep.rest, NULL, NULL, cfg->venue_timeout_ms, cfg->venue_recv_window_ms};
    if ((rc = gd_rest_new(&ro, &m->rest, err)) != 0)
        goto fail;
    gd_wsc_cbs cb = {m, ws_open, ws_message, ws_closed};
    if ((rc = gd_wsc_new(o->loop, &cb, &m->ws, err)) != 0)
        goto fail;
    if ((rc = uv_timer_init(o->loop, &m->tick)) != 0) {
        rc = gd_err_set(err, GD_EIO, "uv_timer_init: %s", uv_strerror(rc));
        goto fail;
    }
    m->tick_init = 1;
    m->tick.data = m;
    *out = m;
    return 0;
fail:
    if (m->rest)
        gd_rest_close(m->rest);
    m->rest = NULL;
    gd_wsc_free(m->ws);
    free(m->syms);
    free(m);
    return rc;
}

int gd_vmarket_start(gd_vmarket *m, gd_err *err)
{
    int rc = uv_timer_start(&m->tick, on_tick, VM_TICK_MS, VM_TICK_MS);
    if (rc)
        return gd_err_set(err, GD_EIO, "uv_timer_start: %s", uv_strerror(rc));
    m->started = 1;
    return gd_rest_sync_clock(m->rest, 5, on_clock, m, err);
}

void gd_vmarket_stats_get(const gd_vmarket *m, gd_vmarket_stats *out) { *out = m->st; }
uint64_t gd_vmarket_msg_ns(const gd_vmarket *m) { return m->msg_ns; }

int64_t gd_vmarket_last_close(const gd_vmarket *m, uint32_t s)
{
    return s < m->o.n_symbols && m->syms[s].last_open ? m->syms[s].last_open + m->iv : 0;
}

void gd_vmarket_stop(gd_vmarket *m)
{
    if (!m || m->stopped == 2)
        return;
    m->stopped = 2;
    if (m->tick_init)
        uv_close((uv_handle_t *)&m->tick, NULL);
    if (m->rest) {
        gd_rest_close(m->rest);
        m->rest = NULL;
    }
    /* Closing the client dropped their answers. */
    for (uint32_t s = 0; m->syms && s < m->o.n_symbols; s++) {
        free(m->syms[s].req);
        m->syms[s].req = NULL;
    }
    gd_wsc_stop(m->ws);
}

void gd_vmarket_free(gd_vmarket *m)
{
    if (!m)
        return;
    gd_vmarket_stop(m);
    gd_wsc_free(m->ws);
    free(m->syms);
    free(m);
}
