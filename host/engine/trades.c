#include "engine/trades.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dates.h"
#include "base/log.h"

#define TR_BUF (256u * 1024u)
#define TR_ROW 1024u

static const char HEADER[] = "strategy,symbol,side,qty,entry_time,entry_ms,entry_price,stop,entry_slippage_bps,"
                             "exit_time,exit_ms,exit_price,exit_slippage_bps,exit_reason,fees,pnl,r_multiple,"
                             "intent_id\n";

struct gd_trades {
    int fd;
    char *path;
    char *buf; /* TR_BUF in file mode; grown in memory mode (fd < 0) */
    size_t len, cap;
    uint32_t n_symbols, n_owners;
    double gap_bps;     /* a stop fill worse than its price by more than this gapped through it */
    double *entry_slip; /* [owner * n_symbols + symbol]: the open position's entry slippage, NAN unknown */
    int failed;         /* a write failed: said once */
};

static int write_all(gd_trades *t, const char *p, size_t n, gd_err *err)
{
    while (n > 0) {
        ssize_t w = write(t->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return gd_err_set(err, GD_EIO, "trades %s: %s", t->path, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

const char *gd_trades_header(void) { return HEADER; }

int gd_trades_open_mem(uint32_t n_symbols, double slippage_bps, gd_trades **out, gd_err *err)
{
    gd_trades *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t || !(t->path = strdup("(memory)"))) {
        free(t);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    t->fd = -1;
    t->n_symbols = n_symbols;
    t->gap_bps = (slippage_bps > 0.0 ? slippage_bps : 0.0) + 0.01;
    *out = t;
    return 0;
}

char *gd_trades_take(gd_trades *t)
{
    if (!t || t->fd >= 0 || t->failed || !t->len) {
        if (t && t->fd < 0)
            t->len = 0;
        return NULL;
    }
    char *s = t->buf;
    s[t->len] = '\0';
    t->buf = NULL;
    t->len = t->cap = 0;
    return s;
}

int gd_trades_open(const char *path, int append, uint32_t n_symbols, double slippage_bps, gd_trades **out, gd_err *err)
{
    gd_trades *t = calloc(1, sizeof *t);
    struct stat st;
    int rc;
    *out = NULL;
    if (t)
        t->fd = -1;
    if (!t || !(t->buf = malloc(TR_BUF)) || !(t->path = strdup(path))) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    t->n_symbols = n_symbols;
    t->gap_bps = (slippage_bps > 0.0 ? slippage_bps : 0.0) + 0.01;
    t->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0640);
    if (t->fd < 0) {
        rc = gd_err_set(err, GD_EIO, "trades %s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(t->fd, &st) != 0) {
        rc = gd_err_set(err, GD_EIO, "trades %s: %s", path, strerror(errno));
        goto fail;
    }
    if (st.st_size == 0 && (rc = write_all(t, HEADER, sizeof HEADER - 1, err)) != 0)
        goto fail;
    *out = t;
    return 0;
fail:
    if (t && t->fd >= 0)
        close(t->fd);
    if (t) {
        free(t->buf);
        free(t->path);
    }
    free(t);
    return rc;
}

static double *slip_at(gd_trades *t, uint32_t owner, uint32_t sym)
{
    if (sym >= t->n_symbols)
        return NULL;
    if (owner >= t->n_owners) {
        uint32_t n = owner + 8;
        double *p = realloc(t->entry_slip, (size_t)n * t->n_symbols * sizeof *p);
        if (!p)
            return NULL;
        for (size_t k = (size_t)t->n_owners * t->n_symbols; k < (size_t)n * t->n_symbols; k++)
            p[k] = NAN;
        t->entry_slip = p;
        t->n_owners = n;
    }
    return &t->entry_slip[(size_t)owner * t->n_symbols + sym];
}

static void utc(char *out, size_t cap, int64_t ms)
{
    /* Floor division (base/dates): before 1970 the milliseconds are negative. */
    int64_t day = gd_day_index(ms), in_day = ms - day * GD_DAY_MS, y;
    unsigned mo, d;
    gd_civil_from_days(day, &y, &mo, &d);
    snprintf(out, cap, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, mo, d, (int)(in_day / 3600000),
             (int)(in_day / 60000 % 60), (int)(in_day / 1000 % 60), (int)(in_day % 1000));
}

/* CSV text field: names are [a-z0-9_] and symbols [A-Z0-9], but quote anyway if needed. */
static int field(char *out, size_t cap, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return snprintf(out, cap, "%s", s);
    size_t k = 0;
    if (k < cap)
        out[k++] = '"';
    for (; *s && k + 3 < cap; s++) {
        if (*s == '"')
            out[k++] = '"';
        out[k++] = *s;
    }
    if (k + 1 < cap)
        out[k++] = '"';
    out[k < cap ? k : cap - 1] = '\0';
    return (int)k;
}

static void num(char *out, size_t cap, double v)
{
    if (isfinite(v))
        snprintf(out, cap, "%.17g", v);
    else
        out[0] = '\0';
}

void gd_trades_fill(gd_trades *t, uint32_t owner, const char *strategy, const char *symbol, const gordon_fill *f,
                    const gd_position *before, double ref)
{
    double *slip = slip_at(t, owner, f->symbol);
    double fslip = ref > 0.0 ? f->side * (f->price - ref) / ref * 1e4 : NAN;
    if (f->reason == GORDON_FILL_ENTRY) {
        if (slip && before->side == GORDON_SIDE_NONE)
            *slip = fslip;
        return;
    }
    if (before->side == GORDON_SIDE_NONE || !(before->qty > 0.0))
        return;
    double q = f->qty < before->qty ? f->qty : before->qty;
    double share = q / before->qty;
    double fees = f->fee + before->entry_fee * share;
    double pnl = before->side * q * (f->price - before->entry_price) - fees;
    double risk = before->init_risk * share;
    const char *why;
    switch (f->reason) {
    case GORDON_FILL_STOP:
        /* Filled beyond the stop by more than slippage: the bar opened past it. */
        why = before->stop > 0.0 && before->side * (f->price - before->stop) / before->stop * 1e4 < -t->gap_bps
                  ? "gap_through_stop"
                  : "stop";
        break;
    case GORDON_FILL_TAKE_PROFIT: why = "take_profit"; break;
    case GORDON_FILL_FLATTEN: why = "flatten"; break;
    default: why = "exit_signal"; break;
    }
    char s1[160], s2[64], et[40], xt[40], a[8][40];
    field(s1, sizeof s1, strategy ? strategy : "");
    field(s2, sizeof s2, symbol ? symbol : "");
    utc(et, sizeof et, before->opened_ms);
    utc(xt, sizeof xt, f->time_ms);
    num(a[0], sizeof a[0], q);
    num(a[1], sizeof a[1], before->entry_price);
    num(a[2], sizeof a[2], before->stop > 0.0 ? before->stop : NAN);
    num(a[3], sizeof a[3], slip ? *slip : NAN);
    num(a[4], sizeof a[4], f->price);
    num(a[5], sizeof a[5], fslip);
    num(a[6], sizeof a[6], fees);
    num(a[7], sizeof a[7], pnl);
    char r[40];
    num(r, sizeof r, risk > 0.0 ? pnl / risk : NAN);
    char row[TR_ROW];
    int n = snprintf(row, sizeof row, "%s,%s,%s,%s,%s,%lld,%s,%s,%s,%s,%lld,%s,%s,%s,%s,%s,%s,%llu\n", s1, s2,
                     before->side > 0 ? "long" : "short", a[0], et, (long long)before->opened_ms, a[1], a[2], a[3], xt,
                     (long long)f->time_ms, a[4], a[5], why, a[6], a[7], r, (unsigned long long)before->intent_id);
    if (n <= 0 || (size_t)n >= sizeof row)
        return; /* cannot happen with these bounds */
    if (t->fd < 0) {
        /* Memory mode (an ablation's run): grow; a failure loses the list, said by take. */
        if (t->failed)
            return;
        if (t->len + (size_t)n + 1 > t->cap) {
            size_t c = t->cap ? 2 * t->cap : 16384;
            while (c < t->len + (size_t)n + 1)
                c *= 2;
            char *p = realloc(t->buf, c);
            if (!p) {
                t->failed = 1;
                return;
            }
            t->buf = p;
            t->cap = c;
        }
    } else if (t->len + (size_t)n > TR_BUF) {
        gd_err err;
        if (gd_trades_flush(t, &err) != 0)
            return;
    }
    memcpy(t->buf + t->len, row, (size_t)n);
    t->len += (size_t)n;
}

int gd_trades_flush(gd_trades *t, gd_err *err)
{
    if (!t || !t->len || t->fd < 0)
        return 0;
    int rc = write_all(t, t->buf, t->len, err);
    if (rc && !t->failed) {
        t->failed = 1;
        gd_log(GD_LOG_ERROR, "trades", NULL, "%s", err->msg);
    }
    t->len = 0; /* written, or said: the next rows still go */
    return rc;
}

void gd_trades_close(gd_trades *t)
{
    if (!t)
        return;
    gd_err err;
    (void)gd_trades_flush(t, &err);
    if (t->fd >= 0)
        close(t->fd);
    free(t->entry_slip);
    free(t->buf);
    free(t->path);
    free(t);
}
