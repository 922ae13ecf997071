/* The market data side: bars from gordon's CSV (--klines SYM:CSV) replayed
 * on a market clock that runs --market-speed times real time, rebased so
 * bar --market-history opens at the venue's time at start. Binance's wire
 * formats: GET /fapi/v1/klines (array of arrays), and the kline and
 * markPriceUpdate events the market websocket (ws.c) carries. The symbol's
 * price and mark follow the latest closed bar's close. Control: POST
 * /_venue/market action=stall|drop|gap|pause|resume. */
#include "venue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#define VN_KL_BARS_MAX   1000000 /* a CSV longer than this is not a test's */
#define VN_KL_LIMIT_DEF  500     /* Binance's default and maximum limit */
#define VN_KL_LIMIT_MAX  1500
#define VN_MARK_EVERY_MS 1000                   /* markPrice@1s: at most once a real second */
#define VN_FUNDING_MS    (8LL * 60 * 60 * 1000) /* funding every 8 h of market time */
#define VN_TRADES_A_BAR  100                    /* the CSV has no trade count */

int64_t vn_real_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int64_t vn_market_now(const vn_venue *v)
{
    const vn_market *m = &v->mk;
    if (m->paused)
        return m->base_market;
    return m->base_market + (int64_t)((double)(vn_real_ms() - m->base_real) * m->speed);
}

static const struct {
    const char *name;
    int64_t ms;
} g_intervals[] = {
    {"1s", 1000LL},     {"1m", 60000LL},     {"3m", 180000LL},   {"5m", 300000LL},   {"15m", 900000LL},
    {"30m", 1800000LL}, {"1h", 3600000LL},   {"2h", 7200000LL},  {"4h", 14400000LL}, {"6h", 21600000LL},
    {"8h", 28800000LL}, {"12h", 43200000LL}, {"1d", 86400000LL},
};

int64_t vn_interval_ms(const char *name)
{
    for (size_t i = 0; name && i < sizeof(g_intervals) / sizeof(g_intervals[0]); i++)
        if (!strcmp(name, g_intervals[i].name))
            return g_intervals[i].ms;
    return 0;
}

/* gordon's bar CSV: open_time_ms,open,high,low,close,volume; its times are
 * not used (bar k opens at start + k * interval). */
int vn_klines_load(vn_symbol *s, const char *file, char *why, size_t whylen)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(why, whylen, "%s: cannot open", file);
        return -1;
    }
    char line[512];
    size_t cap = 0, lineno = 0;
    int rc = 0;
    free(s->kl);
    s->kl = NULL;
    s->kl_n = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        long long t;
        double o, h, l, c, vol;
        if (line[0] == '#' || line[0] == '\n' || line[0] == '\r' || (lineno == 1 && !strncmp(line, "open_time", 9)))
            continue;
        if (sscanf(line, "%lld,%lf,%lf,%lf,%lf,%lf", &t, &o, &h, &l, &c, &vol) != 6 ||
            !(o > 0 && h > 0 && l > 0 && c > 0) || !(vol >= 0) || !(h >= l)) {
            snprintf(why, whylen, "%s:%zu: expected open_time_ms,open,high,low,close,volume", file, lineno);
            rc = -1;
            break;
        }
        if (s->kl_n == VN_KL_BARS_MAX) {
            snprintf(why, whylen, "%s: more than %d bars", file, VN_KL_BARS_MAX);
            rc = -1;
            break;
        }
        if (s->kl_n == cap) {
            cap = cap ? cap * 2 : 256;
            double *n = realloc(s->kl, cap * VN_KL_FIELDS * sizeof(*n));
            if (!n) {
                snprintf(why, whylen, "%s: out of memory", file);
                rc = -1;
                break;
            }
            s->kl = n;
        }
        double *b = s->kl + s->kl_n++ * VN_KL_FIELDS;
        b[VN_KL_OPEN] = o;
        b[VN_KL_HIGH] = h;
        b[VN_KL_LOW] = l;
        b[VN_KL_CLOSE] = c;
        b[VN_KL_VOLUME] = vol;
    }
    fclose(f);
    if (rc == 0 && s->kl_n == 0) {
        snprintf(why, whylen, "%s: no bars", file);
        rc = -1;
    }
    return rc;
}

static int64_t bar_open(const vn_venue *v, size_t i)
{
    return v->mk.t0 + ((int64_t)i - (int64_t)v->mk.history) * v->mk.interval_ms;
}

/* Bars of s closed at market time m. */
static size_t closed_count(const vn_venue *v, const vn_symbol *s, int64_t m)
{
    int64_t k = (int64_t)v->mk.history;
    if (m >= v->mk.t0)
        k += (m - v->mk.t0) / v->mk.interval_ms;
    return k > (int64_t)s->kl_n ? s->kl_n : (size_t)k;
}

int vn_market_start(vn_venue *v, char *why, size_t whylen)
{
    vn_market *m = &v->mk;
    if (!m->interval[0])
        snprintf(m->interval, sizeof(m->interval), "1h");
    m->interval_ms = vn_interval_ms(m->interval);
    if (m->speed <= 0)
        m->speed = 1;
    m->t0 = m->base_market = vn_now_ms(v);
    m->base_real = vn_real_ms();
    for (size_t i = 0; i < v->nsym; i++) {
        vn_symbol *s = &v->sym[i];
        if (!s->kl_n)
            continue;
        if (m->history > s->kl_n) {
            snprintf(why, whylen, "--market-history %zu: %s has %zu bars", m->history, s->name, s->kl_n);
            return -1;
        }
        s->mk_applied = s->mk_next = m->history;
        s->mk_mark_real = m->base_real;
        /* the last closed bar's close, or the first bar's open */
        double px = m->history ? s->kl[(m->history - 1) * VN_KL_FIELDS + VN_KL_CLOSE] : s->kl[VN_KL_OPEN];
        s->price = s->mark = px;
    }
    return 0;
}

/* One bar as Binance's REST array or the stream's "k"; an unclosed bar is
 * shown as its open (o = h = l = c = open, no volume, no trades). */
static cJSON *kline_rest(const vn_venue *v, const vn_symbol *s, size_t i, int closed)
{
    const double *b = s->kl + i * VN_KL_FIELDS;
    int64_t t = bar_open(v, i);
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNumber((double)t));
    for (int f = VN_KL_OPEN; f <= VN_KL_CLOSE; f++)
        cJSON_AddItemToArray(a, vn_fmt(closed ? b[f] : b[VN_KL_OPEN], s->price_dec));
    cJSON_AddItemToArray(a, vn_fmt(closed ? b[VN_KL_VOLUME] : 0, s->qty_dec));
    cJSON_AddItemToArray(a, cJSON_CreateNumber((double)(t + v->mk.interval_ms - 1)));
    cJSON_AddItemToArray(a, cJSON_CreateString("0"));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(closed ? VN_TRADES_A_BAR : 0));
    cJSON_AddItemToArray(a, cJSON_CreateString("0"));
    cJSON_AddItemToArray(a, cJSON_CreateString("0"));
    cJSON_AddItemToArray(a, cJSON_CreateString("0"));
    return a;
}

static char *kline_event(const vn_venue *v, const vn_symbol *s, size_t i, int closed, int64_t now)
{
    const double *b = s->kl + i * VN_KL_FIELDS;
    int64_t t = bar_open(v, i);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "e", "kline");
    cJSON_AddNumberToObject(j, "E", (double)now);
    cJSON_AddStringToObject(j, "s", s->name);
    cJSON *k = cJSON_AddObjectToObject(j, "k");
    cJSON_AddNumberToObject(k, "t", (double)t);
    cJSON_AddNumberToObject(k, "T", (double)(t + v->mk.interval_ms - 1));
    cJSON_AddStringToObject(k, "s", s->name);
    cJSON_AddStringToObject(k, "i", v->mk.interval);
    int64_t first = (int64_t)i * VN_TRADES_A_BAR;
    cJSON_AddNumberToObject(k, "f", closed ? (double)first : -1);
    cJSON_AddNumberToObject(k, "L", closed ? (double)(first + VN_TRADES_A_BAR - 1) : -1);
    cJSON_AddItemToObject(k, "o", vn_fmt(b[VN_KL_OPEN], s->price_dec));
    cJSON_AddItemToObject(k, "c", vn_fmt(closed ? b[VN_KL_CLOSE] : b[VN_KL_OPEN], s->price_dec));
    cJSON_AddItemToObject(k, "h", vn_fmt(closed ? b[VN_KL_HIGH] : b[VN_KL_OPEN], s->price_dec));
    cJSON_AddItemToObject(k, "l", vn_fmt(closed ? b[VN_KL_LOW] : b[VN_KL_OPEN], s->price_dec));
    cJSON_AddItemToObject(k, "v", vn_fmt(closed ? b[VN_KL_VOLUME] : 0, s->qty_dec));
    cJSON_AddNumberToObject(k, "n", closed ? VN_TRADES_A_BAR : 0);
    cJSON_AddBoolToObject(k, "x", closed);
    cJSON_AddStringToObject(k, "q", "0");
    cJSON_AddStringToObject(k, "V", "0");
    cJSON_AddStringToObject(k, "Q", "0");
    cJSON_AddStringToObject(k, "B", "0");
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}

static void push(int sym, int kind, char *text)
{
    if (!text) {
        fprintf(stderr, "gordon-venue: out of memory building a market event\n");
        return;
    }
    vn_ws_market_push(sym, kind, text);
    free(text);
}

static void push_mark(const vn_venue *v, const vn_symbol *s, int sym, double mark, int64_t now)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "e", "markPriceUpdate");
    cJSON_AddNumberToObject(j, "E", (double)now);
    cJSON_AddStringToObject(j, "s", s->name);
    cJSON_AddItemToObject(j, "p", vn_fmt(mark, s->price_dec));
    cJSON_AddItemToObject(j, "i", vn_fmt(mark, s->price_dec));
    cJSON_AddItemToObject(j, "P", vn_fmt(mark, s->price_dec));
    cJSON_AddStringToObject(j, "r", "0.00010000");
    cJSON_AddNumberToObject(j, "T", (double)((now / VN_FUNDING_MS + 1) * VN_FUNDING_MS));
    (void)v;
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    push(sym, VN_MK_MARK, text);
}

/* The venue's tick: bars that closed move the price (stops checked) and go
 * out on the stream, unless stalled or in a gap; the mid-bar update; the
 * markPrice once a real second. A symbol without klines only gets its
 * markPrice. */
void vn_market_tick(vn_venue *v)
{
    int64_t now = vn_market_now(v), real = vn_real_ms();
    int stalled = real < v->mk.stall_until;
    for (size_t si = 0; si < v->nsym; si++) {
        vn_symbol *s = &v->sym[si];
        int sent_close = 0;
        if (s->kl_n) {
            size_t c = closed_count(v, s, now);
            if (c > s->mk_applied) {
                s->mk_applied = c;
                double px = s->kl[(c - 1) * VN_KL_FIELDS + VN_KL_CLOSE];
                vn_set_mark(v, (int)si, px, px); /* stops are checked */
            }
            while (s->mk_next < c) {
                size_t i = s->mk_next++;
                if (stalled)
                    continue;
                if (v->mk.gap > 0) {
                    v->mk.gap--;
                    continue;
                }
                push((int)si, VN_MK_KLINE, kline_event(v, s, i, 1, now));
                push_mark(v, s, (int)si, s->kl[i * VN_KL_FIELDS + VN_KL_CLOSE], now);
                sent_close = 1;
            }
            if (c < s->kl_n && s->mk_mid != c + 1 && now >= bar_open(v, c) + v->mk.interval_ms / 2) {
                s->mk_mid = c + 1; /* lost, not late, during a stall */
                if (!stalled)
                    push((int)si, VN_MK_KLINE, kline_event(v, s, c, 0, now));
            }
        }
        if (sent_close)
            s->mk_mark_real = real;
        else if (!stalled && real - s->mk_mark_real >= VN_MARK_EVERY_MS) {
            s->mk_mark_real = real;
            push_mark(v, s, (int)si, s->mark, now);
        }
    }
}

/* A decimal integer parameter in [lo, hi]: 1 if present and good, 0 if
 * absent, -1 if malformed. */
static int int_param(const vn_request *r, const char *key, long long lo, long long hi, long long *x)
{
    const char *p = vn_param_get(r, key);
    if (!p)
        return 0;
    char *end = NULL;
    *x = strtoll(p, &end, 10);
    return end != p && !*end && *x >= lo && *x <= hi ? 1 : -1;
}

void vn_klines(vn_venue *v, const vn_request *r, vn_response *out)
{
    int si;
    long long start = 0, end = 0, limit = VN_KL_LIMIT_DEF;
    vn_symbol *s = vn_need_symbol(v, r, out, &si);
    if (!s)
        return;
    const char *iv = vn_param_get(r, "interval");
    if (!iv) {
        vn_error(out, 400, -1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.");
        return;
    }
    if (!vn_interval_ms(iv) || strcmp(iv, v->mk.interval) != 0) {
        vn_error(out, 400, -1120, "Invalid interval.");
        return;
    }
    int hs = int_param(r, "startTime", 0, 1LL << 53, &start), he = int_param(r, "endTime", 0, 1LL << 53, &end);
    int hl = int_param(r, "limit", 1, 1LL << 31, &limit);
    if (hl < 0) {
        vn_error(out, 400, -1130, "Data sent for parameter 'limit' is not valid.");
        return;
    }
    if (hs < 0 || he < 0) {
        vn_error(out, 400, -1100, "Illegal characters found in a parameter.");
        return;
    }
    if (limit > VN_KL_LIMIT_MAX)
        limit = VN_KL_LIMIT_MAX; /* clamped, not refused */
    out->weight = limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
    cJSON *a = cJSON_CreateArray();
    if (s->kl_n) {
        size_t c = closed_count(v, s, vn_market_now(v));
        size_t avail = c < s->kl_n ? c + 1 : c; /* the current bar, unclosed, last */
        /* bars [lo, hi) whose open time is within [startTime, endTime] */
        size_t lo = 0, hi = avail;
        while (hs && lo < hi && bar_open(v, lo) < start)
            lo++;
        while (he && hi > lo && bar_open(v, hi - 1) > end)
            hi--;
        if (lo + (size_t)limit < hi) {
            if (hs)
                hi = lo + (size_t)limit; /* from startTime on */
            else
                lo = hi - (size_t)limit; /* the latest */
        }
        for (size_t i = lo; i < hi; i++)
            cJSON_AddItemToArray(a, kline_rest(v, s, i, i < c));
    }
    vn_json(out, 200, a);
}

int vn_market_stream(vn_venue *v, const char *name, int *sym, int *kind)
{
    const char *at = strchr(name, '@');
    char sname[VN_NAME_MAX];
    if (!at || at == name || (size_t)(at - name) >= sizeof(sname))
        return -1;
    for (size_t i = 0; i < (size_t)(at - name); i++)
        sname[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    sname[at - name] = 0;
    if (!vn_symbol_find(v, sname, sym))
        return -1;
    const char *rest = at + 1;
    if (!strcasecmp(rest, "markPrice") || !strcasecmp(rest, "markPrice@1s")) {
        *kind = VN_MK_MARK;
        return 0;
    }
    if (!strncmp(rest, "kline_", 6) && v->sym[*sym].kl_n && !strcmp(rest + 6, v->mk.interval)) {
        *kind = VN_MK_KLINE;
        return 0;
    }
    return -1;
}

void vn_market_control(vn_venue *v, const vn_request *r, vn_response *out)
{
    const char *a = vn_param_get(r, "action");
    long long n = 0;
    if (a && !strcmp(a, "stall")) {
        if (int_param(r, "ms", 1, 86400000LL, &n) != 1) {
            vn_error(out, 400, -1, "ms: a positive integer of real milliseconds");
            return;
        }
        v->mk.stall_until = vn_real_ms() + n;
    } else if (a && !strcmp(a, "drop")) {
        vn_ws_market_drop_all();
    } else if (a && !strcmp(a, "gap")) {
        if (int_param(r, "count", 1, 1000000, &n) != 1) {
            vn_error(out, 400, -1, "count: a positive integer");
            return;
        }
        v->mk.gap = (int)n;
    } else if (a && !strcmp(a, "pause")) {
        if (!v->mk.paused) {
            v->mk.base_market = vn_market_now(v);
            v->mk.paused = 1;
        }
    } else if (a && !strcmp(a, "resume")) {
        if (v->mk.paused) {
            v->mk.base_real = vn_real_ms();
            v->mk.paused = 0;
        }
    } else {
        vn_error(out, 400, -1, "action: one of stall drop gap pause resume");
        return;
    }
    vn_json(out, 200, vn_state_json(v));
}

void vn_market_state(const vn_venue *v, cJSON *state, cJSON *sym, int idx)
{
    int64_t now = vn_market_now(v);
    if (state) {
        cJSON_AddNumberToObject(state, "marketTime", (double)now);
        cJSON_AddStringToObject(state, "marketInterval", v->mk.interval);
        cJSON_AddNumberToObject(state, "marketSpeed", v->mk.speed);
        cJSON_AddBoolToObject(state, "marketPaused", v->mk.paused);
        int64_t stall = v->mk.stall_until - vn_real_ms();
        cJSON_AddNumberToObject(state, "marketStallMs", stall > 0 ? (double)stall : 0);
        cJSON_AddNumberToObject(state, "marketGap", v->mk.gap);
        cJSON_AddNumberToObject(state, "marketSockets", vn_ws_market_sockets());
    }
    if (sym) {
        const vn_symbol *s = &v->sym[idx];
        cJSON_AddNumberToObject(sym, "marketTime", (double)now);
        if (s->kl_n) {
            cJSON_AddNumberToObject(sym, "marketBarIndex", (double)closed_count(v, s, now));
            cJSON_AddNumberToObject(sym, "marketBars", (double)s->kl_n);
        }
    }
}
