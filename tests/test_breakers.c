/* The breaker plugins connectivity, vpin, correlation and macro, loaded as the
 * host loads them (dlopen of the built .so from $GD_PLUGIN_DIR, after the
 * loader's import audit and descriptor checks) and driven through the fake
 * host, which calls evaluate() the way the engine does: one result per
 * instance that persists between calls, state/value/threshold reset, reason
 * kept. Expected values are worked out by hand in the comments. */
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
#include "plugin/loader.h"

#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)
#define T0 INT64_C(1704067200000) /* Monday 2024-01-01 00:00 UTC */

/* ------------------------------------------------------------ loading */

enum { B_CONN, B_VPIN, B_CORR, B_MACRO, B_N };
static const char *const plugin_names[B_N] = {"connectivity", "vpin", "correlation", "macro"};
static void *handles[B_N];
static const gordon_plugin *descs[B_N];

static int plugin_path(int i, char *path, size_t len)
{
    const char *dir = getenv("GD_PLUGIN_DIR");
    if (!dir) {
        fprintf(stderr, "GD_PLUGIN_DIR is not set\n");
        return -1;
    }
    snprintf(path, len, "%s/%s.so", dir, plugin_names[i]);
    return 0;
}

static int load_all(void **state)
{
    (void)state;
    return fh_load_plugins(plugin_names, B_N, handles, descs);
}

static int unload_all(void **state)
{
    (void)state;
    fh_unload_plugins(handles, B_N);
    return 0;
}

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

/* Expects create to fail (params accepted by the host); returns the message. */
static void expect_create_fails(int which, const char *const *params, uint32_t nsym, char *err,
                                size_t err_len)
{
    fh_host *h = fh_new(descs[which], params, nsym, err, err_len);
    assert_non_null(h);
    assert_int_not_equal(fh_create_instance(h, err, err_len), 0);
    assert_true(strlen(err) > 0);
    fh_free(h);
}

/* Expects the host to refuse the params (range checks). */
static void expect_params_refused(int which, const char *const *params)
{
    char err[256] = "";
    fh_host *h = fh_new(descs[which], params, 1, err, sizeof err);
    assert_null(h);
    assert_true(strlen(err) > 0);
}

static gordon_breaker_input input_at(int64_t now, int64_t last_data, int64_t last_venue)
{
    gordon_breaker_input in;
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.now_ms = now;
    in.equity = 10000;
    in.last_data_ms = last_data;
    in.last_venue_ms = last_venue;
    return in;
}

/* Evaluates through the fake host; returns the state. */
static int ev_in(fh_host *h, const gordon_breaker_input *in)
{
    const gordon_breaker_result *r = fh_breaker_result(h);
    assert_int_equal(fh_evaluate(h, in), 0);
    assert_true(memchr(r->reason, '\0', sizeof r->reason) != NULL);
    assert_true(r->state >= GORDON_BREAKER_OK && r->state <= GORDON_BREAKER_TRIPPED);
    if (r->state != GORDON_BREAKER_OK)
        assert_true(r->reason[0] != '\0');
    return r->state;
}

static int ev(fh_host *h, int64_t now)
{
    gordon_breaker_input in = input_at(now, now, 0);
    return ev_in(h, &in);
}

static const gordon_breaker_result *res(fh_host *h) { return fh_breaker_result(h); }

/* Marks the kept reason so a test can see whether evaluate rewrote it. */
static void poison(fh_host *h) { snprintf(fh_breaker_result(h)->reason, 96, "poison"); }

static gordon_bar mkbar(int i, double close, double volume)
{
    gordon_bar b;
    b.open_time_ms = T0 + (int64_t)i * HOUR_MS;
    b.close_time_ms = b.open_time_ms + HOUR_MS;
    b.open = b.high = b.low = b.close = close;
    b.volume = volume;
    return b;
}

static void bar(fh_host *h, uint32_t sym, int i, double close, double volume)
{
    gordon_bar b = mkbar(i, close, volume);
    fh_bar(h, sym, &b);
}

/* Round-trips a snapshot of a's instance into b's; returns restore's result. */
static int snap_into(int which, fh_host *a, fh_host *b)
{
    size_t need = descs[which]->snapshot(fh_instance(a), NULL, 0), got;
    unsigned char *buf;
    int rc;
    assert_true(need > 0);
    buf = malloc(need);
    assert_non_null(buf);
    assert_int_equal(descs[which]->snapshot(fh_instance(a), buf, need - 1), need);
    got = descs[which]->snapshot(fh_instance(a), buf, need);
    assert_int_equal(got, need);
    rc = descs[which]->restore(fh_instance(b), buf, got);
    free(buf);
    return rc;
}

/* Truncated, too long, NULL, corrupted magic and version are refused. */
static void assert_bad_blobs_refused(int which, fh_host *a)
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
    buf[4] ^= 0x01;
    assert_int_not_equal(descs[which]->restore(fh_instance(a), buf, need), 0);
    buf[4] ^= 0x01;
    assert_int_equal(descs[which]->restore(fh_instance(a), buf, need), 0);
    free(buf);
}

/* Writes v at byte offset off of a snapshot of a and expects restore to refuse it. */
static void assert_corrupt_refused(int which, fh_host *a, size_t off, const void *v, size_t vlen)
{
    size_t need = descs[which]->snapshot(fh_instance(a), NULL, 0);
    unsigned char *buf = malloc(need);
    assert_non_null(buf);
    assert_true(off + vlen <= need);
    assert_int_equal(descs[which]->snapshot(fh_instance(a), buf, need), need);
    memcpy(buf + off, v, vlen);
    assert_int_not_equal(descs[which]->restore(fh_instance(a), buf, need), 0);
    free(buf);
}

/* ------------------------------------------------------------ descriptors */

static void test_descriptors(void **state)
{
    int i;
    uint32_t j;
    (void)state;
    for (i = 0; i < B_N; i++) {
        char path[4096];
        gd_plugin_lib lib;
        gd_err err;
        const gordon_plugin *d = descs[i];
        memset(&lib, 0, sizeof lib);
        assert_int_equal(plugin_path(i, path, sizeof path), 0);
        /* the loader's import audit (no I/O, getenv, ...) and descriptor checks */
        if (gd_loader_open(path, &lib, &err) != GD_OK)
            fail_msg("%s: %s", path, err.msg);
        gd_loader_close(&lib);
        assert_int_equal(d->kind, GORDON_KIND_BREAKER);
        assert_string_equal(d->name, plugin_names[i]);
        assert_string_equal(d->version, "1.0.0");
        assert_true(d->description && strlen(d->description) > 10);
        assert_non_null(d->evaluate);
        assert_true(d->n_params >= 3);
        for (j = 0; j < d->n_params; j++)
            assert_true(d->params[j].help && strlen(d->params[j].help) > 10);
        /* hot reload where there is state worth keeping */
        assert_true((d->snapshot != NULL) == (i != B_CONN));
        assert_true((d->restore != NULL) == (i != B_CONN));
    }
}

/* ------------------------------------------------------------ connectivity */

static void test_connectivity_data_age(void **state)
{
    static const char *const p[] = {"max_data_age_ms=10000", "max_venue_age_ms=0", NULL};
    fh_host *h = make(B_CONN, p, 1);
    gordon_breaker_input in;
    (void)state;
    /* no data seen yet: nothing to judge */
    in = input_at(T0 + 10 * DAY_MS, 0, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 0);
    assert_true(res(h)->threshold == 10000);
    in = input_at(T0 + 4999, T0, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 4999);
    assert_true(res(h)->threshold == 10000);
    /* warn_pct 50: exactly 5000 ms warns */
    in = input_at(T0 + 5000, T0, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_WARN);
    assert_true(res(h)->value == 5000);
    assert_string_equal(res(h)->reason, "market data 5.0 s old (warn 5.0 s, trips at 10.0 s)");
    /* same state: the reason is not rewritten, the value is live */
    poison(h);
    in = input_at(T0 + 9999, T0, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_WARN);
    assert_true(res(h)->value == 9999);
    assert_string_equal(res(h)->reason, "poison");
    /* exactly the limit trips */
    in = input_at(T0 + 10000, T0, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->value == 10000);
    assert_true(res(h)->threshold == 10000);
    assert_string_equal(res(h)->reason, "no market data for 10.0 s (limit 10.0 s)");
    poison(h);
    in = input_at(T0 + 99000, T0, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_TRIPPED);
    assert_string_equal(res(h)->reason, "poison");
    /* fresh data: OK, reason cleared */
    in = input_at(T0 + 99000, T0 + 98000, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_OK);
    assert_string_equal(res(h)->reason, "");
    assert_true(res(h)->value == 1000);
    /* a timestamp ahead of the clock counts as age 0 */
    in = input_at(T0, T0 + 5000, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 0);
    /* the host losing its data time after data was seen fails closed */
    in = input_at(T0 + 99000, 0, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_TRIPPED);
    assert_non_null(strstr(res(h)->reason, "went back to 0"));
    fh_free(h);
}

static void test_connectivity_venue(void **state)
{
    /* defaults: data 120 s, venue 60 s, warn at 50% */
    fh_host *h = make(B_CONN, NULL, 1);
    gordon_breaker_input in;
    (void)state;
    /* data 70 s old (warn: 70 >= 60, 58% of its limit), venue 59.999 s
     * (warn: 99.998% of its limit): the venue is nearer its limit and decides */
    in = input_at(T0 + 100000, T0 + 30000, T0 + 40001);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_WARN);
    assert_true(res(h)->value == 59999);
    assert_true(res(h)->threshold == 60000);
    assert_string_equal(res(h)->reason,
                        "last venue reply 60.0 s ago (warn 30.0 s, trips at 60.0 s)");
    /* venue exactly at its limit trips, although data is younger than its own */
    in = input_at(T0 + 100000, T0 + 30000, T0 + 40000);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->value == 60000);
    assert_true(res(h)->threshold == 60000);
    assert_string_equal(res(h)->reason, "no venue reply for 60.0 s (limit 60.0 s)");
    /* the deciding channel changes within TRIPPED: the reason follows */
    in = input_at(T0 + 200000, T0 + 30000, T0 + 190000);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->value == 170000);
    assert_true(res(h)->threshold == 120000);
    assert_string_equal(res(h)->reason, "no market data for 170.0 s (limit 120.0 s)");
    /* last_venue_ms 0: no venue (replay), only data counts */
    in = input_at(T0 + 100000, T0 + 30000, 0);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_WARN);
    assert_true(res(h)->value == 70000);
    assert_true(res(h)->threshold == 120000);
    /* an SDK 1.0 input (no last_venue_ms field) is not read past its size */
    in = input_at(T0 + 100000, T0 + 99000, T0);
    in.struct_size = offsetof(gordon_breaker_input, last_venue_ms);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 1000);
    /* venue known, no data yet: the venue alone */
    fh_free(h);
    h = make(B_CONN, NULL, 1);
    in = input_at(T0 + 100000, 0, T0 + 20000);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->value == 80000);
    fh_free(h);
}

static void test_connectivity_params(void **state)
{
    static const char *const equal[] = {"max_data_age_ms=60000", "max_venue_age_ms=60000", NULL};
    static const char *const off[] = {"max_data_age_ms=10000", "max_venue_age_ms=0",
                                      "warn_pct=100", NULL};
    static const char *const low[] = {"max_data_age_ms=999", NULL};
    static const char *const high[] = {"max_data_age_ms=86400001", NULL};
    static const char *const neg[] = {"max_venue_age_ms=-1", NULL};
    static const char *const wp[] = {"warn_pct=0", NULL};
    fh_host *h = make(B_CONN, equal, 1);
    gordon_breaker_input in;
    (void)state;
    /* equal limits: the value is the older of the two ages */
    in = input_at(T0 + 100000, T0 + 99000, T0 + 80000);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 20000);
    in = input_at(T0 + 100000, T0 + 50000, T0 + 80000);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_WARN);
    assert_true(res(h)->value == 50000);
    assert_non_null(strstr(res(h)->reason, "market data"));
    fh_free(h);
    /* warn_pct 100: no warn stage; venue check off ignores a dead venue */
    h = make(B_CONN, off, 1);
    in = input_at(T0 + 9999, T0, T0 - DAY_MS);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_OK);
    in = input_at(T0 + 10000, T0, T0 - DAY_MS);
    assert_int_equal(ev_in(h, &in), GORDON_BREAKER_TRIPPED);
    fh_free(h);
    expect_params_refused(B_CONN, low);
    expect_params_refused(B_CONN, high);
    expect_params_refused(B_CONN, neg);
    expect_params_refused(B_CONN, wp);
}

/* ------------------------------------------------------------ vpin */

/* The erf fixture: sigma_window 2, bucket_volume 100, n_buckets 2.
 *   bar  close  volume  dP   sigma window (before)  sigma               f = Phi(dP/sigma)
 *   0    100    10      -    -                      -                   (first price)
 *   1    101    10      +1   -                      -                   (fills the window)
 *   2    100    10      -1   [1]                    -                   (fills the window)
 *   3    102    150     +2   [1, -1]                sqrt(2)             Phi(sqrt 2) = (1 + erf 1)/2
 *   4    101    100     -1   [-1, 2]                sqrt(4.5)           Phi(-1/sqrt 4.5) = (1 - erf(1/3))/2
 *   5    100    100     -1   [2, -1]                sqrt(4.5)           (1 - erf(1/3))/2
 * (sample standard deviations: [1,-1] mean 0, (1 + 1)/1 = 2; [-1,2] and [2,-1]
 *  mean 0.5, (2.25 + 2.25)/1 = 4.5; -1/sqrt(4.5)/sqrt(2) = -1/3.)
 * A part of volume v with fraction f has V_buy - V_sell = v (2f - 1), and
 * 2f - 1 = erf(dP / (sigma sqrt 2)): +erf(1) for bar 3, -erf(1/3) for 4 and 5.
 * erf(1) = 0.8427007929497149, erf(1/3) = 0.36264811176606293.
 *   bucket 1: 100 of bar 3                    |100 erf 1|            = 84.2700792949715
 *   bucket 2: 50 of bar 3 + 50 of bar 4       |50 erf 1 - 50 erf 1/3| = 24.0026340591826
 *   bucket 3: 50 of bar 4 + 50 of bar 5       |-100 erf 1/3|          = 36.264811176606294
 *   (50 of bar 5 stay in the open bucket 4)
 * VPIN after bar 4 = (84.2700792949715 + 24.0026340591826) / (2 x 100) = 0.5413635667707705
 * VPIN after bar 5 = (24.0026340591826 + 36.264811176606294) / 200    = 0.3013372261789445 */
static void test_vpin_hand_erf(void **state)
{
    static const char *const p[] = {"sigma_window=2", "bucket_volume=100", "n_buckets=2",
                                     "threshold=0.6", "warn=0.5", NULL};
    fh_host *h = make(B_VPIN, p, 1);
    (void)state;
    bar(h, 0, 0, 100, 10);
    bar(h, 0, 1, 101, 10);
    bar(h, 0, 2, 100, 10);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    bar(h, 0, 3, 102, 150);
    /* one full bucket of two: not yet measurable */
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 0);
    assert_true(res(h)->threshold == 0.6);
    bar(h, 0, 4, 101, 100);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN);
    assert_true(fabs(res(h)->value - 0.5413635667707705) < 1e-12);
    assert_string_equal(res(h)->reason, "VPIN 0.5414 >= warn 0.5000 on S0 (trips at 0.6000)");
    bar(h, 0, 5, 100, 100);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(fabs(res(h)->value - 0.3013372261789445) < 1e-12);
    assert_string_equal(res(h)->reason, "");
    fh_free(h);
}

/* The exact fixture: sigma_window 2, bucket_volume 100, n_buckets 2. Closes
 * 100, 101, 102 fill the window with [+1, +1]: no variance, so f is the
 * limit (1 up, 0 down, 1/2 unchanged).
 *   bar 3: 103, volume 100, dP +1, f = 1   -> bucket 1 = |100 - 0| = 100
 *   bar 4: 104, volume  50, dP +1, f = 1   -> open bucket: buy 50
 *   bar 5: 104, volume  50, dP  0, f = 1/2 -> buy 75, sell 25: bucket 2 = 50
 * VPIN = (100 + 50) / 200 = 0.75 exactly. */
static fh_host *vpin_exact(const char *threshold, const char *warn)
{
    char t[64], w[64];
    const char *p[] = {"sigma_window=2", "bucket_volume=100", "n_buckets=2", t, w, NULL};
    fh_host *h;
    snprintf(t, sizeof t, "threshold=%s", threshold);
    snprintf(w, sizeof w, "warn=%s", warn);
    h = make(B_VPIN, p, 1);
    bar(h, 0, 0, 100, 10);
    bar(h, 0, 1, 101, 10);
    bar(h, 0, 2, 102, 10);
    bar(h, 0, 3, 103, 100);
    bar(h, 0, 4, 104, 50);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK); /* one bucket: value 0 */
    assert_true(res(h)->value == 0);
    bar(h, 0, 5, 104, 50);
    return h;
}

static void test_vpin_threshold_exact(void **state)
{
    fh_host *h;
    (void)state;
    h = vpin_exact("0.75", "0"); /* warn 0 = 90% = 0.675 */
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->value == 0.75);
    assert_true(res(h)->threshold == 0.75);
    assert_string_equal(res(h)->reason, "VPIN 0.7500 >= 0.7500 on S0 (2 buckets of 100)");
    poison(h);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_string_equal(res(h)->reason, "poison");
    fh_free(h);
    /* just below the threshold: warn, exactly at the warn level */
    h = vpin_exact("0.7500001", "0.75");
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN);
    fh_free(h);
    h = vpin_exact("0.76", "0.7500001");
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    fh_free(h);
}

static void test_vpin_spill_and_zero_volume(void **state)
{
    static const char *const p[] = {"sigma_window=2", "bucket_volume=100", "n_buckets=2",
                                     "threshold=1", NULL};
    fh_host *h = make(B_VPIN, p, 1);
    (void)state;
    bar(h, 0, 0, 100, 10);
    bar(h, 0, 1, 101, 10);
    bar(h, 0, 2, 102, 10); /* window [1, 1], sigma 0 */
    /* 350 at f = 1: buckets 100, 100, 100 (all imbalance 100) and 50 open */
    bar(h, 0, 3, 103, 350);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->value == 1.0);
    /* a zero-volume bar contributes nothing, not even its price */
    bar(h, 0, 4, 50, 0);
    /* dP from 103, not 50: 0, f = 1/2: 50 more closes bucket 4 at |75 - 25| = 50 */
    bar(h, 0, 5, 103, 50);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK); /* below warn 0.9 */
    assert_true(res(h)->value == 0.75);
    assert_string_equal(res(h)->reason, "");
    /* a bar of a million buckets at f = 1/2 (dP 0): all imbalances 0 */
    bar(h, 0, 6, 103, 1e8);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 0);
    /* bad bars are ignored */
    bar(h, 0, 7, NAN, 100);
    bar(h, 0, 8, 103, -5);
    bar(h, 0, 9, 103, INFINITY);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    fh_free(h);
}

static void test_vpin_max_over_symbols(void **state)
{
    static const char *const p[] = {"sigma_window=2", "bucket_volume=100", "n_buckets=2",
                                     "threshold=0.9", "warn=0.7", NULL};
    fh_host *h = make(B_VPIN, p, 3);
    int s;
    (void)state;
    for (s = 0; s < 2; s++) {
        bar(h, (uint32_t)s, 0, 100, 10);
        bar(h, (uint32_t)s, 1, 101, 10);
        bar(h, (uint32_t)s, 2, 102, 10);
    }
    /* S0: the exact fixture, 0.75 */
    bar(h, 0, 3, 103, 100);
    bar(h, 0, 4, 104, 50);
    bar(h, 0, 5, 104, 50);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN);
    assert_true(res(h)->value == 0.75);
    assert_non_null(strstr(res(h)->reason, "on S0"));
    /* S1: two buckets at f = 1: 1.0, the max */
    bar(h, 1, 3, 103, 200);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->value == 1.0);
    assert_string_equal(res(h)->reason, "VPIN 1.0000 >= 0.9000 on S1 (2 buckets of 100)");
    /* S1 calms down (dP 0: imbalance 0 twice) -> S0 decides again, named */
    bar(h, 1, 4, 103, 200);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN);
    assert_true(res(h)->value == 0.75);
    assert_non_null(strstr(res(h)->reason, "on S0"));
    fh_free(h);
}

static void test_vpin_params(void **state)
{
    static const char *const unset[] = {NULL};
    static const char *const warn_hi[] = {"bucket_volume=10", "threshold=0.5", "warn=0.5", NULL};
    static const char *const sw[] = {"bucket_volume=10", "sigma_window=1", NULL};
    static const char *const nb[] = {"bucket_volume=10", "n_buckets=0", NULL};
    static const char *const th[] = {"bucket_volume=10", "threshold=1.5", NULL};
    static const char *const neg[] = {"bucket_volume=-1", NULL};
    char err[256];
    (void)state;
    expect_create_fails(B_VPIN, unset, 1, err, sizeof err);
    assert_non_null(strstr(err, "bucket_volume"));
    expect_create_fails(B_VPIN, warn_hi, 1, err, sizeof err);
    assert_non_null(strstr(err, "warn"));
    expect_params_refused(B_VPIN, sw);
    expect_params_refused(B_VPIN, nb);
    expect_params_refused(B_VPIN, th);
    expect_params_refused(B_VPIN, neg);
}

static void test_vpin_snapshot(void **state)
{
    static const char *const p[] = {"sigma_window=3", "bucket_volume=100", "n_buckets=3",
                                     "threshold=0.9", NULL};
    static const char *const other[] = {"sigma_window=3", "bucket_volume=101", "n_buckets=3",
                                         "threshold=0.9", NULL};
    static const double closes[] = {100, 101, 99, 102, 101, 103, 100, 104, 101, 99, 98, 103, 102};
    static const double vols[] = {40, 70, 30, 90, 130, 20, 260, 50, 80, 10, 120, 75, 66};
    fh_host *a = make(B_VPIN, p, 2), *b = make(B_VPIN, p, 2), *c = make(B_VPIN, other, 2);
    int i;
    (void)state;
    for (i = 0; i < 8; i++) {
        bar(a, 0, i, closes[i], vols[i]);
        bar(a, 1, i, closes[12 - i], vols[12 - i]);
    }
    assert_int_equal(snap_into(B_VPIN, a, b), 0);
    /* same future -> same numbers, bit for bit */
    for (i = 8; i < 13; i++) {
        bar(a, 0, i, closes[i], vols[i]);
        bar(b, 0, i, closes[i], vols[i]);
        bar(a, 1, i, closes[12 - i], vols[12 - i]);
        bar(b, 1, i, closes[12 - i], vols[12 - i]);
        assert_int_equal(ev(a, T0), ev(b, T0));
        assert_true(res(a)->value == res(b)->value);
    }
    assert_true(res(a)->value > 0);
    assert_bad_blobs_refused(B_VPIN, a);
    {
        /* header 32 bytes; symbol 0: 6 x u32, then prev_close, open_buy,
         * open_sell, dx_sum (at 32 + 48), dx_sq, imb_sum, dx[] (at 32 + 72) */
        const double big = 1e9, nan = NAN;
        const uint32_t two = 2;
        assert_corrupt_refused(B_VPIN, a, 32 + 48, &big, sizeof big);
        assert_corrupt_refused(B_VPIN, a, 32 + 72, &nan, sizeof nan);
        assert_corrupt_refused(B_VPIN, a, 32, &two, sizeof two);
    }
    /* a snapshot taken with another bucket size is refused */
    assert_int_not_equal(snap_into(B_VPIN, a, c), 0);
    assert_non_null(strstr(fh_last_log(c), "bucket_volume"));
    fh_free(a);
    fh_free(b);
    fh_free(c);
}

/* ------------------------------------------------------------ correlation */

/* Window 12 of log returns, a = 0.01:
 *   x = a [+1 -1 +1 -1 ...]          (period 2)
 *   z = a [+1 +1 -1 -1 ...]          (period 4)
 * Both have mean 0 over 12 and x.z = 0 (each block of 4: 1 - 1 - 1 + 1), so
 *   r(x, 2x) = 1, r(x, -x) = -1, r(x, z) = 0,
 *   r(x, x + z) = x.x / (|x| sqrt(2) |x|) = 1/sqrt 2 = 0.7071067811865475,
 *   r(z, x + z) = 1/sqrt 2.
 * Symbols: S0 = x, S1 = 2x, S2 = -x, S3 = z, S4 = x + z. Prices are
 * 100 exp(cumulative return), so log(p_t / p_t-1) gives the returns back to
 * about 1e-16. */
#define CW 12
static double ret_of(int sym, int t)
{
    double x = (t % 2 == 0) ? 0.01 : -0.01, z = (t % 4 < 2) ? 0.01 : -0.01;
    switch (sym) {
    case 0: return x;
    case 1: return 2 * x;
    case 2: return -x;
    case 3: return z;
    default: return x + z;
    }
}

/* Feeds bars t0..t1-1 of every symbol (bar t carries return t - 1). */
static void corr_feed(fh_host *h, int nsym, int t0, int t1)
{
    int s, t;
    for (t = t0; t < t1; t++)
        for (s = 0; s < nsym; s++) {
            double lp = log(100.0);
            int j;
            for (j = 0; j < t; j++)
                lp += ret_of(s, j);
            bar(h, (uint32_t)s, t, exp(lp), 1);
        }
}

static void expose_only(fh_host *h, int nsym, unsigned mask)
{
    int s;
    for (s = 0; s < nsym; s++)
        fh_set_exposure(h, (uint32_t)s, (mask >> s) & 1 ? 1.0 : 0.0, 0.0);
}

static void test_correlation_hand(void **state)
{
    /* threshold 1/sqrt 2, warn sqrt(2)/3 */
    static const char *const p[] = {"window=12", "threshold=0.7071067811865475",
                                     "warn=0.47140452079103173", NULL};
    fh_host *h = make(B_CORR, p, 5);
    (void)state;
    /* 12 bars: 11 returns, no full window yet, even with everything exposed */
    corr_feed(h, 5, 0, CW);
    expose_only(h, 5, 0x1f);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 0);
    corr_feed(h, 5, CW, CW + 1);
    /* nothing exposed / one symbol: OK, value 0 */
    expose_only(h, 5, 0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 0);
    expose_only(h, 5, 0x01);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 0);
    /* {S0, S3}: independent, 0 */
    expose_only(h, 5, 0x09);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value < 1e-12);
    assert_true(res(h)->threshold == 0.7071067811865475);
    /* {S0, S1, S3}: (1 + 0 + 0) / 3 = 1/3: below warn */
    expose_only(h, 5, 0x0b);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(fabs(res(h)->value - 1.0 / 3) < 1e-12);
    /* {S0, S3, S4}: (0 + 1/sqrt 2 + 1/sqrt 2) / 3 = sqrt(2)/3: exactly the warn level */
    expose_only(h, 5, 0x19);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN);
    assert_true(fabs(res(h)->value - 0.47140452079103173) < 1e-12);
    /* (S0, S4) and (S3, S4) tie at 1/sqrt 2, up to rounding: either is named */
    assert_non_null(strstr(res(h)->reason, "correlation density 0.471 >= warn 0.471 over 3 "
                                           "exposed symbols (max |r| 0.707 S"));
    /* {S0, S4}: 1/sqrt 2, exactly the threshold */
    expose_only(h, 5, 0x11);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(fabs(res(h)->value - 0.7071067811865475) < 1e-12);
    assert_string_equal(res(h)->reason, "correlation density 0.707 >= 0.707 over 2 exposed "
                                        "symbols (max |r| 0.707 S0/S4)");
    /* {S0, S2}: anti-correlated, |-1| = 1; still tripped: reason kept */
    poison(h);
    expose_only(h, 5, 0x05);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(fabs(res(h)->value - 1) < 1e-12);
    assert_string_equal(res(h)->reason, "poison");
    /* {S0, S1, S2}: all |r| = 1; pending entries count as exposure */
    expose_only(h, 5, 0x01);
    fh_set_exposure(h, 1, 0, 0.5);
    fh_set_exposure(h, 2, 0, 2.0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(fabs(res(h)->value - 1) < 1e-12);
    /* the ring wraps: 7 more bars, the last 12 returns are returns 7..18:
     * both patterns shifted, still zero-mean and orthogonal over 12, so the
     * same correlations */
    corr_feed(h, 5, CW + 1, CW + 8);
    expose_only(h, 5, 0x19);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN);
    assert_true(fabs(res(h)->value - 0.47140452079103173) < 1e-12);
    expose_only(h, 5, 0x09);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value < 1e-12);
    assert_string_equal(res(h)->reason, "");
    fh_free(h);
}

/* Threshold 1: perfectly correlated returns trip although they compute as
 * 1 - 1 ulp; a flat price has no variance and correlates with nothing. */
static void test_correlation_threshold_one_and_flat(void **state)
{
    static const char *const p[] = {"window=12", "threshold=1", "warn=0.5", NULL};
    fh_host *h = make(B_CORR, p, 3);
    int t;
    (void)state;
    corr_feed(h, 2, 0, CW + 1);
    for (t = 0; t <= CW; t++)
        bar(h, 2, t, 50, 1);
    expose_only(h, 3, 0x03);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->threshold == 1);
    /* {S0, S1, flat S2}: (1 + 0 + 0) / 3 */
    expose_only(h, 3, 0x07);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(fabs(res(h)->value - 1.0 / 3) < 1e-12);
    /* bad closes are ignored */
    bar(h, 2, CW + 1, 0, 1);
    bar(h, 2, CW + 2, NAN, 1);
    bar(h, 2, CW + 3, -3, 1);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(fabs(res(h)->value - 1.0 / 3) < 1e-12);
    fh_free(h);
}

/* Alignment is by bar count: S1 starts 5 bars earlier (its ring wraps at a
 * different place), yet its last 12 returns pair with S0's bar for bar. */
static void test_correlation_alignment(void **state)
{
    static const char *const p[] = {"window=12", NULL};
    fh_host *h = make(B_CORR, p, 2);
    int t;
    (void)state;
    for (t = 0; t < 5; t++)
        bar(h, 1, t, 100 + t, 1); /* older history, then a jump */
    corr_feed(h, 2, 0, CW + 1);
    expose_only(h, 2, 0x03);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED); /* 1 >= 0.8 */
    assert_true(fabs(res(h)->value - 1) < 1e-12);
    fh_free(h);
}

static void test_correlation_snapshot_and_params(void **state)
{
    static const char *const p[] = {"window=12", NULL};
    static const char *const p13[] = {"window=13", NULL};
    static const char *const small[] = {"window=9", NULL};
    static const char *const big[] = {"window=5001", NULL};
    static const char *const warn_hi[] = {"threshold=0.5", "warn=0.6", NULL};
    fh_host *a = make(B_CORR, p, 5), *b = make(B_CORR, p, 5), *c = make(B_CORR, p13, 5);
    char err[256];
    (void)state;
    corr_feed(a, 5, 0, CW + 3);
    assert_int_equal(snap_into(B_CORR, a, b), 0);
    expose_only(a, 5, 0x19);
    expose_only(b, 5, 0x19);
    assert_int_equal(ev(a, T0), GORDON_BREAKER_OK); /* sqrt(2)/3 < warn 0.72 */
    assert_int_equal(ev(b, T0), GORDON_BREAKER_OK);
    assert_true(res(a)->value == res(b)->value);
    assert_true(fabs(res(b)->value - 0.47140452079103173) < 1e-12);
    corr_feed(a, 5, CW + 3, CW + 4);
    corr_feed(b, 5, CW + 3, CW + 4);
    expose_only(a, 5, 0x1f);
    expose_only(b, 5, 0x1f);
    ev(a, T0);
    ev(b, T0);
    assert_true(res(a)->value == res(b)->value);
    assert_bad_blobs_refused(B_CORR, a);
    {
        /* header 16 bytes; symbol 0: have_prev, n, prev_close, ret[] (at 16 + 16) */
        const double nan = NAN, neg = -1;
        const uint32_t n13 = 13;
        assert_corrupt_refused(B_CORR, a, 16 + 16, &nan, sizeof nan);
        assert_corrupt_refused(B_CORR, a, 16 + 8, &neg, sizeof neg);
        assert_corrupt_refused(B_CORR, a, 16 + 4, &n13, sizeof n13);
    }
    /* another window: refused */
    assert_int_not_equal(snap_into(B_CORR, a, c), 0);
    /* an SDK 1.0 host has no exposure(): create refuses */
    {
        fh_host *h = fh_new(descs[B_CORR], NULL, 2, err, sizeof err);
        assert_non_null(h);
        fh_set_api_size(h, (uint32_t)offsetof(gordon_host_api, exposure));
        assert_int_not_equal(fh_create_instance(h, err, sizeof err), 0);
        assert_non_null(strstr(err, "SDK 1.1"));
        fh_free(h);
    }
    expect_params_refused(B_CORR, small);
    expect_params_refused(B_CORR, big);
    expect_create_fails(B_CORR, warn_hi, 2, err, sizeof err);
    assert_non_null(strstr(err, "warn"));
    fh_free(a);
    fh_free(b);
    fh_free(c);
}

/* ------------------------------------------------------------ macro */

static void set_point(fh_host *h, const char *id, double value, double prev, int stale,
                      int64_t fetched)
{
    gordon_series_point pt;
    memset(&pt, 0, sizeof pt);
    pt.struct_size = sizeof pt;
    pt.stale = stale;
    pt.obs_ms = T0 - DAY_MS;
    pt.fetched_ms = fetched;
    pt.value = value;
    pt.prev_value = prev;
    fh_set_series(h, id, &pt);
}

static void test_macro_create(void **state)
{
    static const char *const hy[] = {"series=BAMLH0A0HYM2", NULL};
    static const char *const bad_mode[] = {"mode=levels", NULL};
    static const char *const empty[] = {"series=", NULL};
    static const char *const warn_hi[] = {"threshold=30", "warn=31", NULL};
    static const char *const stale_lo[] = {"max_stale_ms=59999", NULL};
    fh_host *h = make(B_MACRO, NULL, 1);
    char err[256];
    (void)state;
    assert_int_equal(fh_series_subscribed_count(h), 1);
    assert_string_equal(fh_series_subscribed(h, 0), "VIXCLS");
    fh_free(h);
    h = make(B_MACRO, hy, 1);
    assert_string_equal(fh_series_subscribed(h, 0), "BAMLH0A0HYM2");
    fh_free(h);
    /* no data source configured in the host */
    h = fh_new(descs[B_MACRO], NULL, 1, err, sizeof err);
    assert_non_null(h);
    fh_set_series_subscribe_result(h, -1);
    assert_int_not_equal(fh_create_instance(h, err, sizeof err), 0);
    assert_non_null(strstr(err, "no macro data source configured: set [fred] api_key"));
    fh_free(h);
    /* a host older than SDK 1.1 */
    h = fh_new(descs[B_MACRO], NULL, 1, err, sizeof err);
    assert_non_null(h);
    fh_set_api_size(h, (uint32_t)offsetof(gordon_host_api, exposure));
    assert_int_not_equal(fh_create_instance(h, err, sizeof err), 0);
    assert_non_null(strstr(err, "SDK 1.1"));
    assert_int_equal(fh_series_subscribed_count(h), 0);
    fh_free(h);
    expect_create_fails(B_MACRO, bad_mode, 1, err, sizeof err);
    assert_non_null(strstr(err, "mode"));
    expect_create_fails(B_MACRO, empty, 1, err, sizeof err);
    expect_create_fails(B_MACRO, warn_hi, 1, err, sizeof err);
    assert_non_null(strstr(err, "warn"));
    expect_params_refused(B_MACRO, stale_lo);
}

static void test_macro_level(void **state)
{
    /* threshold 30 (default), warn 0 -> 27 */
    fh_host *h = make(B_MACRO, NULL, 1);
    (void)state;
    set_point(h, "VIXCLS", 26.99, 25, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 26.99);
    assert_true(res(h)->threshold == 30);
    set_point(h, "VIXCLS", 27, 25, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN);
    assert_string_equal(res(h)->reason, "VIXCLS at 27 >= warn 27, trips at 30");
    set_point(h, "VIXCLS", 29.99, 25, 0, T0);
    poison(h);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN);
    assert_string_equal(res(h)->reason, "poison");
    set_point(h, "VIXCLS", 30, 25, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->value == 30);
    assert_string_equal(res(h)->reason, "VIXCLS at 30 >= 30");
    set_point(h, "VIXCLS", 45.5, 30, 0, T0);
    poison(h);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(res(h)->value == 45.5);
    assert_string_equal(res(h)->reason, "poison");
    set_point(h, "VIXCLS", 12, 45.5, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_string_equal(res(h)->reason, "");
    fh_free(h);
}

static void test_macro_change(void **state)
{
    static const char *const p[] = {"mode=change", "threshold=5", "warn=3", NULL};
    fh_host *h = make(B_MACRO, p, 1);
    (void)state;
    /* no previous observation: OK, value 0 */
    set_point(h, "VIXCLS", 40, NAN, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 0);
    /* 33.3 - 28.3 = 4.9999999999999964 in doubles: still "at" 5 */
    set_point(h, "VIXCLS", 33.3, 28.3, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_TRIPPED);
    assert_true(fabs(res(h)->value - 5) < 1e-12);
    assert_string_equal(res(h)->reason, "VIXCLS rose 5 >= 5 (28.3 to 33.3)");
    set_point(h, "VIXCLS", 33.29, 28.3, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN);
    set_point(h, "VIXCLS", 31.3, 28.3, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_WARN); /* 3 = warn */
    set_point(h, "VIXCLS", 31.2, 28.3, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    /* a fall is no rise */
    set_point(h, "VIXCLS", 20, 40, 0, T0);
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value == -20);
    fh_free(h);
}

static void test_macro_stale_and_no_data(void **state)
{
    /* max_stale_ms default: 3 days */
    fh_host *h = make(B_MACRO, NULL, 1);
    int64_t lim = 3 * DAY_MS;
    (void)state;
    /* subscribed, nothing fetched yet: OK until 3 days after the first evaluation */
    assert_int_equal(ev(h, T0), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 0);
    assert_int_equal(ev(h, T0 + lim), GORDON_BREAKER_OK);
    assert_int_equal(ev(h, T0 + lim + 1), GORDON_BREAKER_TRIPPED);
    assert_string_equal(res(h)->reason, "no data for series VIXCLS after 72 h");
    /* data arrives */
    set_point(h, "VIXCLS", 20, 19, 0, T0 + lim);
    assert_int_equal(ev(h, T0 + lim + 2), GORDON_BREAKER_OK);
    assert_true(res(h)->value == 20);
    /* stale flag, exactly max_stale_ms since the last good fetch: not yet */
    set_point(h, "VIXCLS", 20, 19, 1, T0 + lim);
    assert_int_equal(ev(h, T0 + 2 * lim), GORDON_BREAKER_OK);
    assert_int_equal(ev(h, T0 + 2 * lim + 1), GORDON_BREAKER_TRIPPED);
    assert_string_equal(res(h)->reason, "macro series VIXCLS stale for 72 h (limit 72 h)");
    assert_true(res(h)->value == 20); /* the last level, for the report */
    /* not flagged stale by the host: old fetch time alone does not trip */
    set_point(h, "VIXCLS", 20, 19, 0, T0 + lim);
    assert_int_equal(ev(h, T0 + 5 * lim), GORDON_BREAKER_OK);
    /* stale and over the level: the staleness is named first */
    set_point(h, "VIXCLS", 50, 19, 1, T0);
    assert_int_equal(ev(h, T0 + 5 * lim), GORDON_BREAKER_TRIPPED);
    assert_non_null(strstr(res(h)->reason, "stale for 360 h"));
    /* fresh again, over the level: the cause changes, so does the reason */
    set_point(h, "VIXCLS", 50, 19, 0, T0 + 5 * lim);
    assert_int_equal(ev(h, T0 + 5 * lim), GORDON_BREAKER_TRIPPED);
    assert_string_equal(res(h)->reason, "VIXCLS at 50 >= 30");
    fh_free(h);
}

static void test_macro_snapshot(void **state)
{
    static const char *const p[] = {"max_stale_ms=3600000", NULL};
    fh_host *a = make(B_MACRO, p, 1), *b = make(B_MACRO, p, 1), *c = make(B_MACRO, p, 1);
    (void)state;
    assert_int_equal(ev(a, T0), GORDON_BREAKER_OK); /* a's first evaluation: T0 */
    assert_int_equal(snap_into(B_MACRO, a, b), 0);
    /* b never evaluated, yet its no-data clock runs from T0 */
    assert_int_equal(ev(b, T0 + HOUR_MS + 1), GORDON_BREAKER_TRIPPED);
    assert_non_null(strstr(res(b)->reason, "no data for series VIXCLS"));
    /* restoring keeps the earlier first time */
    assert_int_equal(ev(c, T0 - HOUR_MS), GORDON_BREAKER_OK);
    assert_int_equal(snap_into(B_MACRO, a, c), 0);
    assert_int_equal(ev(c, T0 + 1), GORDON_BREAKER_TRIPPED);
    assert_bad_blobs_refused(B_MACRO, a);
    {
        const uint32_t two = 2;
        assert_corrupt_refused(B_MACRO, a, 16, &two, sizeof two);
    }
    fh_free(a);
    fh_free(b);
    fh_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test(test_connectivity_data_age),
        cmocka_unit_test(test_connectivity_venue),
        cmocka_unit_test(test_connectivity_params),
        cmocka_unit_test(test_vpin_hand_erf),
        cmocka_unit_test(test_vpin_threshold_exact),
        cmocka_unit_test(test_vpin_spill_and_zero_volume),
        cmocka_unit_test(test_vpin_max_over_symbols),
        cmocka_unit_test(test_vpin_params),
        cmocka_unit_test(test_vpin_snapshot),
        cmocka_unit_test(test_correlation_hand),
        cmocka_unit_test(test_correlation_threshold_one_and_flat),
        cmocka_unit_test(test_correlation_alignment),
        cmocka_unit_test(test_correlation_snapshot_and_params),
        cmocka_unit_test(test_macro_create),
        cmocka_unit_test(test_macro_level),
        cmocka_unit_test(test_macro_change),
        cmocka_unit_test(test_macro_stale_and_no_data),
        cmocka_unit_test(test_macro_snapshot),
    };
    return cmocka_run_group_tests(tests, load_all, unload_all);
}
