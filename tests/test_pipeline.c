/* The risk pipeline: sizing, stops, overlays, caps, throttles, the latch. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "risk/instr.h"
#include "risk/pipeline.h"

#define DAY 86400000LL
#define T0 (1700000000000LL / DAY * DAY) /* a UTC midnight */

static gd_instrument instr[2] = {
    {"BTCUSDT", 0.1, 0.001, 0.001, 5.0},
    {"ETHUSDT", 0.01, 1.0, 1.0, 10.0},
};

static gd_limits base_limits(void)
{
    gd_limits l = {.risk_pct = 1.0,
                   .sl_required = 1,
                   .max_order_notional = 1e9,
                   .max_daily_notional = 1e12,
                   .max_gross_exposure = 1e12,
                   .rate_global = 1000,
                   .rate_strategy = 1000};
    return l;
}

static gd_account_view flat(double equity)
{
    gd_account_view a;
    memset(&a, 0, sizeof a);
    a.equity = equity;
    a.subscribed = 1;
    return a;
}

static gordon_signal entry(int side, double px, double stop)
{
    gordon_signal s = GORDON_SIGNAL_INIT;
    s.symbol = 0;
    s.action = GORDON_ACTION_ENTRY;
    s.side = side;
    s.entry = px;
    s.stop_loss = stop;
    return s;
}

/* An honest strategy's claim is the host's price: unless a test says
 * otherwise, the host's price is the signal's entry. */
static gd_account_view at_claim(const gd_account_view *a, const gordon_signal *s)
{
    gd_account_view v = *a;
    if (v.ref_price == 0.0)
        v.ref_price = s->entry;
    return v;
}

static gd_intent run1(gd_pipeline *p, const gordon_signal *s, const gd_account_view *a, int64_t t)
{
    gd_intent it;
    gd_account_view v = at_claim(a, s);
    gd_pipeline_decide(p, 0, s, &v, NULL, 0, t, &it);
    gd_pipeline_commit(p, &it);
    return it;
}

static void test_rounding(void **state)
{
    (void)state;
    assert_true(gd_round_down_step(0.3, 0.1) == 0.3);
    assert_true(gd_round_down_step(0.29999, 0.1) == 0.2);
    assert_true(gd_round_down_step(20.0, 0.001) == 20.0);
    assert_true(gd_round_down_step(33.3333, 1.0) == 33.0);
    assert_true(gd_round_down_step(1.23456789, 0.001) == 1.234);
    assert_true(gd_round_down_step(0.0009, 0.001) == 0.0);
    assert_true(gd_round_down_step(-1.0, 0.001) == 0.0);
    assert_true(gd_round_down_step(NAN, 0.001) == 0.0);
    assert_true(gd_round_down_step(INFINITY, 0.001) == 0.0);
    assert_int_equal(gd_step_decimals(0.001), 3);
    assert_int_equal(gd_step_decimals(1.0), 0);
    assert_int_equal(gd_step_decimals(0.00001), 5);
    assert_true(gd_round_tick(95.07, 0.1, -1) == 95.0);
    assert_true(gd_round_tick(95.01, 0.1, 1) == 95.1);
    assert_true(gd_round_tick(95.0, 0.1, 1) == 95.0);
    assert_true(gd_round_tick(95.04, 0.1, 0) == 95.0);
}

/* A stage's allocation caps the equity sizing uses: min(equity, allocation). */
static void test_sizing_allocation(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    l.allocation = 500.0;
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(10000.0);
    /* 1% of 500 = 5 at risk over a 5.0 stop distance: 1 unit, not 20. */
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0);
    gd_intent it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 1.0);
    /* An account below the allocation sizes on what it has. */
    a = flat(300.0);
    it = run1(&p, &s, &a, T0 + 1000);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 0.6);
    gd_pipeline_free(&p);
}

static void test_sizing(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(10000.0);

    /* 1% of 10000 = 100 at risk over a 5.0 stop distance: 20 units. */
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0);
    gd_intent it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 20.0);
    assert_true(it.notional == 2000.0);

    /* 100 / 3 = 33.333.. rounded down to the 0.001 step. */
    s = entry(GORDON_SIDE_SHORT, 100.0, 103.0);
    it = run1(&p, &s, &a, T0 + 1000);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 33.333);

    /* Whole-unit steps round down, never up. */
    s = entry(GORDON_SIDE_LONG, 100.0, 97.0);
    s.symbol = 1;
    it = run1(&p, &s, &a, T0 + 2000);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 33.0);

    /* risk_scale halves the budget. */
    s = entry(GORDON_SIDE_LONG, 100.0, 95.0);
    s.risk_scale = 0.5;
    it = run1(&p, &s, &a, T0 + 3000);
    assert_true(it.qty == 10.0);

    /* The stop is rounded away from entry to the tick before sizing:
     * 95.07 -> 95.0 for a long, so the size uses the wider distance. */
    s = entry(GORDON_SIDE_LONG, 100.0, 95.07);
    it = run1(&p, &s, &a, T0 + 4000);
    assert_true(it.stop == 95.0);
    assert_true(it.qty == 20.0);
    gd_pipeline_free(&p);
}

static void test_min_qty_and_notional(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(10.0); /* 0.1 at risk */

    /* ETH: step 1, min qty 1. 0.1 / 5 = 0.02 -> 0 units. */
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0);
    s.symbol = 1;
    gd_intent it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_REJECT_BELOW_MIN_QTY);
    assert_true(it.qty == 0.0);

    /* BTC: 0.1 / 5 = 0.02 units x 100 = 2 notional < 5 min notional. */
    s.symbol = 0;
    it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_REJECT_BELOW_MIN_NOTIONAL);

    /* Exactly at the minimum notional is allowed: 0.05 x 100 = 5. */
    a.equity = 25.0; /* 0.25 / 5 = 0.05 */
    it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 0.05);
    gd_pipeline_free(&p);
}

static void test_leverage_never_changes_qty(void **state)
{
    (void)state;
    gd_config c1, c2;
    gd_config_defaults(&c1);
    gd_config_defaults(&c2);
    c1.leverage = 1.0;
    c2.leverage = 20.0;
    gd_limits l1, l2;
    gd_limits_from_config(&c1, &l1);
    gd_limits_from_config(&c2, &l2);
    assert_memory_equal(&l1, &l2, sizeof l1);
    gd_config_free(&c1);
    gd_config_free(&c2);
}

static void test_stop_loss_rules(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(10000.0);

    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 0.0);
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_NO_STOP);
    s = entry(GORDON_SIDE_LONG, 100.0, 100.0); /* zero distance */
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_STOP_SIDE);
    s = entry(GORDON_SIDE_LONG, 100.0, 101.0); /* above a long */
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_STOP_SIDE);
    s = entry(GORDON_SIDE_SHORT, 100.0, 99.0); /* below a short */
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_STOP_SIDE);
    s = entry(GORDON_SIDE_SHORT, 100.0, 100.0);
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_STOP_SIDE);
    s = entry(GORDON_SIDE_LONG, 100.0, -5.0);
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_BAD_SIGNAL);
    s = entry(GORDON_SIDE_LONG, 100.0, NAN);
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_BAD_SIGNAL);
    /* A stop a hair below entry that tick rounding pushes to the entry's tick
     * still counts as below: 99.95 rounds down to 99.9. */
    s = entry(GORDON_SIDE_LONG, 100.0, 99.95);
    gd_intent it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.stop == 99.9);
    gd_pipeline_free(&p);

    /* With stops not required: a long without a stop is sized as if the price
     * could go to zero; a short without one is refused (unbounded risk). */
    l.sl_required = 0;
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    s = entry(GORDON_SIDE_LONG, 100.0, 0.0);
    it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 1.0); /* 100 / 100 */
    s = entry(GORDON_SIDE_SHORT, 100.0, 0.0);
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_NO_STOP);
    gd_pipeline_free(&p);
}

/* ----- overlays */

static int ov_keep(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)in; (void)out; (void)r; (void)n;
    return GORDON_FILTER_KEEP;
}
static int ov_veto(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)in; (void)out;
    snprintf(r, n, "too volatile");
    return GORDON_FILTER_VETO;
}
static int ov_veto_long(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)in; (void)out;
    memset(r, 'x', n - 1);
    r[n - 1] = '\0';
    return GORDON_FILTER_VETO;
}
static int ov_tighten_stop(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)r; (void)n;
    out->stop_loss = in->entry - (in->entry - in->stop_loss) / 2; /* half the distance */
    return GORDON_FILTER_TIGHTEN;
}
static int ov_loosen_stop(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)r; (void)n;
    out->stop_loss = in->stop_loss - 1.0;
    return GORDON_FILTER_TIGHTEN;
}
static int ov_raise_scale(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)in; (void)r; (void)n;
    out->risk_scale = 2.0;
    return GORDON_FILTER_TIGHTEN;
}
static int ov_half_scale(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)r; (void)n;
    out->risk_scale = in->risk_scale / 2;
    return GORDON_FILTER_TIGHTEN;
}
static int ov_flip_side(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)r; (void)n;
    out->side = -in->side;
    out->stop_loss = in->entry + (in->entry - in->stop_loss);
    return GORDON_FILTER_TIGHTEN;
}
static int ov_remove_stop(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)in; (void)r; (void)n;
    out->stop_loss = 0.0;
    return GORDON_FILTER_TIGHTEN;
}
static int ov_bogus(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)in; (void)out; (void)r; (void)n;
    return 42;
}

static gd_intent with_overlay(gd_pipeline *p, gd_overlay_ref *ov, size_t n)
{
    gd_account_view a = flat(10000.0);
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0);
    gd_intent it;
    a.ref_price = 100.0;
    gd_pipeline_decide(p, 0, &s, &a, ov, n, T0, &it);
    return it;
}

/* An overlay in a worker, asked ahead: send keeps the input, recv answers
 * with fn on it (and counts both). */
typedef struct async_ov {
    int (*fn)(void *, const gordon_signal *, gordon_signal *, char *, size_t);
    gordon_signal pending;
    int sends, recvs, outstanding;
    double seen_scale; /* risk_scale of the last input it answered */
} async_ov;

static int as_send(void *i, const gordon_signal *in)
{
    async_ov *a = i;
    assert_int_equal(a->outstanding, 0); /* one question at a time */
    a->pending = *in;
    a->sends++;
    a->outstanding = 1;
    return 0;
}

static int as_recv(void *i, gordon_signal *out, char *r, size_t n)
{
    async_ov *a = i;
    assert_int_equal(a->outstanding, 1);
    a->outstanding = 0;
    a->recvs++;
    a->seen_scale = a->pending.risk_scale;
    *out = a->pending;
    return a->fn(i, &a->pending, out, r, n);
}

static int as_filter(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    async_ov *a = i;
    a->seen_scale = in->risk_scale;
    return a->fn(i, in, out, r, n);
}

static void test_overlays_asked_ahead_keep_the_chain(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    /* All keep: every overlay asked once, at once. */
    async_ov k1 = {ov_keep, {0}, 0, 0, 0, 0}, k2 = k1, k3 = k1;
    gd_overlay_ref all[3] = {{"k1", &k1, as_filter, as_send, as_recv},
                             {"k2", &k2, as_filter, as_send, as_recv},
                             {"k3", &k3, as_filter, as_send, as_recv}};
    gd_intent it = with_overlay(&p, all, 3);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(k1.sends == 1 && k2.sends == 1 && k3.sends == 1 && !k3.outstanding);
    /* The first halves the risk: the others' answers about the old signal
     * are set aside and they are asked again, seeing the halved one. */
    async_ov h = {ov_half_scale, {0}, 0, 0, 0, 0}, a2 = {ov_keep, {0}, 0, 0, 0, 0}, a3 = a2;
    gd_overlay_ref chain[3] = {{"half", &h, as_filter, as_send, as_recv},
                               {"a2", &a2, as_filter, as_send, as_recv},
                               {"a3", &a3, as_filter, as_send, as_recv}};
    it = with_overlay(&p, chain, 3);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.risk_scale == 0.5);
    assert_true(a2.seen_scale == 0.5 && a3.seen_scale == 0.5);
    assert_true(a2.sends == 2 && a2.recvs == 2 && a3.sends == 2 && !a2.outstanding && !a3.outstanding);
    /* A veto in the middle: nobody is left owing an answer. */
    async_ov v1 = {ov_keep, {0}, 0, 0, 0, 0}, v2 = {ov_veto, {0}, 0, 0, 0, 0}, v3 = v1;
    gd_overlay_ref vchain[3] = {{"v1", &v1, as_filter, as_send, as_recv},
                                {"vol", &v2, as_filter, as_send, as_recv},
                                {"v3", &v3, as_filter, as_send, as_recv}};
    it = with_overlay(&p, vchain, 3);
    assert_int_equal(it.result, GORDON_REJECT_OVERLAY_VETO);
    assert_true(!v1.outstanding && !v2.outstanding && !v3.outstanding);
    /* In-process and isolated mixed: the in-process one in order. */
    async_ov m2 = {ov_keep, {0}, 0, 0, 0, 0};
    gd_overlay_ref mixed[2] = {{"half", &h, as_filter, NULL, NULL}, {"m2", &m2, as_filter, as_send, as_recv}};
    it = with_overlay(&p, mixed, 2);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(m2.seen_scale == 0.5 && m2.sends == 1);
    gd_pipeline_free(&p);
}

static void test_overlays_only_tighten(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);

    gd_overlay_ref keep = {"keep", NULL, ov_keep, NULL, NULL}, veto = {"vol", NULL, ov_veto, NULL, NULL};
    gd_overlay_ref tight = {"tight", NULL, ov_tighten_stop, NULL, NULL}, loose = {"loose", NULL, ov_loosen_stop, NULL, NULL};
    gd_overlay_ref raise = {"raise", NULL, ov_raise_scale, NULL, NULL}, half = {"half", NULL, ov_half_scale, NULL, NULL};
    gd_overlay_ref flip = {"flip", NULL, ov_flip_side, NULL, NULL}, nostop = {"nostop", NULL, ov_remove_stop, NULL, NULL};
    gd_overlay_ref bogus = {"bogus", NULL, ov_bogus, NULL, NULL};

    gd_intent it = with_overlay(&p, &keep, 1);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 20.0);

    gd_overlay_ref kv[2] = {keep, veto};
    it = with_overlay(&p, kv, 2);
    assert_int_equal(it.result, GORDON_REJECT_OVERLAY_VETO);
    assert_non_null(strstr(it.detail, "vol: too volatile"));
    /* A long name and the longest reason: cut at the detail's end, as
     * snprintf("%s: %s") cuts. */
    static const char longname[] = "an_overlay_with_a_name_of_sixty_three_characters_for_the_test_x";
    gd_overlay_ref lv = {longname, NULL, ov_veto_long, NULL, NULL};
    it = with_overlay(&p, &lv, 1);
    assert_int_equal(it.result, GORDON_REJECT_OVERLAY_VETO);
    char xs[96], want[sizeof it.detail];
    memset(xs, 'x', sizeof xs - 1);
    xs[sizeof xs - 1] = '\0';
    snprintf(want, sizeof want, "%s: %s", longname, xs);
    assert_string_equal(it.detail, want);
    assert_int_equal(strlen(it.detail), sizeof it.detail - 1);

    /* A tighter stop is applied, but the size stays that of the wider,
     * original stop: tightening never buys more. */
    it = with_overlay(&p, &tight, 1);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.stop == 97.5);
    assert_true(it.orig_stop == 95.0);
    assert_true(it.qty == 20.0);

    it = with_overlay(&p, &half, 1);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 10.0);

    gd_overlay_ref bad[] = {loose, raise, flip, nostop, bogus};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        it = with_overlay(&p, &bad[i], 1);
        assert_int_equal(it.result, GORDON_REJECT_OVERLAY_INVALID);
        assert_non_null(strstr(it.detail, bad[i].name));
        assert_true(it.qty == 0.0);
    }
    /* A violating overlay after a valid one still rejects. */
    gd_overlay_ref chain[2] = {tight, loose};
    assert_int_equal(with_overlay(&p, chain, 2).result, GORDON_REJECT_OVERLAY_INVALID);
    gd_pipeline_free(&p);
}

/* ----- caps */

static void test_order_cap_clamps(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    l.max_order_notional = 1000.0;
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(10000.0);
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0); /* wants 2000 */
    gd_intent it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.qty == 10.0);
    assert_true(it.notional <= 1000.0);
    assert_int_equal(it.capped_by, GD_CAP_ORDER);

    /* A cap too small for the minimum notional rejects. */
    l.max_order_notional = 4.0;
    gd_pipeline_free(&p);
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_REJECT_ORDER_CAP);
    gd_pipeline_free(&p);
}

static void test_daily_cap_across_utc_midnight(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    l.max_daily_notional = 5000.0;
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(10000.0);
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0); /* 2000 each */

    int64_t late = T0 + DAY - 10000; /* 23:59:50 */
    assert_true(run1(&p, &s, &a, late).notional == 2000.0);
    assert_true(run1(&p, &s, &a, late + 1000).notional == 2000.0);
    gd_intent it = run1(&p, &s, &a, late + 2000); /* 1000 left: clamped */
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.notional == 1000.0);
    assert_int_equal(it.capped_by, GD_CAP_DAILY);
    it = run1(&p, &s, &a, late + 3000);
    assert_int_equal(it.result, GORDON_REJECT_DAILY_CAP);
    /* The last millisecond of the day still counts against it. */
    it = run1(&p, &s, &a, T0 + DAY - 1);
    assert_int_equal(it.result, GORDON_REJECT_DAILY_CAP);
    /* 00:00:00.000 UTC: a fresh day. */
    it = run1(&p, &s, &a, T0 + DAY);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.notional == 2000.0);
    assert_true(gd_pipeline_daily_left(&p, T0 + DAY) == 3000.0);

    /* Exits are never blocked by an exhausted cap. */
    gd_account_view in_pos = a;
    in_pos.pos_side = GORDON_SIDE_LONG;
    gordon_signal x = GORDON_SIGNAL_INIT;
    x.action = GORDON_ACTION_EXIT;
    it = run1(&p, &x, &in_pos, late + 4000);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    gd_pipeline_free(&p);
}

static void test_gross_exposure_cap(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    l.max_gross_exposure = 3000.0;
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(10000.0);
    a.gross_exposure = 2500.0;
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0);
    gd_intent it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.notional == 500.0);
    assert_int_equal(it.capped_by, GD_CAP_EXPOSURE);
    a.gross_exposure = 2999.0;
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_EXPOSURE_CAP);
    gd_pipeline_free(&p);
}

static void test_throttle(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    l.rate_strategy = 2;
    l.rate_global = 3;
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 2), 0);
    gd_account_view a = flat(10000.0);
    a.ref_price = 100.0;
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0);
    gd_intent it;
    gd_pipeline_decide(&p, 0, &s, &a, NULL, 0, T0, &it);
    gd_pipeline_commit(&p, &it);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    gd_pipeline_decide(&p, 0, &s, &a, NULL, 0, T0 + 500, &it);
    gd_pipeline_commit(&p, &it);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    gd_pipeline_decide(&p, 0, &s, &a, NULL, 0, T0 + 999, &it);
    assert_int_equal(it.result, GORDON_REJECT_THROTTLED);
    assert_non_null(strstr(it.detail, "from this strategy"));
    gd_pipeline_commit(&p, &it);
    /* What strategy 0's own limit refused took nothing from the shared
     * window: strategy 1 still gets the third slot, then the total is
     * reached. */
    for (int k = 0; k < 50; k++) {
        gd_pipeline_decide(&p, 0, &s, &a, NULL, 0, T0 + 999, &it);
        assert_int_equal(it.result, GORDON_REJECT_THROTTLED);
    }
    gd_pipeline_decide(&p, 1, &s, &a, NULL, 0, T0 + 999, &it);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    gd_pipeline_commit(&p, &it);
    gordon_signal s2 = s;
    s2.symbol = 1;
    gd_pipeline_decide(&p, 1, &s2, &a, NULL, 0, T0 + 999, &it);
    assert_int_equal(it.result, GORDON_REJECT_THROTTLED);
    assert_non_null(strstr(it.detail, "in total"));
    gd_pipeline_commit(&p, &it);
    /* Exits are counted, never refused. */
    gordon_signal x = s;
    x.action = GORDON_ACTION_EXIT;
    a.pos_side = GORDON_SIDE_LONG;
    gd_pipeline_decide(&p, 0, &x, &a, NULL, 0, T0 + 999, &it);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    a.pos_side = GORDON_SIDE_NONE;
    /* Once the window has moved on, trading resumes. */
    gd_pipeline_decide(&p, 0, &s, &a, NULL, 0, T0 + 2500, &it);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    gd_pipeline_commit(&p, &it);
    /* Garbage counts against the budget: two malformed signals, then a
     * valid one within the second, throttled. */
    gordon_signal junk = s;
    junk.side = 7;
    gd_pipeline_decide(&p, 1, &junk, &a, NULL, 0, T0 + 5000, &it);
    assert_int_equal(it.result, GORDON_REJECT_BAD_SIGNAL);
    gd_pipeline_decide(&p, 1, &junk, &a, NULL, 0, T0 + 5001, &it);
    gd_pipeline_decide(&p, 1, &s, &a, NULL, 0, T0 + 5002, &it);
    assert_int_equal(it.result, GORDON_REJECT_THROTTLED);
    gd_pipeline_free(&p);
}

/* The host's price, not the plugin's claim: a claim far from it is refused,
 * a claim within the tolerance is sized, checked and capped at the host's
 * price, and a stop that rounds onto the price is on the wrong side. */
static void test_entry_claims(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    l.entry_tol_bps = 50;
    l.entry_tol_ticks = 2;
    l.max_order_notional = 60000.0;
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(100000.0);
    a.ref_price = 1507.0;
    gd_intent it;
    /* A long claiming entry 1 with stop 0.99 on a symbol at 1507: the old
     * pipeline sized 1000 x 100 of risk per point at 1 and bought 75 M. */
    gordon_signal lie = entry(GORDON_SIDE_LONG, 1.0, 0.99);
    gd_pipeline_decide(&p, 0, &lie, &a, NULL, 0, T0, &it);
    assert_int_equal(it.result, GORDON_REJECT_BAD_SIGNAL);
    assert_non_null(strstr(it.detail, "host's price 1507"));
    /* A short claiming a high entry: refused the same way. */
    gordon_signal high = entry(GORDON_SIDE_SHORT, 3000.0, 3030.0);
    gd_pipeline_decide(&p, 0, &high, &a, NULL, 0, T0 + 1000, &it);
    assert_int_equal(it.result, GORDON_REJECT_BAD_SIGNAL);
    /* A claim within 50 bps: believed, but sized at 1507 (risk 1000 over a
     * 7-point distance: 142.857 -> capped at 60000 notional -> 39.814). */
    gordon_signal near = entry(GORDON_SIDE_LONG, 1510.0, 1500.0);
    gd_pipeline_decide(&p, 0, &near, &a, NULL, 0, T0 + 2000, &it);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(it.entry == 1507.0);
    assert_true(it.entry_claim == 1510.0);
    assert_true(it.notional <= 60000.0);
    assert_true(fabs(it.qty * 1507.0 - it.notional) < 1e-6);
    /* Unsized by the claim: with the claim's distance (10) qty would differ. */
    gd_limits big = l;
    big.max_order_notional = 1e12;
    gd_pipeline_set_limits(&p, &big, instr);
    gd_pipeline_decide(&p, 0, &near, &a, NULL, 0, T0 + 3000, &it);
    assert_int_equal(it.result, GORDON_ACCEPTED);
    assert_true(fabs(it.qty - 142.857) < 1e-9); /* 1000 / |1507 - 1500|, step 0.001 */
    /* A stop the tick rounds onto the price is on the wrong side of it. */
    gordon_signal flat_stop = entry(GORDON_SIDE_LONG, 1507.0, 1507.04); /* rounds down to 1507.0 */
    gd_pipeline_decide(&p, 0, &flat_stop, &a, NULL, 0, T0 + 4000, &it);
    assert_int_equal(it.result, GORDON_REJECT_STOP_SIDE);
    /* The host has no price yet: nothing to size against. */
    a.ref_price = 0.0;
    gd_pipeline_decide(&p, 0, &near, &a, NULL, 0, T0 + 5000, &it);
    assert_int_equal(it.result, GORDON_REJECT_BAD_SIGNAL);
    gd_pipeline_free(&p);
}

/* Overlays that cast away const and write into `in` (or elsewhere in out)
 * change nothing: the host judges out against its own copy. */
static int ov_cast_risk(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)out; (void)r; (void)n;
    ((gordon_signal *)in)->risk_scale = 40.0;
    return GORDON_FILTER_KEEP;
}
static int ov_cast_entry(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)out; (void)r; (void)n;
    ((gordon_signal *)in)->entry *= 7.0;
    return GORDON_FILTER_KEEP;
}
static int ov_cast_stop(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)out; (void)r; (void)n;
    ((gordon_signal *)in)->stop_loss = in->entry * 1.5; /* a long's stop above the price */
    return GORDON_FILTER_KEEP;
}
static int ov_cast_symbol(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)r; (void)n;
    ((gordon_signal *)in)->symbol = 1000000;
    out->symbol = 1000000;
    return GORDON_FILTER_TIGHTEN;
}
static int ov_long_reason(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)in; (void)out;
    memset(r, 'x', n + 512); /* writes past what it was given */
    return GORDON_FILTER_VETO;
}

static void test_overlays_cannot_cast_away_const(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_intent plain = with_overlay(&p, NULL, 0);
    assert_int_equal(plain.result, GORDON_ACCEPTED);
    gd_overlay_ref o1 = {"risk", NULL, ov_cast_risk, NULL, NULL}, o2 = {"entry", NULL, ov_cast_entry, NULL, NULL},
                   o3 = {"stop", NULL, ov_cast_stop, NULL, NULL};
    gd_overlay_ref all[] = {o1, o2, o3};
    for (size_t k = 0; k < 3; k++) {
        gd_intent it = with_overlay(&p, &all[k], 1);
        assert_int_equal(it.result, GORDON_ACCEPTED);
        assert_true(it.qty == plain.qty);
        assert_true(it.stop == plain.stop && it.risk_scale == plain.risk_scale && it.entry == plain.entry);
    }
    gd_intent chain = with_overlay(&p, all, 3);
    assert_true(chain.qty == plain.qty);
    gd_overlay_ref o4 = {"symbol", NULL, ov_cast_symbol, NULL, NULL};
    gd_intent sym = with_overlay(&p, &o4, 1);
    assert_int_equal(sym.result, GORDON_REJECT_OVERLAY_INVALID);
    assert_int_equal(sym.symbol, 0);
    gd_overlay_ref o5 = {"long", NULL, ov_long_reason, NULL, NULL};
    gd_intent vet = with_overlay(&p, &o5, 1);
    assert_int_equal(vet.result, GORDON_REJECT_OVERLAY_VETO);
    assert_true(strlen(vet.detail) < sizeof vet.detail);
    gd_pipeline_free(&p);
}

static void test_halt_and_breakers(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(10000.0);
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0);
    a.halted = 1;
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_HALTED);
    a.halted = 0;
    a.tripped = "dd";
    gd_intent it = run1(&p, &s, &a, T0);
    assert_int_equal(it.result, GORDON_REJECT_BREAKER);
    assert_non_null(strstr(it.detail, "dd"));

    /* While halted, exits still go through. */
    a.halted = 1;
    a.pos_side = GORDON_SIDE_LONG;
    gordon_signal x = GORDON_SIGNAL_INIT;
    x.action = GORDON_ACTION_EXIT;
    assert_int_equal(run1(&p, &x, &a, T0).result, GORDON_ACCEPTED);
    /* An exit with nothing to close is reported, not silently accepted. */
    a.pos_side = GORDON_SIDE_NONE;
    assert_int_equal(run1(&p, &x, &a, T0).result, GORDON_REJECT_NO_POSITION);
    gd_pipeline_free(&p);
}

static void test_position_rules(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 1), 0);
    gd_account_view a = flat(10000.0);
    gordon_signal s = entry(GORDON_SIDE_LONG, 100.0, 95.0);
    a.pos_side = GORDON_SIDE_LONG;
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_POSITION_OPEN);
    a.pos_side = GORDON_SIDE_SHORT; /* reversal without a pending exit */
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_POSITION_OPEN);
    a.exit_pending = 1; /* reversal after the exit was accepted */
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_ACCEPTED);
    a = flat(10000.0);
    a.entry_pending = 1;
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_POSITION_OPEN);
    a = flat(10000.0);
    a.subscribed = 0;
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_BAD_SIGNAL);
    a = flat(0.0);
    assert_int_equal(run1(&p, &s, &a, T0).result, GORDON_REJECT_NO_EQUITY);
    gd_pipeline_free(&p);
}

/* ----- property test: a hostile stream of signals */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static double rnd_price(void)
{
    switch (rnd() % 12) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -INFINITY;
    case 3: return -(double)(rnd() % 1000);
    case 4: return 0.0;
    case 5: return 1e300;
    case 6: return 1e-300;
    default: return 50.0 + (double)(rnd() % 10000) / 100.0;
    }
}

static int ov_random(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)i; (void)in; (void)r; (void)n;
    switch (rnd() % 4) {
    case 0: return GORDON_FILTER_KEEP;
    case 1: return GORDON_FILTER_VETO;
    case 2: out->stop_loss = rnd_price(); out->risk_scale = (double)(rnd() % 300) / 100.0; return GORDON_FILTER_TIGHTEN;
    default: return (int)(rnd() % 7) - 3;
    }
}

static void test_property_hostile_signals(void **state)
{
    (void)state;
    gd_pipeline p;
    gd_limits l = base_limits();
    l.max_order_notional = 5000.0;
    l.max_daily_notional = 40000.0;
    l.max_gross_exposure = 20000.0;
    l.rate_strategy = 3;
    l.rate_global = 5;
    assert_int_equal(gd_pipeline_init(&p, &l, instr, 2, 3), 0);
    gd_overlay_ref ov = {"random", NULL, ov_random, NULL, NULL};
    double used[64] = {0};
    int64_t t = T0;
    unsigned accepted = 0;
    for (int k = 0; k < 200000; k++) {
        t += (int64_t)(rnd() % 20000); /* ~ 5 days over the run */
        gordon_signal s = GORDON_SIGNAL_INIT;
        s.symbol = (uint32_t)(rnd() % 3); /* 2 is invalid */
        s.action = (int32_t)(rnd() % 4);
        s.side = (int32_t)(rnd() % 5) - 2;
        s.entry = rnd_price();
        s.stop_loss = rnd() % 3 ? s.entry * (1.0 + ((double)(rnd() % 200) - 100.0) / 1000.0) : rnd_price();
        s.take_profit = rnd() % 4 ? 0.0 : rnd_price();
        s.risk_scale = rnd() % 5 ? 1.0 : rnd_price();
        if (rnd() % 50 == 0)
            s.struct_size = (uint32_t)(rnd() % sizeof s);
        gd_account_view a = flat(rnd() % 20 ? 10000.0 + (double)(rnd() % 100000) : rnd_price());
        /* Mostly honest claims; sometimes a lie, or no host price yet. */
        a.ref_price = rnd() % 5 ? s.entry : rnd() % 2 ? rnd_price() : 0.0;
        a.halted = rnd() % 4 == 0;
        a.tripped = rnd() % 8 == 0 ? "dd" : NULL;
        a.gross_exposure = (double)(rnd() % 25000);
        a.subscribed = rnd() % 10 != 0;
        uint32_t strat = (uint32_t)(rnd() % 3);
        gd_intent it;
        gd_pipeline_decide(&p, strat, &s, &a, &ov, rnd() % 2, t, &it);
        gd_pipeline_commit(&p, &it);
        if (it.result != GORDON_ACCEPTED || it.action != GORDON_ACTION_ENTRY)
            continue;
        accepted++;
        /* Never while halted or tripped. */
        assert_false(a.halted);
        assert_null(a.tripped);
        /* Sized and checked at the host's price, never at a claim. */
        assert_true(it.entry == a.ref_price);
        /* Always a valid stop on the losing side. */
        assert_true(isfinite(it.stop) && isfinite(it.entry) && it.entry > 0.0);
        if (it.side == GORDON_SIDE_LONG)
            assert_true(it.stop > 0.0 && it.stop < it.entry);
        else
            assert_true(it.side == GORDON_SIDE_SHORT && it.stop > it.entry);
        /* Finite positive quantity within every cap. */
        assert_true(isfinite(it.qty) && it.qty > 0.0);
        assert_true(it.notional <= l.max_order_notional);
        assert_true(a.gross_exposure + it.notional <= l.max_gross_exposure);
        int64_t day = (it.time_ms - T0) / DAY;
        if (day < 0 || day >= 64)
            fail_msg("day %lld outside the test's range", (long long)day);
        used[day] += it.notional;
        assert_true(used[day] <= l.max_daily_notional * (1.0 + 1e-12));
        /* Never more risk than the budget: qty x |entry - stop| <= equity x risk%. */
        assert_true(it.qty * fabs(it.entry - it.stop) <= a.equity * l.risk_pct / 100.0 * (1.0 + 1e-9));
    }
    assert_true(accepted > 100); /* the test must exercise the accept path */
    gd_pipeline_free(&p);
}

/* A run with no trade says why in words, most frequent reason first. */
static void test_reject_explain(void **state)
{
    (void)state;
    char buf[512];
    uint64_t r[GORDON_REJECT__COUNT] = {0};
    gd_reject_explain(buf, sizeof buf, 0, r, 3);
    assert_string_equal(buf, "no signals");
    r[GORDON_REJECT_BELOW_MIN_QTY] = 14;
    r[GORDON_REJECT_STOP_SIDE] = 398;
    gd_reject_explain(buf, sizeof buf, 412, r, 3);
    assert_string_equal(buf, "412 signals, all rejected: 398 stop on the wrong side of the host's price, "
                             "14 below min_qty");
    r[GORDON_REJECT_OVERLAY_VETO] = 7;
    r[GORDON_REJECT_THROTTLED] = 2;
    r[GORDON_REJECT_HALTED] = 2;
    r[GORDON_ACCEPTED] = 3;
    gd_reject_explain(buf, sizeof buf, 426, r, 2);
    assert_string_equal(buf, "426 signals, 3 accepted, 423 rejected: 398 stop on the wrong side of the host's "
                             "price, 14 below min_qty, 11 for 3 other reasons");
    /* Cut short, still terminated. */
    gd_reject_explain(buf, 20, 426, r, 2);
    assert_string_equal(buf, "426 signals, 3 acce");
    memset(r, 0, sizeof r);
    r[GORDON_ACCEPTED] = 1;
    gd_reject_explain(buf, sizeof buf, 1, r, 3);
    assert_string_equal(buf, "1 signal, 1 accepted, none rejected");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_reject_explain),
        cmocka_unit_test(test_entry_claims),
        cmocka_unit_test(test_overlays_cannot_cast_away_const),
        cmocka_unit_test(test_sizing),
        cmocka_unit_test(test_sizing_allocation),
        cmocka_unit_test(test_min_qty_and_notional),
        cmocka_unit_test(test_leverage_never_changes_qty),
        cmocka_unit_test(test_stop_loss_rules),
        cmocka_unit_test(test_overlays_only_tighten),
        cmocka_unit_test(test_overlays_asked_ahead_keep_the_chain),
        cmocka_unit_test(test_order_cap_clamps),
        cmocka_unit_test(test_daily_cap_across_utc_midnight),
        cmocka_unit_test(test_gross_exposure_cap),
        cmocka_unit_test(test_throttle),
        cmocka_unit_test(test_halt_and_breakers),
        cmocka_unit_test(test_position_rules),
        cmocka_unit_test(test_property_hostile_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
