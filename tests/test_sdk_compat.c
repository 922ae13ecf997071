/* The SDK keeps its compatibility promise:
 *  - every SDK 1.0 field sits where 1.0 put it, every constant keeps its
 *    value, and structs only grew (the layout measured against the frozen
 *    header in tests/sdk10);
 *  - the header's macros (version string, GORDON_HAS, init macros) and the
 *    plugin helpers (gordon/helpers.h) do what they say, edge cases included;
 *  - every bundled plugin's restore refuses a truncated or padded blob and
 *    then leaves the instance exactly as it was (all or nothing);
 *  - a plugin built against the frozen 1.0 header loads, trades (its fills
 *    reach on_fill), and keeps its state across a hot reload to another build
 *    through snapshot/restore, with the record of a run that never reloaded. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include <gordon/helpers.h>
#include <gordon/sdk.h>

#include "base/buf.h"
#include "base/log.h"
#include "config/config.h"
#include "engine/engine.h"
#include "engine/intentlog.h"
#include "fake_host.h"
#include "plugin/loader.h"
#include "sdk10/layout.h"

#define HOUR INT64_C(3600000)
#define T0 INT64_C(1704067200000)

static char tmpdir[256];

/* ------------------------------------------------------------ the layout */

static const gd_sdk_item now_items[] = {
    GD_SDK10_ITEMS(GD_SDK_FIELD, GD_SDK_STRUCT, GD_SDK_CONST) {NULL, NULL, 0, 0},
};

static size_t size_v10(const char *type)
{
    for (size_t i = 0; gd_sdk10_items[i].type; i++)
        if (!strcmp(gd_sdk10_items[i].type, type) && !gd_sdk10_items[i].member[0])
            return gd_sdk10_items[i].size;
    fail_msg("no 1.0 size for %s", type);
    return 0;
}

static void test_frozen_header_untouched(void **state)
{
    (void)state;
    /* tests/sdk10/gordon/sdk.h is git show f4e3574:sdk/include/gordon/sdk.h */
    assert_string_equal(GD_SDK10_SHA256, "62c3736eebac8265201b46a3735f30908be010c880a04564fe87905c7aea2135");
}

/* Minors only append: same offsets, sizes and values as 1.0; structs grew or
 * stayed; what came later sits after the 1.0 end. */
static void test_layout_only_appended(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; gd_sdk10_items[i].type; i++) {
        const gd_sdk_item *then = &gd_sdk10_items[i], *now = &now_items[i];
        assert_non_null(now->type);
        assert_string_equal(then->type, now->type);
        assert_string_equal(then->member, now->member);
        if (!then->member[0]) {
            if (now->size < then->size)
                fail_msg("%s shrank: %zu < %zu", now->type, now->size, then->size);
        } else if (then->offset != now->offset || then->size != now->size) {
            fail_msg("%s.%s moved: 1.0 has offset %zu size %zu, now %zu %zu", then->type,
                     then->member, then->offset, then->size, now->offset, now->size);
        }
    }
    assert_null(now_items[i].type);
    assert_true(i > 100); /* the list is the whole 1.0 header, not a sample */
    /* 1.1 and 1.2 additions come after the 1.0 end, in order. */
    assert_true(offsetof(gordon_plugin, on_resume) >= size_v10("gordon_plugin"));
    assert_true(offsetof(gordon_plugin, warmup) > offsetof(gordon_plugin, on_resume));
    assert_int_equal(sizeof(gordon_plugin), offsetof(gordon_plugin, warmup) + sizeof(void (*)(void)));
    assert_true(offsetof(gordon_host_api, exposure) >= size_v10("gordon_host_api"));
    assert_true(offsetof(gordon_breaker_input, last_venue_ms) >= size_v10("gordon_breaker_input"));
}

/* ------------------------------------------------------------ macros */

static void test_header_macros(void **state)
{
    char want[16];
    gordon_host_api api;
    gordon_breaker_input in;
    const gordon_signal sig = GORDON_SIGNAL_INIT;
    const gordon_position pos = GORDON_POSITION_INIT;
    const gordon_exposure ex = GORDON_EXPOSURE_INIT;
    const gordon_series_point pt = GORDON_SERIES_POINT_INIT;
    (void)state;

    snprintf(want, sizeof want, "%d.%d", GORDON_SDK_ABI_MAJOR, GORDON_SDK_ABI_MINOR);
    assert_string_equal(GORDON_SDK_VERSION_STRING, want);
    assert_string_equal(GORDON_SDK_VERSION_STRING, "1.3");
    assert_int_equal(GORDON_WARMUP_BARS_MAX, 1048576u);

    /* A 1.0 host's table: emit is there, exposure is not. */
    memset(&api, 0, sizeof api);
    api.struct_size = (uint32_t)size_v10("gordon_host_api");
    assert_true(GORDON_HAS(&api, struct_size));
    assert_true(GORDON_HAS(&api, emit));
    assert_false(GORDON_HAS(&api, exposure));
    assert_false(GORDON_HAS(&api, series_get));
    api.struct_size = (uint32_t)(offsetof(gordon_host_api, series_get) + sizeof api.series_get - 1);
    assert_true(GORDON_HAS(&api, series_subscribe));
    assert_false(GORDON_HAS(&api, series_get)); /* one byte short */
    api.struct_size = sizeof api;
    assert_true(GORDON_HAS(&api, series_get));
    memset(&in, 0, sizeof in);
    in.struct_size = (uint32_t)size_v10("gordon_breaker_input");
    assert_true(GORDON_HAS(&in, last_data_ms));
    assert_false(GORDON_HAS(&in, last_venue_ms));

    /* Init macros: this header's size, everything else zero (risk_scale 1). */
    assert_int_equal(sig.struct_size, sizeof sig);
    assert_true(sig.risk_scale == 1.0);
    assert_true(sig.symbol == 0 && sig.action == 0 && sig.side == 0 && sig.entry == 0.0 &&
                sig.stop_loss == 0.0 && sig.take_profit == 0.0 && sig.tag[0] == '\0');
    assert_int_equal(pos.struct_size, sizeof pos);
    assert_true(pos.side == 0 && pos.qty == 0.0 && pos.entry_price == 0.0 && pos.stop_loss == 0.0 &&
                pos.take_profit == 0.0 && pos.unrealized_pnl == 0.0 && pos.opened_ms == 0 &&
                pos.order_pending == 0 && pos.reserved == 0);
    assert_int_equal(ex.struct_size, sizeof ex);
    assert_true(ex.strategies == 0 && ex.net_qty == 0.0 && ex.gross_qty == 0.0 &&
                ex.pending_qty == 0.0 && ex.notional == 0.0);
    assert_int_equal(pt.struct_size, sizeof pt);
    assert_true(pt.stale == 0 && pt.obs_ms == 0 && pt.fetched_ms == 0);
}

/* ------------------------------------------------------------ gordon_snap */

static void test_snap_writer(void **state)
{
    unsigned char buf[32];
    gordon_snap w;
    size_t cap;
    (void)state;

    /* NULL counts: 4 + 8 + 8 */
    gordon_snap_write(&w, NULL, 100);
    gordon_snap_put_u32(&w, 1);
    gordon_snap_put_i64(&w, -2);
    gordon_snap_put_f64(&w, 3.5);
    assert_int_equal(gordon_snap_end(&w), 20);
    assert_int_not_equal(gordon_snap_done(&w), 0); /* nothing was written */

    /* Every cap too small reports the full size and writes nothing past cap. */
    for (cap = 0; cap < 20; cap++) {
        memset(buf, 0xa5, sizeof buf);
        gordon_snap_write(&w, buf, cap);
        gordon_snap_put_u32(&w, 1);
        gordon_snap_put_i64(&w, -2);
        gordon_snap_put_f64(&w, 3.5);
        assert_int_equal(gordon_snap_end(&w), 20);
        assert_int_not_equal(gordon_snap_done(&w), 0);
        for (size_t k = cap; k < sizeof buf; k++)
            assert_int_equal(buf[k], 0xa5);
    }
    /* A put that does not fit stops the writing, even if a later one would. */
    memset(buf, 0xa5, sizeof buf);
    gordon_snap_write(&w, buf, 10);
    gordon_snap_put_i64(&w, 7);
    gordon_snap_put_i64(&w, 8); /* does not fit */
    gordon_snap_put_u32(&w, 9); /* would fit in what is left, but must not be written */
    assert_int_equal(gordon_snap_end(&w), 20);
    assert_int_equal(buf[8], 0xa5);
    assert_int_equal(buf[9], 0xa5);

    /* Exact fit. */
    gordon_snap_write(&w, buf, 20);
    gordon_snap_put_u32(&w, 0xdeadbeefu);
    gordon_snap_put_i64(&w, INT64_MIN);
    gordon_snap_put_f64(&w, -0.25);
    assert_int_equal(gordon_snap_end(&w), 20);
    assert_int_equal(gordon_snap_done(&w), 0);
    assert_int_equal(buf[20], 0xa5);

    /* Counting saturates instead of wrapping. */
    gordon_snap_write(&w, NULL, 0);
    gordon_snap_put(&w, buf, SIZE_MAX - 2);
    gordon_snap_put_u32(&w, 1);
    assert_int_equal(gordon_snap_end(&w), SIZE_MAX);
}

static void test_snap_reader(void **state)
{
    unsigned char buf[20];
    gordon_snap w, r;
    uint32_t u = 1;
    int64_t i = 1;
    double d = 1;
    size_t len;
    (void)state;
    gordon_snap_write(&w, buf, sizeof buf);
    gordon_snap_put_u32(&w, 0xdeadbeefu);
    gordon_snap_put_i64(&w, INT64_MIN);
    gordon_snap_put_f64(&w, -0.25);
    assert_int_equal(gordon_snap_done(&w), 0);

    gordon_snap_read(&r, buf, sizeof buf);
    assert_int_equal(gordon_snap_left(&r), 20);
    assert_int_equal(gordon_snap_get_u32(&r, &u), 0);
    assert_int_equal(gordon_snap_get_i64(&r, &i), 0);
    assert_int_equal(gordon_snap_get_f64(&r, &d), 0);
    assert_int_equal(u, 0xdeadbeefu);
    assert_true(i == INT64_MIN);
    assert_true(d == -0.25);
    assert_int_equal(gordon_snap_left(&r), 0);
    assert_int_equal(gordon_snap_done(&r), 0);
    /* past the end: -1, the value zeroed, and the failure sticks */
    assert_int_equal(gordon_snap_get_u32(&r, &u), -1);
    assert_int_equal(u, 0);
    assert_int_not_equal(gordon_snap_done(&r), 0);

    /* Every truncation fails somewhere and is reported by done. */
    for (len = 0; len < sizeof buf; len++) {
        int ok;
        gordon_snap_read(&r, buf, len);
        ok = gordon_snap_get_u32(&r, &u) == 0;
        ok &= gordon_snap_get_i64(&r, &i) == 0;
        ok &= gordon_snap_get_f64(&r, &d) == 0;
        assert_false(ok);
        assert_int_not_equal(gordon_snap_done(&r), 0);
    }
    /* A failed get does not consume: a shorter read after it still fails. */
    gordon_snap_read(&r, buf, 6);
    assert_int_equal(gordon_snap_get_i64(&r, &i), -1);
    assert_int_equal(gordon_snap_get_u32(&r, &u), -1);
    /* Bytes left over: done refuses the blob. */
    gordon_snap_read(&r, buf, sizeof buf);
    assert_int_equal(gordon_snap_get_u32(&r, &u), 0);
    assert_int_equal(gordon_snap_get_i64(&r, &i), 0);
    assert_int_not_equal(gordon_snap_done(&r), 0);
    /* expect_u32 */
    gordon_snap_read(&r, buf, sizeof buf);
    assert_int_equal(gordon_snap_expect_u32(&r, 0xdeadbeefu), 0);
    gordon_snap_read(&r, buf, sizeof buf);
    assert_int_equal(gordon_snap_expect_u32(&r, 0xdeadbeeeu), -1);
    /* NULL reads as an empty blob */
    gordon_snap_read(&r, NULL, 20);
    assert_int_equal(gordon_snap_left(&r), 0);
    assert_int_equal(gordon_snap_done(&r), 0);
    assert_int_equal(gordon_snap_get_u32(&r, &u), -1);
}

/* ------------------------------------------------------------ indicators */

/* Wilder's RSI from scratch at input k (NaN before input n + 1). */
static double ref_rsi(const double *x, int k, int n)
{
    double g = 0, l = 0;
    int j;
    if (k < n)
        return NAN;
    for (j = 1; j <= n; j++) {
        double d = x[j] - x[j - 1];
        g += d > 0 ? d : 0;
        l += d < 0 ? -d : 0;
    }
    g /= n;
    l /= n;
    for (j = n + 1; j <= k; j++) {
        double d = x[j] - x[j - 1];
        g = (g * (n - 1) + (d > 0 ? d : 0)) / n;
        l = (l * (n - 1) + (d < 0 ? -d : 0)) / n;
    }
    return g + l > 0 ? 100.0 * g / (g + l) : 50.0;
}

static void test_rsi(void **state)
{
    enum { N = 300 };
    static double x[N];
    gordon_rsi r;
    uint64_t seed = 0x5eed;
    int k, n;
    (void)state;
    x[0] = 100;
    for (k = 1; k < N; k++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        x[k] = x[k - 1] + ((double)(seed % 2001) - 1000.0) / 500.0;
    }
    for (n = 1; n <= 30; n += 7) {
        memset(&r, 0, sizeof r);
        for (k = 0; k < N; k++) {
            int ok = gordon_rsi_update(&r, (uint32_t)n, x[k]);
            assert_int_equal(ok, k >= n);
            if (ok) {
                assert_true(fabs(r.value - ref_rsi(x, k, n)) < 1e-9);
                assert_true(r.value >= 0 && r.value <= 100);
            }
        }
        assert_int_equal(r.count, (uint32_t)n + 1); /* saturates */
    }
    /* Worked by hand, n = 2: changes +2, -1 -> gains 1, losses 0.5: 66.67;
     * then +3: gains (1 + 3) / 2 = 2, losses 0.25: 100 * 2 / 2.25 = 88.89. */
    memset(&r, 0, sizeof r);
    assert_int_equal(gordon_rsi_update(&r, 2, 10), 0);
    assert_int_equal(gordon_rsi_update(&r, 2, 12), 0);
    assert_int_equal(gordon_rsi_update(&r, 2, 11), 1);
    assert_true(fabs(r.value - 200.0 / 3.0) < 1e-12);
    assert_int_equal(gordon_rsi_update(&r, 2, 14), 1);
    assert_true(fabs(r.value - 800.0 / 9.0) < 1e-12);
    /* flat reads 50, only up 100, only down 0 */
    memset(&r, 0, sizeof r);
    for (k = 0; k < 10; k++)
        gordon_rsi_update(&r, 3, 5.0);
    assert_true(r.value == 50.0);
    memset(&r, 0, sizeof r);
    for (k = 0; k < 10; k++)
        gordon_rsi_update(&r, 3, k);
    assert_true(r.value == 100.0);
    memset(&r, 0, sizeof r);
    for (k = 0; k < 10; k++)
        gordon_rsi_update(&r, 3, -k);
    assert_true(r.value == 0.0);
}

static void test_indicators_zero_period(void **state)
{
    gordon_ema e;
    gordon_atr a;
    gordon_rsi r;
    const gordon_bar b = {0, 1, 1, 2, 0.5, 1.5, 1};
    (void)state;
    memset(&e, 0, sizeof e);
    memset(&a, 0, sizeof a);
    memset(&r, 0, sizeof r);
    assert_int_equal(gordon_ema_update(&e, 0, 1.0), 0);
    assert_int_equal(gordon_atr_update(&a, 0, &b), 0);
    assert_int_equal(gordon_rsi_update(&r, 0, 1.0), 0);
    assert_int_equal(gordon_rsi_update(&r, 0, 2.0), 0);
    assert_true(e.count == 0 && a.count == 0 && r.count == 0);
    assert_true(e.sum == 0.0 && a.sum == 0.0 && a.prev_close == 0.0); /* untouched */
    /* n = 1: every input is its own mean */
    assert_int_equal(gordon_ema_update(&e, 1, 3.0), 1);
    assert_true(e.value == 3.0);
    assert_int_equal(gordon_ema_update(&e, 1, 5.0), 1);
    assert_true(e.value == 5.0);
    assert_int_equal(gordon_atr_update(&a, 1, &b), 1);
    assert_true(a.atr == 1.5);
}

/* The seeding and the steady state meet where count reaches n. */
static void test_indicators_seed_then_steady(void **state)
{
    gordon_ema e;
    gordon_atr a;
    const gordon_bar b = {0, 1, 1, 2, 0.5, 1.5, 1};
    (void)state;
    memset(&e, 0, sizeof e);
    /* n = 3: the mean of the first three, then the recurrence */
    assert_int_equal(gordon_ema_update(&e, 3, 1.0), 0);
    assert_int_equal(gordon_ema_update(&e, 3, 2.0), 0);
    assert_int_equal(gordon_ema_update(&e, 3, 3.0), 1);
    assert_true(e.value == 2.0 && e.count == 3);
    assert_int_equal(gordon_ema_update(&e, 3, 4.0), 1);
    assert_true(e.value == 3.0 && e.count == 3);
    memset(&a, 0, sizeof a);
    gordon_bar c = b;
    c.high = 12.0, c.low = 10.0, c.close = 11.0;
    assert_int_equal(gordon_atr_update(&a, 2, &c), 0); /* tr 2 */
    c.high = 15.0, c.low = 13.0, c.close = 14.0;
    assert_int_equal(gordon_atr_update(&a, 2, &c), 1); /* tr 15 - 11 = 4: atr 3 */
    assert_true(a.atr == 3.0);
    c.high = 14.5, c.low = 13.5, c.close = 14.0;
    assert_int_equal(gordon_atr_update(&a, 2, &c), 1); /* tr 1: (3 + 1) / 2 */
    assert_true(a.atr == 2.0 && a.count == 2);
}

/* ------------------------------------------------------------ gordon_param_u32 */

static int p_create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                    size_t err_len)
{
    (void)api;
    (void)ctx;
    (void)err;
    (void)err_len;
    *instance = NULL;
    return 0;
}
static void p_destroy(void *instance) { (void)instance; }
static void p_on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    (void)instance;
    (void)symbol;
    (void)bar;
}
static const gordon_param p_params[] = {
    {.name = "n", .type = GORDON_PARAM_INT, .def = 5, .min = -10, .max = 1e10, .help = "an int"},
    {.name = "x", .type = GORDON_PARAM_DOUBLE, .def = 1, .min = 0, .max = 2, .help = "a double"},
};
static const gordon_plugin p_desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "p",
    .version = "1",
    .description = "params",
    .params = p_params,
    .n_params = 2,
    .create = p_create,
    .destroy = p_destroy,
    .on_bar = p_on_bar,
};

static int read_n(const char *value, uint32_t min, uint32_t *out, char *err, size_t err_len)
{
    char kv[64], herr[256] = "";
    const char *params[] = {kv, NULL};
    fh_host *h;
    int rc;
    snprintf(kv, sizeof kv, "n=%s", value);
    h = fh_new(&p_desc, params, 1, herr, sizeof herr);
    if (!h)
        fail_msg("fh_new: %s", herr);
    rc = gordon_param_u32(fh_api(), fh_ctx(h), "n", min, out, err, err_len);
    fh_free(h);
    return rc;
}

static void test_param_u32(void **state)
{
    char err[128];
    uint32_t v = 77;
    fh_host *h;
    (void)state;
    assert_int_equal(read_n("12", 1, &v, err, sizeof err), 0);
    assert_int_equal(v, 12);
    assert_int_equal(read_n("0", 0, &v, err, sizeof err), 0);
    assert_int_equal(v, 0);
    assert_int_equal(read_n("4294967295", 1, &v, err, sizeof err), 0);
    assert_int_equal(v, UINT32_MAX);

    v = 77;
    assert_int_equal(read_n("0", 1, &v, err, sizeof err), -1);
    assert_string_equal(err, "int parameter 'n' = 0 is outside [1, 4294967295]");
    assert_int_equal(v, 77); /* untouched on failure */
    assert_int_equal(read_n("-3", 0, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "'n' = -3"));
    assert_int_equal(read_n("4294967296", 0, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "4294967296"));
    /* a tiny or absent error buffer is fine */
    assert_int_equal(read_n("0", 1, &v, err, 4), -1);
    assert_string_equal(err, "int");
    assert_int_equal(read_n("0", 1, &v, NULL, 0), -1);

    h = fh_new(&p_desc, NULL, 1, err, sizeof err);
    assert_non_null(h);
    assert_int_equal(gordon_param_u32(fh_api(), fh_ctx(h), "x", 0, &v, err, sizeof err), -1);
    assert_string_equal(err, "cannot read int parameter 'x' (not declared as an int)");
    assert_int_equal(gordon_param_u32(fh_api(), fh_ctx(h), "nope", 0, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "'nope'"));
    assert_int_equal(gordon_param_u32(fh_api(), fh_ctx(h), "n", 0, &v, err, sizeof err), 0);
    assert_int_equal(v, 5); /* the default */
    fh_free(h);
}

/* ------------------------------------------------------------ bundled restores */

typedef struct snap_case {
    const char *name;
    const char *const *params;
} snap_case;

static const char *const ema_p[] = {"fast=3", "slow=5", "atr_period=4", NULL};
static const char *const don_p[] = {"entry_period=5", "exit_period=7", "atr_period=4", NULL};
static const char *const trend_p[] = {"period=6", NULL};
static const char *const vol_p[] = {"atr_period=3", "lookback=20", NULL};
static const char *const vpin_p[] = {"bucket_volume=25", "n_buckets=4", "sigma_window=3", NULL};
static const char *const corr_p[] = {"window=10", NULL};
static const snap_case snap_cases[] = {
    {"ema_cross", ema_p}, {"donchian_breakout", don_p}, {"trend_filter", trend_p},
    {"volatility_filter", vol_p}, {"drawdown", NULL}, {"vpin", vpin_p},
    {"correlation", corr_p}, {"macro", NULL},
};
#define N_SNAP_CASES (sizeof snap_cases / sizeof snap_cases[0])

/* Bars for two symbols from a seed, then one evaluation for breakers. */
static void drive(fh_host *h, const gordon_plugin *d, uint64_t seed, int nbars, int64_t eval_at,
                  double equity)
{
    double px[2] = {100, 50};
    for (int i = 0; i < nbars; i++)
        for (uint32_t s = 0; s < 2; s++) {
            gordon_bar b;
            double r, o = px[s];
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            r = ((double)(seed % 2001) - 1000.0) / 50000.0;
            px[s] *= 1 + r;
            b.open_time_ms = T0 + i * HOUR;
            b.close_time_ms = b.open_time_ms + HOUR;
            b.open = o;
            b.close = px[s];
            b.high = (o > b.close ? o : b.close) * 1.001;
            b.low = (o < b.close ? o : b.close) * 0.999;
            b.volume = (double)(seed % 17) + 1;
            fh_bar(h, s, &b);
        }
    if (d->evaluate) {
        gordon_breaker_input in;
        memset(&in, 0, sizeof in);
        in.struct_size = sizeof in;
        in.now_ms = eval_at;
        in.last_data_ms = eval_at;
        in.equity = equity;
        assert_int_equal(fh_evaluate(h, &in), 0);
    }
}

static unsigned char *snap_of(const gordon_plugin *d, fh_host *h, size_t *len)
{
    size_t need = d->snapshot(fh_instance(h), NULL, 0);
    unsigned char *buf = malloc(need + 1);
    assert_non_null(buf);
    assert_int_equal(d->snapshot(fh_instance(h), buf, need), need);
    *len = need;
    return buf;
}

static void assert_snap_is(const gordon_plugin *d, fh_host *h, const unsigned char *want,
                           size_t want_len, const char *what, size_t at)
{
    size_t len;
    unsigned char *got = snap_of(d, h, &len);
    if (len != want_len || memcmp(got, want, len) != 0)
        fail_msg("%s: state changed after %s %zu", d->name, what, at);
    free(got);
}

static void test_bundled_restore_all_or_nothing(void **state)
{
    const char *names[N_SNAP_CASES];
    void *handles[N_SNAP_CASES];
    const gordon_plugin *descs[N_SNAP_CASES];
    size_t k;
    (void)state;
    for (k = 0; k < N_SNAP_CASES; k++)
        names[k] = snap_cases[k].name;
    assert_int_equal(fh_load_plugins(names, (int)N_SNAP_CASES, handles, descs), 0);
    for (k = 0; k < N_SNAP_CASES; k++) {
        const gordon_plugin *d = descs[k];
        char err[256] = "";
        fh_host *a = fh_new(d, snap_cases[k].params, 2, err, sizeof err);
        fh_host *b = fh_new(d, snap_cases[k].params, 2, err, sizeof err);
        unsigned char *a0, *bb, *guard;
        size_t la, lb, len, cap;
        if (!a || !b || fh_create_instance(a, err, sizeof err) || fh_create_instance(b, err, sizeof err))
            fail_msg("%s: %s", d->name, err);
        assert_non_null(d->snapshot);
        /* Different histories; b's peak is higher and its first evaluation
         * earlier, so restoring b into a yields exactly b (drawdown keeps
         * the higher peak, macro the earlier start). */
        drive(a, d, 0x1111, 40, T0 + 100 * HOUR, 100.0);
        drive(b, d, 0x2222, 55, T0, 200.0);
        a0 = snap_of(d, a, &la);
        bb = snap_of(d, b, &lb);
        assert_true(la != lb || memcmp(a0, bb, la) != 0);

        /* Too small a buffer: the size, and nothing written past cap. */
        guard = malloc(lb + 16);
        assert_non_null(guard);
        for (cap = 0; cap < lb; cap += cap < 16 ? 1 : lb / 7 + 1) {
            memset(guard, 0xa5, lb + 16);
            assert_int_equal(d->snapshot(fh_instance(b), guard, cap), lb);
            for (len = cap; len < lb + 16; len++)
                assert_int_equal(guard[len], 0xa5);
        }
        free(guard);

        /* Every truncation, and one byte too many, is refused and changes nothing. */
        for (len = 0; len < lb; len++) {
            if (d->restore(fh_instance(a), bb, len) == 0)
                fail_msg("%s: restore accepted %zu of %zu bytes", d->name, len, lb);
            assert_snap_is(d, a, a0, la, "a blob cut at", len);
        }
        bb[lb] = 0;
        assert_int_not_equal(d->restore(fh_instance(a), bb, lb + 1), 0);
        assert_snap_is(d, a, a0, la, "a blob padded to", lb + 1);
        assert_int_not_equal(d->restore(fh_instance(a), NULL, lb), 0);
        bb[0] ^= 0x40; /* magic */
        assert_int_not_equal(d->restore(fh_instance(a), bb, lb), 0);
        bb[0] ^= 0x40;
        assert_snap_is(d, a, a0, la, "a bad magic", 0);

        /* The whole blob: a becomes b. */
        assert_int_equal(d->restore(fh_instance(a), bb, lb), 0);
        assert_snap_is(d, a, bb, lb, "a good restore", lb);
        free(a0);
        free(bb);
        fh_free(a);
        fh_free(b);
    }
    fh_unload_plugins(handles, (int)N_SNAP_CASES);
}

/* ------------------------------------------------------------ the 1.0 plugin */

/* The loader sees a 1.0 descriptor: its own size and minor, and the later
 * callbacks zero-extended to NULL. */
static void test_v10_descriptor(void **state)
{
    gd_plugin_lib lib;
    gd_err err;
    (void)state;
    memset(&lib, 0, sizeof lib);
    if (gd_loader_open(GD_V10_PLUGIN_1, &lib, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(lib.d.abi_major, 1);
    assert_int_equal(lib.d.abi_minor, 0);
    assert_int_equal(lib.d.struct_size, size_v10("gordon_plugin"));
    assert_true(lib.d.struct_size < sizeof(gordon_plugin));
    assert_string_equal(lib.d.name, "v10_strategy");
    assert_non_null(lib.d.on_fill);
    assert_non_null(lib.d.snapshot);
    assert_non_null(lib.d.restore);
    assert_null(lib.d.on_resume); /* 1.1 */
    assert_null(lib.d.warmup);    /* 1.2 */
    gd_loader_close(&lib);
}

#define V10_BARS 1200
#define V10_RELOAD_FROM 600
static gordon_bar v10_bars[V10_BARS];

/* What the run saw: every intent as the intent log writes it, and checks of
 * the counters each tag carries against the engine at that moment. */
typedef struct v10_run {
    gd_buf log;
    gd_engine *e;
    size_t bar;       /* index of the bar being fed */
    int build;        /* the build expected to emit */
    uint64_t intents, entries, exits, bad;
} v10_run;

static int v10_record(void *self, const gd_intent *it, const char *strategy, const char *symbol)
{
    v10_run *r = self;
    char line[2048];
    int build = 0;
    unsigned long long n = 0, f = 0;
    r->intents++;
    if (it->result != GORDON_ACCEPTED)
        r->bad++;
    else if (it->action == GORDON_ACTION_ENTRY)
        r->entries++;
    else
        r->exits++;
    /* The plugin's bar and fill counters are the engine's: on_bar saw every
     * bar, on_fill every fill (a reload must not reset them). */
    if (sscanf(it->tag, "v10b%d n%llu f%llu", &build, &n, &f) != 3)
        fail_msg("tag '%s'", it->tag);
    if (build != r->build || n != r->bar + 1 || f != gd_engine_book(r->e)->fills)
        fail_msg("bar %zu: tag '%s', wanted build %d, n%zu, f%llu", r->bar, it->tag, r->build,
                 r->bar + 1, (unsigned long long)gd_engine_book(r->e)->fills);
    gd_intent_format(line, sizeof line, it, strategy, symbol);
    /* Builds differ by design; the record must not. */
    char *b = strstr(line, "v10b2 ");
    if (b)
        b[4] = '1';
    return gd_buf_printf(&r->log, "%s\n", line);
}
static int v10_flush(void *self, gd_err *err)
{
    (void)self;
    (void)err;
    return 0;
}
static void v10_close(void *self) { (void)self; }
static const gd_intentlog_ops v10_ops = {v10_record, v10_flush, v10_close};

static gd_config *v10_config(const char *name, const char *plugin)
{
    char ini[2048], path[512];
    gd_config *cfg = calloc(1, sizeof *cfg);
    gd_err err;
    FILE *f;
    snprintf(ini, sizeof ini,
             "[risk]\nequity = 100000\nrisk_pct = 1\nmax_order_notional_usd = 1000000\n"
             "max_daily_notional_usd = 100000000\nmax_gross_exposure_usd = 10000000\n"
             "max_intents_per_sec = 100\nmax_intents_per_sec_strategy = 100\n"
             "[instrument.AAA]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[strategy.v10]\nplugin = %s\nevery = 7\nhold = 5\n",
             plugin);
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini, f);
    fclose(f);
    assert_non_null(cfg);
    if (gd_config_load(path, NULL, cfg, &err) != 0)
        fail_msg("%s", err.msg);
    return cfg;
}

static gd_engine *v10_engine(const gd_config *cfg, v10_run *r)
{
    static const char *const syms[] = {"AAA"};
    gd_engine_opts o;
    gd_err err;
    memset(&o, 0, sizeof o);
    o.cfg = cfg;
    o.symbols = syms;
    o.n_symbols = 1;
    if (gd_engine_new(&o, &r->e, &err) != 0)
        fail_msg("%s", err.msg);
    gd_engine_set_intentlog(r->e, (gd_intentlog){&v10_ops, r});
    return r->e;
}

static void v10_feed(v10_run *r, size_t from, size_t to)
{
    for (r->bar = from; r->bar < to; r->bar++)
        gd_engine_on_bar(r->e, 0, &v10_bars[r->bar]);
}

static void test_v10_trades_and_reloads(void **state)
{
    v10_run ref, run;
    gd_config *cfg_ref, *cfg;
    gd_engine_stats st;
    uint64_t entries_before, exits_before;
    size_t at = V10_RELOAD_FROM;
    char summary[1024];
    gd_err err;
    (void)state;

    /* The reference: build 1 over every bar, no reload. */
    memset(&ref, 0, sizeof ref);
    ref.build = 1;
    cfg_ref = v10_config("ref.ini", GD_V10_PLUGIN_1);
    v10_engine(cfg_ref, &ref);
    v10_feed(&ref, 0, V10_BARS);
    gd_engine_stats_get(ref.e, &st);
    assert_int_equal(st.bars, V10_BARS);
    assert_int_equal(st.signals, ref.intents);
    /* A 1.0 plugin trades: its signals pass the pipeline, and since it exits
     * only on what on_fill told it, accepted exits mean fills reached it. */
    assert_int_equal(ref.bad, 0);
    assert_true(ref.entries >= 50);
    assert_true(ref.exits >= 30);
    assert_true(gd_engine_book(ref.e)->fills >= ref.entries + ref.exits - 1);
    gd_engine_free(ref.e);
    gd_config_free(cfg_ref);
    free(cfg_ref);

    /* The same bars, reloaded halfway to build 2 (same name, other bytes)
     * while a position is open. */
    memset(&run, 0, sizeof run);
    run.build = 1;
    cfg = v10_config("run.ini", GD_V10_PLUGIN_1);
    v10_engine(cfg, &run);
    v10_feed(&run, 0, at);
    while (gd_engine_book(run.e)->open_count == 0) {
        v10_feed(&run, at, at + 1);
        at++;
    }
    assert_true(at < V10_BARS - 200);
    entries_before = run.entries;
    exits_before = run.exits;
    /* The history a cold instance would warm up from is shorter than what
     * the plugin has seen, so only a restore can continue its count. */
    if (gd_engine_reload(run.e, v10_config("b.ini", GD_V10_PLUGIN_2), summary, sizeof summary, &err) != 0)
        fail_msg("%s", err.msg);
    assert_non_null(strstr(summary, "~strategy.v10 (v10_strategy "));
    run.build = 2;
    v10_feed(&run, at, V10_BARS);
    /* build 2 traded, from the restored state: its tags continued the bar
     * and fill counts (checked in v10_record), it exited the position it
     * inherited (a cold instance would think itself flat and be refused a
     * new entry: bad > 0) ... */
    assert_int_equal(run.bad, 0);
    assert_true(run.entries > entries_before);
    assert_true(run.exits > exits_before);
    /* ... and the record is the one of the run that never reloaded. */
    {
        char *want = gd_buf_take(&ref.log), *got = gd_buf_take(&run.log);
        assert_non_null(want);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(want);
        free(got);
    }
    gd_engine_free(run.e);
    gd_config_free(cfg);
    free(cfg);
}

/* ------------------------------------------------------------ main */

static int setup(void **state)
{
    uint64_t seed = 0xc0ffee;
    double px = 100;
    (void)state;
    assert_int_equal(gd_test_tmpdir(tmpdir, sizeof tmpdir, NULL, "gd_test_sdk_compat"), 0);
    setenv("TMPDIR", tmpdir, 1); /* the plugin cache's private copies go here */
    gd_log_init(stderr, GD_LOG_OFF);
    for (size_t i = 0; i < V10_BARS; i++) {
        int64_t t = T0 + (int64_t)i * HOUR;
        double o = px, c, r;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        r = ((double)(seed % 2001) - 1000.0) / 100000.0; /* +-1%: the 2% stop rarely hits */
        c = px * (1 + r);
        v10_bars[i] = (gordon_bar){t, t + HOUR, o, (o > c ? o : c) * 1.002, (o < c ? o : c) * 0.998, c, 10};
        px = c;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frozen_header_untouched),
        cmocka_unit_test(test_layout_only_appended),
        cmocka_unit_test(test_header_macros),
        cmocka_unit_test(test_snap_writer),
        cmocka_unit_test(test_snap_reader),
        cmocka_unit_test(test_rsi),
        cmocka_unit_test(test_indicators_zero_period),
        cmocka_unit_test(test_indicators_seed_then_steady),
        cmocka_unit_test(test_param_u32),
        cmocka_unit_test(test_bundled_restore_all_or_nothing),
        cmocka_unit_test(test_v10_descriptor),
        cmocka_unit_test(test_v10_trades_and_reloads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
