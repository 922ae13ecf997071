/* The bundled plugins, loaded as the host loads them (dlopen of the built
 * .so from $GD_PLUGIN_DIR) and driven through a fake host with hand-made
 * bars. Expected values are worked out by hand in the comments and, where a
 * series is long, by straightforward from-scratch reference computations. */
#include <dlfcn.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <gordon/sdk.h>

#include "fake_host.h"

#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)
#define T0 INT64_C(1704067200000) /* Monday 2024-01-01 00:00 UTC */
#define EPS 1e-9

/* ------------------------------------------------------------ loading */

enum { P_EMA, P_DON, P_TREND, P_VOL, P_SESSION, P_DD, P_N };
static const char *const plugin_names[P_N] = {"ema_cross",         "donchian_breakout",
                                              "trend_filter",      "volatility_filter",
                                              "session_filter",    "drawdown"};
static void *handles[P_N];
static const gordon_plugin *descs[P_N];

static int load_all(void **state)
{
    (void)state;
    return fh_load_plugins(plugin_names, P_N, handles, descs);
}

static int unload_all(void **state)
{
    (void)state;
    fh_unload_plugins(handles, P_N);
    return 0;
}

/* A host plus a created instance; fails the test on any error. */
static fh_host *make(int which, const char *const *params, uint32_t nsym)
{
    char err[256] = "";
    fh_host *h = fh_new(descs[which], params, nsym, err, sizeof err);
    if (!h)
        fail_msg("fh_new(%s): %s", plugin_names[which], err);
    if (fh_create_instance(h, err, sizeof err) != 0)
        fail_msg("create(%s): %s", plugin_names[which], err);
    return h;
}

/* Expects create to fail; returns the error text in err. */
static void expect_create_fails(int which, const char *const *params, char *err, size_t err_len)
{
    fh_host *h = fh_new(descs[which], params, 1, err, err_len);
    assert_non_null(h);
    assert_int_not_equal(fh_create_instance(h, err, err_len), 0);
    assert_true(strlen(err) > 0);
    fh_free(h);
}

static gordon_bar mkbar(int i, double o, double hi, double lo, double c)
{
    gordon_bar b;
    b.open_time_ms = T0 + (int64_t)i * HOUR_MS;
    b.close_time_ms = b.open_time_ms + HOUR_MS;
    b.open = o;
    b.high = hi;
    b.low = lo;
    b.close = c;
    b.volume = 1;
    return b;
}

static gordon_signal entry_sig(uint32_t sym, int side, double entry, double stop)
{
    gordon_signal s = GORDON_SIGNAL_INIT;
    s.symbol = sym;
    s.action = GORDON_ACTION_ENTRY;
    s.side = side;
    s.entry = entry;
    s.stop_loss = stop;
    return s;
}

static void assert_sig(const gordon_signal *s, int action, int side, double entry, double stop)
{
    assert_non_null(s);
    assert_int_equal(s->struct_size, sizeof *s);
    assert_int_equal(s->action, action);
    if (action == GORDON_ACTION_ENTRY) {
        assert_int_equal(s->side, side);
        assert_true(fabs(s->entry - entry) < EPS);
        assert_true(fabs(s->stop_loss - stop) < EPS);
        assert_true(s->risk_scale == 1.0);
        assert_true(side > 0 ? s->stop_loss < s->entry : s->stop_loss > s->entry);
    }
    assert_true(memchr(s->tag, '\0', sizeof s->tag) != NULL);
}

/* Round-trips a snapshot of a's instance into b's; returns restore's result. */
static int snap_into(fh_host *a, int which_a, fh_host *b, int which_b)
{
    size_t need = descs[which_a]->snapshot(fh_instance(a), NULL, 0), got;
    unsigned char *buf;
    int rc;
    assert_true(need > 0);
    buf = malloc(need);
    assert_non_null(buf);
    /* too small a buffer only reports the size */
    assert_int_equal(descs[which_a]->snapshot(fh_instance(a), buf, need - 1), need);
    got = descs[which_a]->snapshot(fh_instance(a), buf, need);
    assert_int_equal(got, need);
    rc = descs[which_b]->restore(fh_instance(b), buf, got);
    free(buf);
    return rc;
}

/* Refusals: truncated, corrupted magic. */
static void assert_bad_blobs_refused(fh_host *a, int which)
{
    size_t need = descs[which]->snapshot(fh_instance(a), NULL, 0);
    unsigned char *buf = malloc(need + 1);
    assert_non_null(buf);
    assert_int_equal(descs[which]->snapshot(fh_instance(a), buf, need + 1), need);
    assert_int_not_equal(descs[which]->restore(fh_instance(a), buf, need - 1), 0);
    assert_int_not_equal(descs[which]->restore(fh_instance(a), buf, need + 1), 0);
    assert_int_not_equal(descs[which]->restore(fh_instance(a), NULL, need), 0);
    buf[0] ^= 0x5a;
    assert_int_not_equal(descs[which]->restore(fh_instance(a), buf, need), 0);
    buf[0] ^= 0x5a;
    buf[4] ^= 0x01; /* version */
    assert_int_not_equal(descs[which]->restore(fh_instance(a), buf, need), 0);
    free(buf);
}

/* ---------------------------------------------------- reference indicators */

/* EMA(period) at index k from scratch: SMA seed, then alpha*x + (1-alpha)*e. */
static double ref_ema(const double *x, int k, int period)
{
    double e = 0, a = 2.0 / (period + 1);
    int j;
    if (k + 1 < period)
        return NAN;
    for (j = 0; j < period; j++)
        e += x[j];
    e /= period;
    for (j = period; j <= k; j++)
        e = a * x[j] + (1 - a) * e;
    return e;
}

static double ref_tr(const gordon_bar *b, int j)
{
    double tr = b[j].high - b[j].low;
    if (j > 0) {
        tr = fmax(tr, fabs(b[j].high - b[j - 1].close));
        tr = fmax(tr, fabs(b[j].low - b[j - 1].close));
    }
    return tr;
}

/* Wilder ATR(period) at index k from scratch. */
static double ref_atr(const gordon_bar *b, int k, int period)
{
    double a = 0;
    int j;
    if (k + 1 < period)
        return NAN;
    for (j = 0; j < period; j++)
        a += ref_tr(b, j);
    a /= period;
    for (j = period; j <= k; j++)
        a = (a * (period - 1) + ref_tr(b, j)) / period;
    return a;
}

/* ------------------------------------------------------------ descriptors */

static void test_descriptors(void **state)
{
    static const int kinds[P_N] = {GORDON_KIND_STRATEGY, GORDON_KIND_STRATEGY, GORDON_KIND_OVERLAY,
                                   GORDON_KIND_OVERLAY,  GORDON_KIND_OVERLAY,  GORDON_KIND_BREAKER};
    static const uint32_t warmup[P_N] = {27, 21, 200, 513, 0, 0};
    static const uint32_t nparams[P_N] = {5, 5, 1, 5, 3, 2};
    int i;
    uint32_t j;
    (void)state;
    for (i = 0; i < P_N; i++) {
        const gordon_plugin *d = descs[i];
        assert_int_equal(d->magic, GORDON_PLUGIN_MAGIC);
        assert_int_equal(d->struct_size, sizeof(gordon_plugin));
        assert_int_equal(d->abi_major, GORDON_SDK_ABI_MAJOR);
        assert_int_equal(d->abi_minor, GORDON_SDK_ABI_MINOR);
        assert_int_equal(d->param_size, sizeof(gordon_param));
        assert_int_equal(d->kind, kinds[i]);
        assert_string_equal(d->name, plugin_names[i]);
        assert_non_null(d->version);
        assert_non_null(d->description);
        assert_int_equal(d->warmup_bars, warmup[i]);
        assert_true(d->warmup_bars <= GORDON_WARMUP_BARS_MAX);
        /* warm-up depends on parameters exactly where there are periods */
        assert_true((d->warmup != NULL) == (i == P_EMA || i == P_DON || i == P_TREND || i == P_VOL));
        assert_int_equal(d->n_params, nparams[i]);
        assert_non_null(d->create);
        assert_non_null(d->destroy);
        /* on_bar where there is history to keep: the host dispatches every
         * on_bar on every bar, so an empty one is a cost for nothing. */
        assert_true((d->on_bar != NULL) == (i != P_SESSION && i != P_DD));
        if (d->kind == GORDON_KIND_OVERLAY)
            assert_non_null(d->filter);
        if (d->kind == GORDON_KIND_BREAKER)
            assert_non_null(d->evaluate);
        assert_true((d->snapshot == NULL) == (d->restore == NULL));
        for (j = 0; j < d->n_params; j++) {
            const gordon_param *p = &d->params[j];
            assert_non_null(p->name);
            assert_non_null(p->help);
            if (p->type == GORDON_PARAM_INT || p->type == GORDON_PARAM_DOUBLE) {
                assert_true(p->min <= p->def && p->def <= p->max);
                if (p->tunable)
                    assert_true(p->step > 0);
            }
        }
        /* every plugin can be created with its defaults */
        fh_free(make(i, NULL, 3));
    }
}

/* ------------------------------------------------------------ ema_cross */

/* closes 100, 99, ..., 91 (bars 0..9), then 92, 93, ... up; high = close + 1,
 * low = close - 1. Every true range is exactly 2 (moves of +-1), so ATR == 2
 * from its first value on. With fast=3 (alpha 1/2), slow=5 (alpha 1/3):
 *   bar  9: fast 92,     slow 93
 *   bar 10: close 92: fast 92,     slow 92.667  (below)
 *   bar 11: close 93: fast 92.5,   slow 92.778  (below)
 *   bar 12: close 94: fast 93.25,  slow 93.185  (above: cross up)
 * so ENTRY long at bar 12, entry 94, stop 94 - 2 * 2 = 90. After closes up to
 * 101 (bar 19) the series turns down 100, 99, 98: the symmetric cross down
 * happens at bar 22 (close 98), short stop 98 + 4 = 102. */
#define V_N 30
static void v_series(gordon_bar *b, double *closes)
{
    int i;
    for (i = 0; i < V_N; i++) {
        double c = i <= 9 ? 100 - i : i <= 19 ? 91 + (i - 9) : 101 - (i - 19);
        closes[i] = c;
        b[i] = mkbar(i, i ? closes[i - 1] : c, c + 1, c - 1, c);
    }
}

static const char *const ema_params[] = {"fast=3", "slow=5", "atr_period=4", "atr_mult=2", NULL};

/* Independent check of the worked example: the reference crosses and ATR. */
static void test_ema_cross_reference_matches_hand(void **state)
{
    gordon_bar b[V_N];
    double c[V_N];
    int i, prev = 0, crosses[4], n = 0;
    (void)state;
    v_series(b, c);
    for (i = 4; i < V_N; i++) {
        double d = ref_ema(c, i, 3) - ref_ema(c, i, 5);
        int s = d > 0 ? 1 : d < 0 ? -1 : 0;
        if (s && prev && s != prev && n < 4)
            crosses[n++] = i * s;
        if (s)
            prev = s;
        assert_true(fabs(ref_atr(b, i, 4) - 2.0) < 1e-12);
    }
    assert_int_equal(n, 2);
    assert_int_equal(crosses[0], 12);
    assert_int_equal(crosses[1], -22);
    assert_true(fabs(ref_ema(c, 12, 3) - 93.25) < 1e-12);
    assert_true(fabs(ref_ema(c, 12, 5) - 93.185185185185) < 1e-9);
}

static void test_ema_cross_entry_long(void **state)
{
    gordon_bar b[V_N];
    double c[V_N];
    fh_host *h = make(P_EMA, ema_params, 2);
    int i;
    (void)state;
    v_series(b, c);
    for (i = 0; i <= 12; i++) {
        fh_bar(h, 1, &b[i]);
        if (i < 12)
            assert_int_equal(fh_signal_count(h), 0);
    }
    assert_int_equal(fh_signal_count(h), 1);
    assert_sig(fh_signal(h, 0), GORDON_ACTION_ENTRY, GORDON_SIDE_LONG, 94, 90);
    assert_int_equal(fh_signal(h, 0)->symbol, 1);
    assert_true(fh_signal(h, 0)->take_profit == 0);
    /* flat at the cross down (the test does not fill the order), shorts allowed */
    fh_clear_signals(h);
    for (i = 13; i < V_N; i++) {
        fh_bar(h, 1, &b[i]);
        if (i < 22)
            assert_int_equal(fh_signal_count(h), 0);
        if (i == 22) {
            assert_int_equal(fh_signal_count(h), 1);
            assert_sig(fh_signal(h, 0), GORDON_ACTION_ENTRY, GORDON_SIDE_SHORT, 98, 102);
        }
    }
    assert_int_equal(fh_signal_count(h), 1);
    fh_free(h);
}

static void test_ema_cross_reversal(void **state)
{
    gordon_bar b[V_N];
    double c[V_N];
    fh_host *h = make(P_EMA, ema_params, 1);
    int i;
    (void)state;
    v_series(b, c);
    fh_set_position(h, 0, GORDON_SIDE_SHORT, 1, 99, 0);
    for (i = 0; i <= 12; i++)
        fh_bar(h, 0, &b[i]);
    assert_int_equal(fh_signal_count(h), 2);
    assert_sig(fh_signal(h, 0), GORDON_ACTION_EXIT, 0, 0, 0);
    assert_sig(fh_signal(h, 1), GORDON_ACTION_ENTRY, GORDON_SIDE_LONG, 94, 90);
    fh_clear_signals(h);
    fh_set_position(h, 0, GORDON_SIDE_LONG, 1, 94.5, 0);
    for (i = 13; i <= 22; i++)
        fh_bar(h, 0, &b[i]);
    assert_int_equal(fh_signal_count(h), 2);
    assert_sig(fh_signal(h, 0), GORDON_ACTION_EXIT, 0, 0, 0);
    assert_sig(fh_signal(h, 1), GORDON_ACTION_ENTRY, GORDON_SIDE_SHORT, 98, 102);
    fh_free(h);
}

static void test_ema_cross_no_short(void **state)
{
    static const char *const p[] = {"fast=3",       "slow=5",           "atr_period=4",
                                    "atr_mult=2",   "allow_short=false", NULL};
    gordon_bar b[V_N];
    double c[V_N];
    fh_host *h = make(P_EMA, p, 1), *flat = make(P_EMA, p, 1);
    int i;
    (void)state;
    v_series(b, c);
    for (i = 0; i < V_N; i++) {
        if (i == 13)
            fh_set_position(h, 0, GORDON_SIDE_LONG, 1, 94.5, 0);
        fh_bar(h, 0, &b[i]);
        fh_bar(flat, 0, &b[i]); /* never filled: flat at the cross down */
    }
    /* long entry at 12, then only the exit at 22 */
    assert_int_equal(fh_signal_count(h), 2);
    assert_sig(fh_signal(h, 0), GORDON_ACTION_ENTRY, GORDON_SIDE_LONG, 94, 90);
    assert_sig(fh_signal(h, 1), GORDON_ACTION_EXIT, 0, 0, 0);
    /* flat at 22 without shorts: nothing */
    assert_int_equal(fh_signal_count(flat), 1);
    assert_sig(fh_signal(flat, 0), GORDON_ACTION_ENTRY, GORDON_SIDE_LONG, 94, 90);
    fh_free(flat);
    fh_free(h);
}

static void test_ema_cross_already_long_no_entry(void **state)
{
    gordon_bar b[V_N];
    double c[V_N];
    fh_host *h = make(P_EMA, ema_params, 1);
    int i;
    (void)state;
    v_series(b, c);
    fh_set_position(h, 0, GORDON_SIDE_LONG, 1, 90, 0);
    for (i = 0; i <= 12; i++)
        fh_bar(h, 0, &b[i]);
    assert_int_equal(fh_signal_count(h), 0);
    fh_free(h);
}

/* A cross before the ATR exists is dropped: with atr_period=15 the ATR
 * appears at bar 14, after the cross up at 12; the cross down at 22 counts. */
static void test_ema_cross_nothing_before_warmup(void **state)
{
    static const char *const p[] = {"fast=3", "slow=5", "atr_period=15", "atr_mult=2", NULL};
    gordon_bar b[V_N];
    double c[V_N];
    fh_host *h = make(P_EMA, p, 1);
    int i;
    (void)state;
    v_series(b, c);
    for (i = 0; i < V_N; i++) {
        fh_bar(h, 0, &b[i]);
        assert_int_equal(fh_signal_count(h), i < 22 ? 0 : 1);
    }
    assert_sig(fh_signal(h, 0), GORDON_ACTION_ENTRY, GORDON_SIDE_SHORT, 98, 102);
    fh_free(h);
}

/* The earliest possible signal is on bar slow + 1 (index 5 for slow=5):
 * closes 104..100 put fast (101) under slow (102) at bar 4; a jump to 110
 * crosses at bar 5. TR of bar 5 = 111 - 100 = 11, so ATR(4) there is
 * (2 * 3 + 11) / 4 = 4.25 and the stop 110 - 2 * 4.25 = 101.5. */
static void test_ema_cross_first_possible_bar(void **state)
{
    gordon_bar b[6];
    fh_host *h = make(P_EMA, ema_params, 1);
    int i;
    (void)state;
    for (i = 0; i < 5; i++)
        b[i] = mkbar(i, 104 - i, 105 - i, 103 - i, 104 - i);
    b[5] = mkbar(5, 100, 111, 109, 110);
    for (i = 0; i < 6; i++)
        fh_bar(h, 0, &b[i]);
    assert_int_equal(fh_signal_count(h), 1);
    assert_sig(fh_signal(h, 0), GORDON_ACTION_ENTRY, GORDON_SIDE_LONG, 110, 101.5);
    fh_free(h);
}

static void test_ema_cross_params(void **state)
{
    static const char *const eq[] = {"fast=10", "slow=10", NULL};
    static const char *const gt[] = {"fast=30", NULL};
    char err[256];
    (void)state;
    expect_create_fails(P_EMA, eq, err, sizeof err);
    assert_non_null(strstr(err, "fast"));
    assert_non_null(strstr(err, "slow"));
    expect_create_fails(P_EMA, gt, err, sizeof err);
    assert_non_null(strstr(err, "fast"));
}

/* Random walk for longer comparisons (deterministic LCG). */
static uint64_t lcg_state;
static double lcg_unit(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg_state >> 11) / 9007199254740992.0;
}

static void random_bars(gordon_bar *b, int n, uint64_t seed)
{
    double c = 100;
    int i;
    lcg_state = seed;
    for (i = 0; i < n; i++) {
        double o = c, drift = (i / 60) % 2 ? -0.15 : 0.15;
        double hi, lo;
        c = o + drift + (lcg_unit() - 0.5) * 3;
        hi = fmax(o, c) + lcg_unit() * 1.5;
        lo = fmin(o, c) - lcg_unit() * 1.5;
        b[i] = mkbar(i, o, hi, lo, c);
    }
}

/* Applies a bar's signals to the host's position, as an instant fill. */
static void apply_fills(fh_host *h, uint32_t sym, size_t from, int *side)
{
    size_t i;
    for (i = from; i < fh_signal_count(h); i++) {
        const gordon_signal *s = fh_signal(h, i);
        if (s->action == GORDON_ACTION_EXIT)
            *side = 0;
        else if (*side == 0)
            *side = s->side;
    }
    fh_set_position(h, sym, *side, 1, 100, 0);
}

static void assert_same_signals(const fh_host *a, size_t a_from, const fh_host *b, size_t b_from,
                                size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const gordon_signal *x = fh_signal(a, a_from + i), *y = fh_signal(b, b_from + i);
        assert_non_null(x);
        assert_non_null(y);
        assert_int_equal(x->action, y->action);
        assert_int_equal(x->side, y->side);
        assert_int_equal(x->symbol, y->symbol);
        assert_true(x->entry == y->entry);
        assert_true(x->stop_loss == y->stop_loss);
    }
}

/* Against the reference over a long random walk, with fills applied. */
static void test_ema_cross_random_walk(void **state)
{
    static const char *const p[] = {"fast=5", "slow=13", "atr_period=7", "atr_mult=1.5", NULL};
    enum { N = 600 };
    static gordon_bar b[N];
    static double c[N];
    fh_host *h = make(P_EMA, p, 1);
    int i, side = 0, prev = 0, crosses = 0;
    (void)state;
    random_bars(b, N, 42);
    for (i = 0; i < N; i++)
        c[i] = b[i].close;
    for (i = 0; i < N; i++) {
        size_t before = fh_signal_count(h);
        int s = 0, exp_side = side;
        fh_bar(h, 0, &b[i]);
        if (i >= 12) {
            double d = ref_ema(c, i, 5) - ref_ema(c, i, 13);
            s = d > 0 ? 1 : d < 0 ? -1 : 0;
        }
        if (s && prev && s != prev) {
            double stop = c[i] - s * 1.5 * ref_atr(b, i, 7);
            size_t k = before;
            crosses++;
            if (side == -s)
                assert_sig(fh_signal(h, k++), GORDON_ACTION_EXIT, 0, 0, 0);
            if (side != s)
                assert_sig(fh_signal(h, k++), GORDON_ACTION_ENTRY, s, c[i], stop);
            exp_side = s;
            assert_int_equal(fh_signal_count(h), k);
        } else {
            assert_int_equal(fh_signal_count(h), before);
        }
        if (s)
            prev = s;
        apply_fills(h, 0, before, &side);
        assert_int_equal(side, exp_side);
    }
    assert_true(crosses >= 6);
    fh_free(h);
}

static void test_ema_cross_snapshot(void **state)
{
    static const char *const p[] = {"fast=5", "slow=13", "atr_period=7", "atr_mult=1.5", NULL};
    static const char *const p2[] = {"fast=5", "slow=14", "atr_period=7", NULL};
    enum { N = 400, CUT = 170 };
    static gordon_bar b[N];
    fh_host *full = make(P_EMA, p, 2), *first = make(P_EMA, p, 2), *second = make(P_EMA, p, 2);
    fh_host *other_n = make(P_EMA, p, 3), *other_p = make(P_EMA, p2, 2);
    int i;
    (void)state;
    random_bars(b, N, 7);
    for (i = 0; i < N; i++) {
        fh_bar(full, 1, &b[i]);
        fh_bar(i < CUT ? first : second, 1, &b[i]);
        if (i == CUT - 1)
            assert_int_equal(snap_into(first, P_EMA, second, P_EMA), 0);
    }
    assert_true(fh_signal_count(full) > 2);
    assert_int_equal(fh_signal_count(first) + fh_signal_count(second), fh_signal_count(full));
    assert_same_signals(full, 0, first, 0, fh_signal_count(first));
    assert_same_signals(full, fh_signal_count(first), second, 0, fh_signal_count(second));
    /* header mismatches: symbol count, periods; another plugin's blob */
    assert_int_not_equal(snap_into(full, P_EMA, other_n, P_EMA), 0);
    assert_int_not_equal(snap_into(full, P_EMA, other_p, P_EMA), 0);
    assert_bad_blobs_refused(full, P_EMA);
    fh_free(full);
    fh_free(first);
    fh_free(second);
    fh_free(other_n);
    fh_free(other_p);
}

/* ---------------------------------------------------- donchian_breakout */

static const char *const don_params[] = {"entry_period=5", "exit_period=3", "atr_period=3",
                                         "atr_mult=2", NULL};

/* Highs 10 11 12 11 10 (bars 0-4). Bar 5 closes at exactly 12 = HH(5): no
 * breakout. Bar 6 closes 12.5 > HH(5) of bars 1-5 = 12: ENTRY long. */
static void test_donchian_breakout_strict(void **state)
{
    static const double hi[] = {10, 11, 12, 11, 10, 12, 12.6};
    static const double lo[] = {9, 10, 11, 10, 9, 11, 11.9};
    static const double cl[] = {9.5, 10.5, 11.5, 10.5, 9.5, 12, 12.5};
    gordon_bar b[7];
    fh_host *h = make(P_DON, don_params, 1);
    double atr;
    int i;
    (void)state;
    for (i = 0; i < 7; i++) {
        b[i] = mkbar(i, i ? cl[i - 1] : cl[0], hi[i], lo[i], cl[i]);
        fh_bar(h, 0, &b[i]);
        assert_int_equal(fh_signal_count(h), i < 6 ? 0 : 1);
    }
    /* TRs: 1, 1.5 (11 - 9.5), 1.5 (12 - 10.5) -> ATR 4/3 at bar 2; bar 3: TR 1.5
     * (11.5 - 10), bar 4: 1.5, bar 5: 2.5 (12 - 9.5), bar 6: 0.7 */
    atr = 4.0 / 3;
    atr = (atr * 2 + 1.5) / 3;
    atr = (atr * 2 + 1.5) / 3;
    atr = (atr * 2 + 2.5) / 3;
    atr = (atr * 2 + 0.7) / 3;
    assert_true(fabs(atr - ref_atr(b, 6, 3)) < 1e-12);
    assert_sig(fh_signal(h, 0), GORDON_ACTION_ENTRY, GORDON_SIDE_LONG, 12.5, 12.5 - 2 * atr);
    fh_free(h);
}

/* The 20 at bar 0 leaves the 5-bar window at bar 6: 11 breaks out there. */
static void test_donchian_window_slides(void **state)
{
    fh_host *h = make(P_DON, don_params, 1);
    gordon_bar b;
    int i;
    (void)state;
    for (i = 0; i < 6; i++) {
        b = mkbar(i, 9.5, i == 0 ? 20 : 10, 9, 9.5);
        fh_bar(h, 0, &b);
    }
    b = mkbar(6, 9.5, 11.2, 9.4, 11);
    fh_bar(h, 0, &b);
    assert_int_equal(fh_signal_count(h), 1);
    assert_int_equal(fh_signal(h, 0)->side, GORDON_SIDE_LONG);
    fh_free(h);
}

/* Exit channel: a long exits when the close is below LL(3), not on equality. */
static void test_donchian_exit(void **state)
{
    static const double hi[] = {10, 11, 12, 11, 10, 12, 12.6, 13, 13.2, 13.1, 12.7, 12.3};
    static const double lo[] = {9, 10, 11, 10, 9, 11, 11.9, 12.2, 12.5, 12.4, 12.0, 11.8};
    static const double cl[] = {9.5, 10.5, 11.5, 10.5, 9.5, 12, 12.5, 12.8, 13, 12.6, 12.2, 11.99};
    fh_host *h = make(P_DON, don_params, 1);
    int i;
    (void)state;
    for (i = 0; i < 12; i++) {
        gordon_bar b = mkbar(i, i ? cl[i - 1] : cl[0], hi[i], lo[i], cl[i]);
        fh_bar(h, 0, &b);
        if (i == 6) {
            assert_int_equal(fh_signal_count(h), 1);
            fh_set_position(h, 0, GORDON_SIDE_LONG, 1, 12.5, 0);
            fh_clear_signals(h);
        } else if (i < 11) {
            /* bar 7 breaks out again (12.8 > 12.6) but we are long; bar 10
             * closes at LL(3) = 12.2 exactly: no exit */
            assert_int_equal(fh_signal_count(h), 0);
        }
    }
    /* bar 11: 11.99 < LL(3) of bars 8-10 = 12.0 -> exit; not < LL(5) = 11.9 */
    assert_int_equal(fh_signal_count(h), 1);
    assert_sig(fh_signal(h, 0), GORDON_ACTION_EXIT, 0, 0, 0);
    fh_free(h);
}

static void test_donchian_short(void **state)
{
    static const char *const noshort[] = {"entry_period=5", "exit_period=3", "atr_period=3",
                                          "atr_mult=2", "allow_short=0", NULL};
    fh_host *h = make(P_DON, don_params, 1), *ns = make(P_DON, noshort, 1);
    gordon_bar b[7];
    int i;
    (void)state;
    for (i = 0; i < 6; i++)
        b[i] = mkbar(i, 10, 10.5, 9.5, 10);
    b[6] = mkbar(6, 10, 10, 9.5, 9.5); /* equal to LL(5) = 9.5: nothing */
    for (i = 0; i < 7; i++) {
        fh_bar(h, 0, &b[i]);
        fh_bar(ns, 0, &b[i]);
    }
    assert_int_equal(fh_signal_count(h), 0);
    b[0] = mkbar(7, 9.5, 9.6, 9.0, 9.1); /* TR 0.6 (high - low; previous close 9.5) */
    fh_bar(h, 0, &b[0]);
    fh_bar(ns, 0, &b[0]);
    assert_int_equal(fh_signal_count(ns), 0);
    assert_int_equal(fh_signal_count(h), 1);
    /* ATR(3): 1, 1, 1 -> 1; bar 6 TR 0.5 -> 5/6; bar 7 TR 0.6 -> (5/3 + 0.6) / 3 */
    assert_sig(fh_signal(h, 0), GORDON_ACTION_ENTRY, GORDON_SIDE_SHORT, 9.1,
               9.1 + 2 * ((5.0 / 3 + 0.6) / 3));
    fh_free(h);
    fh_free(ns);
}

/* Reference decision for one bar, scanning the windows. */
static void don_ref(const gordon_bar *b, int i, int entry, int exitp, int atrp, double mult,
                    int side, gordon_signal *out, int *n)
{
    double hi_e = -INFINITY, lo_e = INFINITY, hi_x = -INFINITY, lo_x = INFINITY, c = b[i].close;
    int e_ok = i >= entry, x_ok = i >= exitp, j;
    *n = 0;
    for (j = i - entry; e_ok && j < i; j++) {
        hi_e = fmax(hi_e, b[j].high);
        lo_e = fmin(lo_e, b[j].low);
    }
    for (j = i - exitp; x_ok && j < i; j++) {
        hi_x = fmax(hi_x, b[j].high);
        lo_x = fmin(lo_x, b[j].low);
    }
    if (side == 1 && ((x_ok && c < lo_x) || (e_ok && c < lo_e))) {
        out[(*n)++].action = GORDON_ACTION_EXIT;
        side = 0;
    } else if (side == -1 && ((x_ok && c > hi_x) || (e_ok && c > hi_e))) {
        out[(*n)++].action = GORDON_ACTION_EXIT;
        side = 0;
    }
    if (e_ok && i + 1 >= atrp) {
        double a = ref_atr(b, i, atrp) * mult;
        if (c > hi_e && side != 1)
            out[(*n)++] = entry_sig(0, 1, c, c - a);
        else if (c < lo_e && side != -1)
            out[(*n)++] = entry_sig(0, -1, c, c + a);
    }
}

static void test_donchian_random_walk(void **state)
{
    static const char *const p[] = {"entry_period=7", "exit_period=4", "atr_period=5",
                                    "atr_mult=1.5", NULL};
    enum { N = 800 };
    static gordon_bar b[N];
    fh_host *h = make(P_DON, p, 1);
    int i, side = 0, entries = 0, exits = 0;
    (void)state;
    random_bars(b, N, 1234);
    for (i = 0; i < N; i++) {
        gordon_signal exp[3];
        int n, k;
        size_t before = fh_signal_count(h);
        don_ref(b, i, 7, 4, 5, 1.5, side, exp, &n);
        fh_bar(h, 0, &b[i]);
        assert_int_equal(fh_signal_count(h) - before, n);
        for (k = 0; k < n; k++) {
            assert_sig(fh_signal(h, before + k), exp[k].action, exp[k].side, exp[k].entry,
                       exp[k].stop_loss);
            if (exp[k].action == GORDON_ACTION_EXIT)
                exits++;
            else
                entries++;
        }
        apply_fills(h, 0, before, &side);
    }
    assert_true(entries >= 10);
    assert_true(exits >= 10);
    fh_free(h);
}

static void test_donchian_snapshot(void **state)
{
    static const char *const p[] = {"entry_period=7", "exit_period=4", "atr_period=5",
                                    "atr_mult=1.5", NULL};
    static const char *const p2[] = {"entry_period=8", "exit_period=4", "atr_period=5", NULL};
    enum { N = 500, CUT = 233 };
    static gordon_bar b[N];
    fh_host *full = make(P_DON, p, 1), *first = make(P_DON, p, 1), *second = make(P_DON, p, 1);
    fh_host *other = make(P_DON, p2, 1);
    int i, side_full = 0, side_split = 0;
    (void)state;
    random_bars(b, N, 99);
    for (i = 0; i < N; i++) {
        fh_host *part = i < CUT ? first : second;
        size_t b_full = fh_signal_count(full), b_part = fh_signal_count(part);
        fh_bar(full, 0, &b[i]);
        fh_bar(part, 0, &b[i]);
        apply_fills(full, 0, b_full, &side_full);
        apply_fills(part, 0, b_part, &side_split);
        if (i == CUT - 1) {
            assert_int_equal(snap_into(first, P_DON, second, P_DON), 0);
            fh_set_position(second, 0, side_split, 1, 100, 0);
        }
    }
    assert_true(fh_signal_count(second) > 4);
    assert_int_equal(fh_signal_count(first) + fh_signal_count(second), fh_signal_count(full));
    assert_same_signals(full, 0, first, 0, fh_signal_count(first));
    assert_same_signals(full, fh_signal_count(first), second, 0, fh_signal_count(second));
    assert_int_not_equal(snap_into(full, P_DON, other, P_DON), 0);
    assert_bad_blobs_refused(full, P_DON);
    fh_free(full);
    fh_free(first);
    fh_free(second);
    fh_free(other);
}

/* ------------------------------------------------------------ trend_filter */

static int run_filter(int which, fh_host *h, const gordon_signal *in, gordon_signal *out,
                      char *reason, size_t reason_len)
{
    *out = *in;
    reason[0] = '\0';
    return descs[which]->filter(fh_instance(h), in, out, reason, reason_len);
}

static void feed_close(fh_host *h, uint32_t sym, int i, double c)
{
    gordon_bar b = mkbar(i, c, c + 1, c - 1, c);
    fh_bar(h, sym, &b);
}

/* period 5: closes 1..5 seed the EMA at 3; close 10 -> 3 + (10 - 3) / 3 =
 * 5.333; close 1 -> 5.333 + (1 - 5.333) / 3 = 3.889. */
static void test_trend_filter(void **state)
{
    static const char *const p[] = {"period=5", NULL};
    fh_host *h = make(P_TREND, p, 2);
    gordon_signal lg = entry_sig(0, GORDON_SIDE_LONG, 10, 9), sh = entry_sig(0, GORDON_SIDE_SHORT, 10, 11);
    gordon_signal ex = GORDON_SIGNAL_INIT, out;
    char reason[128];
    int i;
    (void)state;
    ex.action = GORDON_ACTION_EXIT;
    for (i = 1; i <= 4; i++) {
        feed_close(h, 0, i, i);
        assert_int_equal(run_filter(P_TREND, h, &lg, &out, reason, sizeof reason), GORDON_FILTER_VETO);
        assert_string_equal(reason, "trend not established");
        assert_int_equal(run_filter(P_TREND, h, &ex, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    }
    feed_close(h, 0, 5, 5); /* EMA 3, close 5: long ok, short vetoed */
    assert_int_equal(run_filter(P_TREND, h, &lg, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    assert_int_equal(run_filter(P_TREND, h, &sh, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_non_null(strstr(reason, "EMA(5) 3"));
    feed_close(h, 0, 6, 10);
    assert_int_equal(run_filter(P_TREND, h, &lg, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    assert_int_equal(run_filter(P_TREND, h, &sh, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_non_null(strstr(reason, "5.33333"));
    feed_close(h, 0, 7, 1);
    assert_int_equal(run_filter(P_TREND, h, &lg, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_non_null(strstr(reason, "close 1 < EMA(5) 3.88889"));
    assert_int_equal(run_filter(P_TREND, h, &sh, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    assert_int_equal(run_filter(P_TREND, h, &ex, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    /* symbol 1 saw no bars; symbol 7 does not exist */
    lg.symbol = 1;
    assert_int_equal(run_filter(P_TREND, h, &lg, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    lg.symbol = 7;
    assert_int_equal(run_filter(P_TREND, h, &lg, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    fh_free(h);
}

/* Edges: a close equal to the EMA passes both ways; just below vetoes longs.
 * period 2: closes 10, 10 -> EMA 10; close 10 -> 10; close 9.99 -> EMA
 * 10 + (2/3)(9.99 - 10) = 9.99333, above the close. */
static void test_trend_filter_edges(void **state)
{
    static const char *const p[] = {"period=2", NULL};
    fh_host *h = make(P_TREND, p, 1);
    gordon_signal lg = entry_sig(0, GORDON_SIDE_LONG, 10, 9), sh = entry_sig(0, GORDON_SIDE_SHORT, 10, 11);
    gordon_signal none = entry_sig(0, GORDON_SIDE_NONE, 10, 9), out;
    char reason[128];
    (void)state;
    feed_close(h, 0, 0, 10);
    assert_int_equal(run_filter(P_TREND, h, &lg, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    feed_close(h, 0, 1, 10);
    feed_close(h, 0, 2, 10);
    assert_int_equal(run_filter(P_TREND, h, &lg, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    assert_int_equal(run_filter(P_TREND, h, &sh, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    assert_int_equal(run_filter(P_TREND, h, &none, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    feed_close(h, 0, 3, 9.99);
    assert_int_equal(run_filter(P_TREND, h, &lg, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "close 9.99 < EMA(2) 9.99333");
    assert_int_equal(run_filter(P_TREND, h, &sh, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    fh_free(h);
}

static void test_trend_filter_snapshot(void **state)
{
    static const char *const p[] = {"period=5", NULL};
    fh_host *a = make(P_TREND, p, 1), *b = make(P_TREND, p, 1), *c = make(P_TREND, p, 2);
    gordon_signal lg = entry_sig(0, GORDON_SIDE_LONG, 10, 9), out;
    char reason[128];
    int i;
    (void)state;
    for (i = 1; i <= 6; i++)
        feed_close(a, 0, i, i);
    assert_int_equal(snap_into(a, P_TREND, b, P_TREND), 0);
    assert_int_equal(run_filter(P_TREND, b, &lg, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    feed_close(a, 0, 7, 1);
    feed_close(b, 0, 7, 1);
    assert_int_equal(run_filter(P_TREND, a, &lg, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_int_equal(run_filter(P_TREND, b, &lg, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_int_not_equal(snap_into(a, P_TREND, c, P_TREND), 0);
    assert_bad_blobs_refused(a, P_TREND);
    fh_free(a);
    fh_free(b);
    fh_free(c);
}

/* ------------------------------------------------------ volatility_filter */

static const char *const vol_params[] = {"atr_period=2", "lookback=20", "min_pct=10",
                                         "max_pct=90", "reduce_above_pct=75", NULL};

/* Feeds bars that make ATR(2) take exactly the given values (close fixed at
 * 100, so ATR% == ATR): the first value needs two bars of that range, each
 * later value v needs a true range of 2v - previous. */
typedef struct vol_feed {
    int bar;
    double prev;
} vol_feed;

static void vol_push(fh_host *h, vol_feed *f, double v)
{
    double tr = f->bar == 0 ? v : 2 * v - f->prev;
    gordon_bar b;
    assert_true(tr >= 0);
    if (f->bar == 0) {
        b = mkbar(f->bar++, 100, 100 + tr / 2, 100 - tr / 2, 100);
        fh_bar(h, 0, &b);
    }
    b = mkbar(f->bar++, 100, 100 + tr / 2, 100 - tr / 2, 100);
    fh_bar(h, 0, &b);
    f->prev = v;
}

/* A ring of 1.00 .. 1.19 with `last` pushed last; returns the filter result. */
static int vol_case(double last, double risk_in, gordon_signal *out, char *reason, size_t len)
{
    fh_host *h = make(P_VOL, vol_params, 1);
    gordon_signal in = entry_sig(0, GORDON_SIDE_LONG, 100, 95);
    vol_feed f = {0, 0};
    int k, rc;
    for (k = 0; k < 20; k++) {
        double v = 1.0 + 0.01 * k;
        if (fabs(v - last) > 1e-9)
            vol_push(h, &f, v);
    }
    vol_push(h, &f, last);
    in.risk_scale = risk_in;
    rc = run_filter(P_VOL, h, &in, out, reason, len);
    if (rc == GORDON_FILTER_TIGHTEN) {
        assert_true(out->stop_loss == in.stop_loss);
        assert_true(out->entry == in.entry);
        assert_int_equal(out->side, in.side);
        assert_true(out->take_profit == in.take_profit);
    }
    fh_free(h);
    return rc;
}

static void test_volatility_filter_percentiles(void **state)
{
    gordon_signal out;
    char reason[128];
    (void)state;
    /* highest of 20 distinct: (19 + 0.5) / 20 = 97.5% */
    assert_int_equal(vol_case(1.19, 1, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "ATR percentile 97.5 > 90");
    /* 1.18: 92.5% */
    assert_int_equal(vol_case(1.18, 1, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "ATR percentile 92.5 > 90");
    /* lowest: 2.5% */
    assert_int_equal(vol_case(1.00, 1, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "ATR percentile 2.5 < 10");
    /* 1.02: 12.5%, inside and not high: keep */
    assert_int_equal(vol_case(1.02, 1, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    /* 1.16: 82.5% -> tighten, risk halved, stop unchanged */
    assert_int_equal(vol_case(1.16, 0.8, &out, reason, sizeof reason), GORDON_FILTER_TIGHTEN);
    assert_true(fabs(out.risk_scale - 0.4) < 1e-15);
    assert_non_null(strstr(reason, "82.5"));
    /* 1.15: 77.5% -> tighten; 1.14: 72.5% -> keep */
    assert_int_equal(vol_case(1.15, 1, &out, reason, sizeof reason), GORDON_FILTER_TIGHTEN);
    assert_true(out.risk_scale == 0.5);
    assert_int_equal(vol_case(1.14, 1, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
}

static void test_volatility_filter_warmup_and_roll(void **state)
{
    fh_host *h = make(P_VOL, vol_params, 1);
    gordon_signal in = entry_sig(0, GORDON_SIDE_LONG, 100, 95), ex = GORDON_SIGNAL_INIT, out;
    vol_feed f = {0, 0};
    char reason[128];
    int k;
    (void)state;
    ex.action = GORDON_ACTION_EXIT;
    assert_int_equal(run_filter(P_VOL, h, &in, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "volatility history 0/20");
    for (k = 0; k < 19; k++)
        vol_push(h, &f, 1.0 + 0.01 * k);
    assert_int_equal(run_filter(P_VOL, h, &in, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "volatility history 19/20");
    assert_int_equal(run_filter(P_VOL, h, &ex, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    vol_push(h, &f, 1.19); /* full: 1.19 is the highest */
    assert_int_equal(run_filter(P_VOL, h, &in, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "ATR percentile 97.5 > 90");
    /* 20 more values 2.01 .. 2.19 then 2.00: the 1.xx have left the ring, so
     * 2.00 is now the lowest (2.5%), not the 21st of 40 */
    for (k = 1; k < 20; k++)
        vol_push(h, &f, 2.0 + 0.01 * k);
    vol_push(h, &f, 2.0);
    assert_int_equal(run_filter(P_VOL, h, &in, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "ATR percentile 2.5 < 10");
    fh_free(h);
}

static void test_volatility_filter_params_and_snapshot(void **state)
{
    static const char *const bad[] = {"min_pct=50", "max_pct=50", NULL};
    fh_host *a = make(P_VOL, vol_params, 1), *b = make(P_VOL, vol_params, 1);
    gordon_signal in = entry_sig(0, GORDON_SIDE_LONG, 100, 95), out;
    vol_feed f = {0, 0};
    char err[256], reason[128];
    int k;
    (void)state;
    expect_create_fails(P_VOL, bad, err, sizeof err);
    assert_non_null(strstr(err, "min_pct"));
    for (k = 0; k < 25; k++)
        vol_push(a, &f, 1.0 + 0.01 * (k % 20));
    assert_int_equal(snap_into(a, P_VOL, b, P_VOL), 0);
    /* last pushed 1.04 of 1.05..1.19,1.00..1.04: 4 below -> 22.5% keep */
    assert_int_equal(run_filter(P_VOL, b, &in, &out, reason, sizeof reason), GORDON_FILTER_KEEP);
    for (k = 0; k < 3; k++) {
        gordon_bar bar = mkbar(100 + k, 100, 101, 99, 100);
        fh_bar(a, 0, &bar);
        fh_bar(b, 0, &bar);
    }
    assert_int_equal(run_filter(P_VOL, a, &in, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "ATR percentile 97.5 > 90");
    assert_int_equal(run_filter(P_VOL, b, &in, &out, reason, sizeof reason), GORDON_FILTER_VETO);
    assert_string_equal(reason, "ATR percentile 97.5 > 90");
    assert_bad_blobs_refused(a, P_VOL);
    fh_free(a);
    fh_free(b);
}

/* ------------------------------------------------------------ session_filter */

static int session_at(fh_host *h, int64_t now, char *reason, size_t len)
{
    gordon_signal in = entry_sig(0, GORDON_SIDE_LONG, 100, 95), out;
    fh_set_now(h, now);
    return run_filter(P_SESSION, h, &in, &out, reason, len);
}

static void test_session_filter_hours(void **state)
{
    static const char *const day[] = {"start_hour=8", "end_hour=17", NULL};
    static const char *const wrap[] = {"start_hour=22", "end_hour=6", NULL};
    const int64_t wed = T0 + 2 * DAY_MS;
    fh_host *d = make(P_SESSION, day, 1), *w = make(P_SESSION, wrap, 1), *all = make(P_SESSION, NULL, 1);
    gordon_signal ex = GORDON_SIGNAL_INIT, out;
    char r[128];
    int hh;
    (void)state;
    assert_int_equal(session_at(d, wed + 8 * HOUR_MS, r, sizeof r), GORDON_FILTER_KEEP);
    assert_int_equal(session_at(d, wed + 17 * HOUR_MS - 1, r, sizeof r), GORDON_FILTER_KEEP);
    assert_int_equal(session_at(d, wed + 17 * HOUR_MS, r, sizeof r), GORDON_FILTER_VETO);
    assert_string_equal(r, "hour 17 UTC outside session 08-17");
    assert_int_equal(session_at(d, wed + 8 * HOUR_MS - 1, r, sizeof r), GORDON_FILTER_VETO);
    assert_string_equal(r, "hour 07 UTC outside session 08-17");
    ex.action = GORDON_ACTION_EXIT;
    fh_set_now(d, wed + 3 * HOUR_MS);
    assert_int_equal(run_filter(P_SESSION, d, &ex, &out, r, sizeof r), GORDON_FILTER_KEEP);

    assert_int_equal(session_at(w, wed + 22 * HOUR_MS, r, sizeof r), GORDON_FILTER_KEEP);
    assert_int_equal(session_at(w, wed + 23 * HOUR_MS + 59 * 60000, r, sizeof r), GORDON_FILTER_KEEP);
    assert_int_equal(session_at(w, wed, r, sizeof r), GORDON_FILTER_KEEP);
    assert_int_equal(session_at(w, wed + 6 * HOUR_MS - 1, r, sizeof r), GORDON_FILTER_KEEP);
    assert_int_equal(session_at(w, wed + 6 * HOUR_MS, r, sizeof r), GORDON_FILTER_VETO);
    assert_int_equal(session_at(w, wed + 22 * HOUR_MS - 1, r, sizeof r), GORDON_FILTER_VETO);
    assert_string_equal(r, "hour 21 UTC outside session 22-06");
    /* before 1970: 1969-12-31 23:30 is hour 23 */
    assert_int_equal(session_at(w, -30 * 60000, r, sizeof r), GORDON_FILTER_KEEP);
    assert_int_equal(session_at(d, -30 * 60000, r, sizeof r), GORDON_FILTER_VETO);
    assert_string_equal(r, "hour 23 UTC outside session 08-17");
    /* defaults: all day, every day */
    for (hh = 0; hh < 24 * 7; hh++)
        assert_int_equal(session_at(all, T0 + hh * HOUR_MS, r, sizeof r), GORDON_FILTER_KEEP);
    fh_free(d);
    fh_free(w);
    fh_free(all);
}

static void test_session_filter_weekend(void **state)
{
    static const char *const p[] = {"weekdays_only=true", NULL};
    static const char *const same[] = {"start_hour=5", "end_hour=5", NULL};
    fh_host *h = make(P_SESSION, p, 1);
    char r[128], err[256];
    int d;
    (void)state;
    /* T0 is Monday: days 0..4 keep, 5 (Saturday) and 6 (Sunday) veto */
    for (d = 0; d < 14; d++) {
        int rc = session_at(h, T0 + d * DAY_MS + 12 * HOUR_MS, r, sizeof r);
        assert_int_equal(rc, (d % 7) >= 5 ? GORDON_FILTER_VETO : GORDON_FILTER_KEEP);
    }
    assert_int_equal(session_at(h, T0 + 5 * DAY_MS, r, sizeof r), GORDON_FILTER_VETO);
    assert_string_equal(r, "Saturday (weekdays only)");
    assert_int_equal(session_at(h, T0 + 7 * DAY_MS - 1, r, sizeof r), GORDON_FILTER_VETO);
    assert_string_equal(r, "Sunday (weekdays only)");
    assert_int_equal(session_at(h, T0 + 7 * DAY_MS, r, sizeof r), GORDON_FILTER_KEEP);
    /* 1970-01-03 was a Saturday, 1969-12-28 a Sunday, 1969-12-26 a Friday */
    assert_int_equal(session_at(h, 2 * DAY_MS + 1, r, sizeof r), GORDON_FILTER_VETO);
    assert_int_equal(session_at(h, -4 * DAY_MS + 1, r, sizeof r), GORDON_FILTER_VETO);
    assert_string_equal(r, "Sunday (weekdays only)");
    assert_int_equal(session_at(h, -6 * DAY_MS + 1, r, sizeof r), GORDON_FILTER_KEEP);
    expect_create_fails(P_SESSION, same, err, sizeof err);
    assert_non_null(strstr(err, "start_hour"));
    fh_free(h);
}

/* ------------------------------------------------------------ drawdown */

static int dd_eval(fh_host *h, double equity, gordon_breaker_result *out)
{
    gordon_breaker_input in;
    memset(&in, 0, sizeof in);
    memset(out, 0, sizeof *out);
    in.struct_size = sizeof in;
    in.equity = equity;
    out->struct_size = sizeof *out;
    assert_int_equal(descs[P_DD]->evaluate(fh_instance(h), &in, out), 0);
    assert_true(memchr(out->reason, '\0', sizeof out->reason) != NULL);
    return out->state;
}

static void test_drawdown_threshold(void **state)
{
    static const char *const p[] = {"max_drawdown_pct=20", NULL};
    fh_host *a = make(P_DD, p, 1), *b = make(P_DD, p, 1), *c = make(P_DD, p, 1);
    gordon_breaker_result r;
    (void)state;
    assert_int_equal(dd_eval(a, 100, &r), GORDON_BREAKER_OK);
    assert_true(r.value == 0);
    assert_true(r.threshold == 20);
    assert_int_equal(dd_eval(a, 80, &r), GORDON_BREAKER_TRIPPED);
    assert_true(fabs(r.value - 20) < 1e-9);
    assert_string_equal(r.reason, "drawdown 20.00% >= 20.00% (peak 100.00, equity 80.00)");

    assert_int_equal(dd_eval(b, 100, &r), GORDON_BREAKER_OK);
    assert_int_equal(dd_eval(b, 80.01, &r), GORDON_BREAKER_WARN); /* 19.99 >= 15 */
    assert_true(fabs(r.value - 19.99) < 1e-9);
    assert_int_equal(dd_eval(b, 85, &r), GORDON_BREAKER_WARN);   /* exactly the warn level */
    assert_int_equal(dd_eval(b, 85.01, &r), GORDON_BREAKER_OK);
    assert_int_equal(dd_eval(b, 125, &r), GORDON_BREAKER_OK);    /* new peak */
    assert_int_equal(dd_eval(b, 100.01, &r), GORDON_BREAKER_WARN);
    assert_int_equal(dd_eval(b, 100, &r), GORDON_BREAKER_TRIPPED);

    /* 22 / 110 rounds: still exactly 20% */
    assert_int_equal(dd_eval(c, 110, &r), GORDON_BREAKER_OK);
    assert_int_equal(dd_eval(c, 88, &r), GORDON_BREAKER_TRIPPED);
    assert_int_equal(dd_eval(c, NAN, &r), GORDON_BREAKER_TRIPPED);
    fh_free(a);
    fh_free(b);
    fh_free(c);
}

static void test_drawdown_warn_and_params(void **state)
{
    static const char *const p[] = {"max_drawdown_pct=10", "warn_pct=4", NULL};
    static const char *const bad[] = {"max_drawdown_pct=10", "warn_pct=10", NULL};
    fh_host *h = make(P_DD, p, 1), *z = make(P_DD, NULL, 1);
    gordon_breaker_result r;
    char err[256];
    (void)state;
    assert_int_equal(dd_eval(h, 1000, &r), GORDON_BREAKER_OK);
    assert_int_equal(dd_eval(h, 961, &r), GORDON_BREAKER_OK);
    assert_int_equal(dd_eval(h, 960, &r), GORDON_BREAKER_WARN);
    assert_int_equal(dd_eval(h, 901, &r), GORDON_BREAKER_WARN);
    assert_int_equal(dd_eval(h, 900, &r), GORDON_BREAKER_TRIPPED);
    /* no positive equity yet: nothing to measure */
    assert_int_equal(dd_eval(z, 0, &r), GORDON_BREAKER_OK);
    assert_int_equal(dd_eval(z, 50, &r), GORDON_BREAKER_OK);
    assert_int_equal(dd_eval(z, 0, &r), GORDON_BREAKER_TRIPPED);
    expect_create_fails(P_DD, bad, err, sizeof err);
    assert_non_null(strstr(err, "warn_pct"));
    fh_free(h);
    fh_free(z);
}

static void test_drawdown_restore_keeps_peak(void **state)
{
    static const char *const p[] = {"max_drawdown_pct=20", NULL};
    fh_host *a = make(P_DD, p, 1), *b = make(P_DD, p, 1);
    gordon_breaker_result r;
    (void)state;
    assert_int_equal(dd_eval(a, 100, &r), GORDON_BREAKER_OK);
    assert_int_equal(dd_eval(a, 90, &r), GORDON_BREAKER_OK);
    assert_int_equal(snap_into(a, P_DD, b, P_DD), 0);
    /* the fresh instance never saw 100, yet 80 is 20% below the kept peak */
    assert_int_equal(dd_eval(b, 80, &r), GORDON_BREAKER_TRIPPED);
    assert_bad_blobs_refused(a, P_DD);
    /* another plugin's blob is refused (header differs) */
    {
        fh_host *e = make(P_EMA, NULL, 1), *d = make(P_DON, NULL, 1), *t = make(P_TREND, NULL, 1);
        size_t need = descs[P_EMA]->snapshot(fh_instance(e), NULL, 0);
        unsigned char *buf = malloc(need);
        assert_non_null(buf);
        assert_int_equal(descs[P_EMA]->snapshot(fh_instance(e), buf, need), need);
        assert_int_not_equal(descs[P_DD]->restore(fh_instance(b), buf, need), 0);
        assert_int_not_equal(descs[P_DON]->restore(fh_instance(d), buf, need), 0);
        assert_int_not_equal(descs[P_TREND]->restore(fh_instance(t), buf, need), 0);
        free(buf);
        fh_free(e);
        fh_free(d);
        fh_free(t);
    }
    fh_free(a);
    fh_free(b);
}

/* ------------------------------------------------------------ warmup() */

static uint32_t warmup_of(int which, const char *const *params)
{
    fh_host *h = make(which, params, 2);
    uint32_t w = descs[which]->warmup(fh_instance(h));
    fh_free(h);
    return w;
}

/* warmup() is the instance's own warm-up: warmup_bars for the defaults, and
 * the same formula for other parameters, within GORDON_WARMUP_BARS_MAX even
 * at the declared maxima. */
static void test_warmup_callbacks(void **state)
{
    static const int with[] = {P_EMA, P_DON, P_TREND, P_VOL};
    static const char *const ema_slow[] = {"fast=20", "slow=50", "atr_period=14", NULL};
    static const char *const ema_atr[] = {"fast=3", "slow=10", "atr_period=30", NULL};
    static const char *const ema_max[] = {"fast=200", "slow=500", "atr_period=200", NULL};
    static const char *const don_exit[] = {"entry_period=20", "exit_period=30", "atr_period=14", NULL};
    static const char *const don_atr[] = {"entry_period=5", "exit_period=3", "atr_period=40", NULL};
    static const char *const don_max[] = {"entry_period=400", "exit_period=400", "atr_period=200", NULL};
    static const char *const trend_50[] = {"period=50", NULL};
    static const char *const vol_100[] = {"atr_period=14", "lookback=100", NULL};
    static const char *const vol_max[] = {"atr_period=200", "lookback=10000", NULL};
    size_t k;
    (void)state;
    for (k = 0; k < sizeof with / sizeof with[0]; k++)
        assert_int_equal(warmup_of(with[k], NULL), descs[with[k]]->warmup_bars);
    /* ema_cross: max(slow + 1, atr_period) */
    assert_int_equal(warmup_of(P_EMA, ema_slow), 51);
    assert_int_equal(warmup_of(P_EMA, ema_atr), 30);
    assert_int_equal(warmup_of(P_EMA, ema_max), 501);
    /* the worked example of test_ema_cross_first_possible_bar signals on bar 6 */
    assert_int_equal(warmup_of(P_EMA, ema_params), 6);
    /* donchian: max(max(entry, exit) + 1, atr_period) */
    assert_int_equal(warmup_of(P_DON, don_exit), 31);
    assert_int_equal(warmup_of(P_DON, don_atr), 40);
    assert_int_equal(warmup_of(P_DON, don_max), 401);
    assert_int_equal(warmup_of(P_TREND, trend_50), 50);
    /* volatility_filter: atr_period + lookback - 1 */
    assert_int_equal(warmup_of(P_VOL, vol_100), 113);
    assert_true(warmup_of(P_VOL, vol_max) == 10199 && 10199 <= GORDON_WARMUP_BARS_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test(test_ema_cross_reference_matches_hand),
        cmocka_unit_test(test_ema_cross_entry_long),
        cmocka_unit_test(test_ema_cross_reversal),
        cmocka_unit_test(test_ema_cross_no_short),
        cmocka_unit_test(test_ema_cross_already_long_no_entry),
        cmocka_unit_test(test_ema_cross_nothing_before_warmup),
        cmocka_unit_test(test_ema_cross_first_possible_bar),
        cmocka_unit_test(test_ema_cross_params),
        cmocka_unit_test(test_ema_cross_random_walk),
        cmocka_unit_test(test_ema_cross_snapshot),
        cmocka_unit_test(test_donchian_breakout_strict),
        cmocka_unit_test(test_donchian_window_slides),
        cmocka_unit_test(test_donchian_exit),
        cmocka_unit_test(test_donchian_short),
        cmocka_unit_test(test_donchian_random_walk),
        cmocka_unit_test(test_donchian_snapshot),
        cmocka_unit_test(test_trend_filter),
        cmocka_unit_test(test_trend_filter_edges),
        cmocka_unit_test(test_trend_filter_snapshot),
        cmocka_unit_test(test_volatility_filter_percentiles),
        cmocka_unit_test(test_volatility_filter_warmup_and_roll),
        cmocka_unit_test(test_volatility_filter_params_and_snapshot),
        cmocka_unit_test(test_session_filter_hours),
        cmocka_unit_test(test_session_filter_weekend),
        cmocka_unit_test(test_drawdown_threshold),
        cmocka_unit_test(test_drawdown_warn_and_params),
        cmocka_unit_test(test_drawdown_restore_keeps_peak),
        cmocka_unit_test(test_warmup_callbacks),
    };
    return cmocka_run_group_tests(tests, load_all, unload_all);
}
