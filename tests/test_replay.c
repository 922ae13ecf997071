/* Unit tests for host/replay.c: CSV bar loading and the merged replay tape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "config/config.h"
#include "data/replay.h"
#include "tmpdir.h"

#define HDR "open_time_ms,open,high,low,close,volume\n"
#define DAY INT64_C(86400000)

/* Fixtures are written from the tests into one scratch dir, removed whole
 * at the end; their paths are kept here for the tests that were handed them. */
static char g_dir[256];
static char g_paths[128][300];
static int g_npaths;

static const char *fx_n(const char *name, const char *content, size_t len)
{
    char *path;
    FILE *f;

    assert_true(g_npaths < 128);
    path = g_paths[g_npaths++];
    snprintf(path, sizeof g_paths[0], "%s/%s", g_dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char *fx(const char *name, const char *content)
{
    return fx_n(name, content, strlen(content));
}

static int group_setup(void **state)
{
    (void)state;
    return gd_test_tmpdir(g_dir, sizeof g_dir, NULL, "gd_test_replay");
}

static int group_teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(g_dir);
}

static void assert_zeroed(const gd_series *s)
{
    assert_null(s->bars);
    assert_int_equal(s->n, 0);
    assert_int_equal(s->interval_ms, 0);
    assert_int_equal(s->symbol[0], '\0');
}

/* Loads content as `name` and expects code and `needle` in the message. */
static void expect_err_n(const char *name, const char *content, size_t len, int code,
                         const char *needle)
{
    gd_series s;
    gd_err err = {{0}};
    int rc;

    memset(&s, 0x5A, sizeof s); /* garbage in: must come back zeroed */
    rc = gd_csv_load(fx_n(name, content, len), "X", &s, &err);
    if (rc != code || !strstr(err.msg, needle))
        print_error("%s: rc %d, msg '%s'; expected %d and '%s'\n", name, rc, err.msg, code,
                    needle);
    assert_int_equal(rc, code);
    assert_non_null(strstr(err.msg, needle));
    assert_zeroed(&s);
}

static void expect_err(const char *name, const char *content, int code, const char *needle)
{
    expect_err_n(name, content, strlen(content), code, needle);
}

static void load_ok(const char *path, const char *sym, gd_series *s)
{
    gd_err err = {{0}};
    int rc = gd_csv_load(path, sym, s, &err);
    if (rc)
        print_error("%s: %s\n", path, err.msg);
    assert_int_equal(rc, 0);
}

static void assert_bar(const gordon_bar *b, int64_t t, int64_t ct, double o, double h, double l,
                       double c, double v)
{
    assert_int_equal(b->open_time_ms, t);
    assert_int_equal(b->close_time_ms, ct);
    assert_true(b->open == o);
    assert_true(b->high == h);
    assert_true(b->low == l);
    assert_true(b->close == c);
    assert_true(b->volume == v);
}

/* ---------------------------------------------------------- good inputs */

/* Before 1970: negative milliseconds are valid UTC (the S&P 500 since 1928,
 * say); the interval is inferred across the epoch and closes follow. */
static void test_pre_1970(void **state)
{
    gd_series s;
    (void)state;
    load_ok(fx("pre70.csv", HDR "-7200000,1,1,1,1,0\n-3600000,1,1,1,1,0\n0,1,1,1,1,0\n3600000,1,1,1,1,0\n"), "P",
            &s);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.interval_ms, 3600000);
    assert_int_equal(s.bars[0].open_time_ms, -7200000);
    assert_int_equal(s.bars[0].close_time_ms, -3600000);
    gd_series_free(&s);
    load_ok(fx("y1.csv", HDR "-62135596800000,1,1,1,1,0\n-62135510400000,1,1,1,1,0\n"), "Y", &s);
    assert_int_equal(s.interval_ms, 86400000);
    gd_series_free(&s);
}

static void test_header(void **state)
{
    gd_series s;
    (void)state;
    load_ok(fx("hdr.csv", HDR "1000,1.5,2,1,1.75,100\n2000,1.75,1.8,1.25,1.5,0\n"), "EURUSD", &s);
    assert_string_equal(s.symbol, "EURUSD");
    assert_int_equal(s.n, 2);
    assert_int_equal(s.interval_ms, 1000);
    assert_bar(&s.bars[0], 1000, 2000, 1.5, 2, 1, 1.75, 100);
    assert_bar(&s.bars[1], 2000, 3000, 1.75, 1.8, 1.25, 1.5, 0);
    gd_series_free(&s);
    assert_zeroed(&s);
    gd_series_free(&s); /* idempotent */
    gd_series_free(NULL);
}

/* A declared interval, not the smallest gap: one odd row no longer moves
 * every bar's close; a gap that is not whole intervals is refused. */
static void test_declared_interval(void **state)
{
    gd_series s;
    gd_err err;
    (void)state;
    const char *p = fx("iv.csv", HDR "0,1,1,1,1,1\n3600000,1,1,1,1,1\n10800000,1,1,1,1,1\n");
    load_ok(p, "X", &s);
    assert_int_equal(s.interval_ms, 3600000);
    assert_int_equal(gd_series_set_interval(&s, 3600000, p, &err), 0);
    assert_int_equal(s.bars[2].close_time_ms, 14400000);
    assert_int_equal(gd_series_set_interval(&s, 0, p, &err), 0); /* none declared: unchanged */
    assert_int_equal(s.interval_ms, 3600000);
    gd_series_free(&s);
    p = fx("odd.csv", HDR "0,1,1,1,1,1\n3600000,1,1,1,1,1\n5400000,1,1,1,1,1\n7200000,1,1,1,1,1\n");
    load_ok(p, "X", &s);
    assert_int_equal(s.interval_ms, 1800000); /* guessed from the odd row */
    assert_int_equal(gd_series_set_interval(&s, 3600000, p, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "bar 3 (open_time_ms 5400000) is 1800000 ms after the one before"));
    assert_int_equal(s.bars[0].close_time_ms, 1800000); /* nothing half-applied */
    gd_series_free(&s);
}

static void test_no_header(void **state)
{
    gd_series s;
    (void)state;
    load_ok(fx("nohdr.csv", "0,1.5,2,1,1.75,100\n60000,1.75,1.8,1.25,1.5,3\n"), "X", &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.interval_ms, 60000);
    assert_bar(&s.bars[0], 0, 60000, 1.5, 2, 1, 1.75, 100);
    assert_bar(&s.bars[1], 60000, 120000, 1.75, 1.8, 1.25, 1.5, 3);
    gd_series_free(&s);
}

static void test_crlf_no_final_newline(void **state)
{
    gd_series s;
    (void)state;
    load_ok(fx("crlf.csv", "open_time_ms,open,high,low,close,volume\r\n"
                           "1000,1.5,2,1,1.75,100\r\n"
                           "\r\n"
                           "2000,1.75,1.8,1.25,1.5,7\r\n"
                           "3000,1.5,1.5,1.5,1.5,8"),
            "X", &s);
    assert_int_equal(s.n, 3);
    assert_bar(&s.bars[2], 3000, 4000, 1.5, 1.5, 1.5, 1.5, 8);
    gd_series_free(&s);

    load_ok(fx("lf_nofinal.csv", "1000,1.5,2,1,1.75,100\n2000,1.75,1.8,1.25,1.5,7"), "X", &s);
    assert_int_equal(s.n, 2);
    assert_true(s.bars[1].volume == 7);
    gd_series_free(&s);

    /* Several trailing empty lines, either ending. */
    load_ok(fx("trailing.csv", HDR "1000,1.5,2,1,1.75,100\n2000,1.75,1.8,1.25,1.5,7\n\n\r\n\n"),
            "X", &s);
    assert_int_equal(s.n, 2);
    gd_series_free(&s);
}

static void test_bom(void **state)
{
    gd_series s;
    (void)state;
    /* A BOM before a data line must not turn it into a "header". */
    load_ok(fx("bom.csv", "\xEF\xBB\xBF" "1000,1.5,2,1,1.75,100\n2000,1.5,2,1,1.75,100\n"), "X",
            &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.bars[0].open_time_ms, 1000);
    gd_series_free(&s);
    load_ok(fx("bomhdr.csv", "\xEF\xBB\xBF" HDR "1000,1.5,2,1,1.75,100\n2000,1.5,2,1,1.75,1\n"),
            "X", &s);
    assert_int_equal(s.n, 2);
    gd_series_free(&s);
}

static void test_number_forms(void **state)
{
    gd_series s;
    (void)state;
    load_ok(fx("forms.csv", "+1000,1.5e0,2E0,+1,.175e1,0\n"
                            "2000,5.,5.0,5,5.00000000000000000000000000000,1e3\n"
                            "3000,2.0,2,2,2,0.0\n"),
            "X", &s);
    assert_int_equal(s.n, 3);
    assert_bar(&s.bars[0], 1000, 2000, 1.5, 2, 1, 1.75, 0);
    assert_bar(&s.bars[1], 2000, 3000, 5, 5, 5, 5, 1000);
    assert_bar(&s.bars[2], 3000, 4000, 2, 2, 2, 2, 0); /* hex (0x1p1) is refused: test_err_numbers */
    gd_series_free(&s);
}

/* The loader's fast decimal path must agree bit for bit with strtod. */
static void test_decimals_match_strtod(void **state)
{
    enum { N = 3000 };
    size_t cap = (size_t)N * 200, len = 0;
    char *text = malloc(cap);
    char(*nums)[64] = malloc(sizeof *nums * N);
    uint64_t x = 0x9E3779B97F4A7C15u;
    gd_series s;
    (void)state;
    assert_non_null(text);
    assert_non_null(nums);
    for (int i = 0; i < N; i++) {
        char *q = nums[i];
        int ni, nf;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ni = 1 + (int)(x % 12);        /* integer digits */
        nf = (int)((x >> 8) % 24);     /* fraction digits: crosses 19 and 22 */
        *q++ = (char)('1' + (x >> 16) % 9);
        for (int k = 1; k < ni; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            *q++ = (char)('0' + x % 10);
        }
        if (nf) {
            *q++ = '.';
            for (int k = 0; k < nf; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                *q++ = (char)('0' + x % 10);
            }
        }
        *q = '\0';
        len += (size_t)snprintf(text + len, cap - len, "%d,%s,%s,%s,%s,%s\n", (i + 1) * 1000,
                                nums[i], nums[i], nums[i], nums[i], nums[i]);
    }
    load_ok(fx("decimals.csv", text), "X", &s);
    assert_int_equal(s.n, N);
    for (int i = 0; i < N; i++) {
        double want = strtod(nums[i], NULL);
        if (memcmp(&s.bars[i].close, &want, sizeof want) != 0)
            print_error("'%s': got %.17g want %.17g\n", nums[i], s.bars[i].close, want);
        assert_memory_equal(&s.bars[i].open, &want, sizeof want);
        assert_memory_equal(&s.bars[i].close, &want, sizeof want);
        assert_memory_equal(&s.bars[i].volume, &want, sizeof want);
    }
    gd_series_free(&s);
    free(text);
    free(nums);
}

static void test_interval_inference(void **state)
{
    gd_series s;
    (void)state;
    /* Daily bars Mon 2024-01-01 .. Fri, weekend gap, Mon .. Tue. */
    char text[1024];
    size_t len = (size_t)snprintf(text, sizeof text, "%s", HDR);
    const int64_t mon = INT64_C(1704067200000);
    const int days[] = {0, 1, 2, 3, 4, 7, 8};
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%lld,10,11,9,10.5,1000\n",
                                (long long)(mon + days[i] * DAY));
    load_ok(fx("daily.csv", text), "SPX", &s);
    assert_int_equal(s.n, 7);
    assert_int_equal(s.interval_ms, DAY);
    /* Friday's bar closes at Saturday 00:00, not at Monday's open. */
    assert_int_equal(s.bars[4].open_time_ms, mon + 4 * DAY);
    assert_int_equal(s.bars[4].close_time_ms, mon + 5 * DAY);
    assert_int_equal(s.bars[6].close_time_ms, mon + 9 * DAY);
    gd_series_free(&s);

    /* The smallest gap wins wherever it occurs; the first gap is not special. */
    load_ok(fx("gaps.csv", "0,1,1,1,1,0\n3000,1,1,1,1,0\n4000,1,1,1,1,0\n6000,1,1,1,1,0\n"), "X",
            &s);
    assert_int_equal(s.interval_ms, 1000);
    assert_int_equal(s.bars[0].close_time_ms, 1000);
    assert_int_equal(s.bars[3].close_time_ms, 7000);
    gd_series_free(&s);
}

/* Long lines first, then many short ones: the capacity estimate (taken from
 * the first 16 KiB) falls short by about 4x and the array has to grow. */
static void test_growth(void **state)
{
    enum { N = 100000, LONG = 400 };
    size_t cap = (size_t)N * 32 + LONG * 100, len = 0;
    char *text = malloc(cap);
    gd_series s;
    (void)state;
    assert_non_null(text);
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                i < LONG ? "%d,2.0000000000,3.0000000000000,1.000000000000,"
                                           "2.00000000000,%d.0000000000\n"
                                         : "%d,2,3,1,2,%d\n",
                                i * 60, i);
    load_ok(fx("growth.csv", text), "X", &s);
    free(text);
    assert_int_equal(s.n, N);
    assert_int_equal(s.interval_ms, 60);
    for (int i = 0; i < N; i++) {
        assert_int_equal(s.bars[i].open_time_ms, i * 60);
        assert_true(s.bars[i].volume == i);
    }
    gd_series_free(&s);
}

static const char *data_path(char *buf, size_t cap, const char *name)
{
    const char *src = getenv("GD_SRC");
    snprintf(buf, cap, "%s/data/%s", src && *src ? src : ".", name);
    return buf;
}

static void test_real_usdchf(void **state)
{
    char path[512];
    gd_series s;
    (void)state;
    load_ok(data_path(path, sizeof path, "usdchf_30m_1996_2001.csv"), "USDCHF", &s);
    assert_int_equal(s.n, 62496);
    assert_int_equal(s.interval_ms, 1800000);
    assert_bar(&s.bars[0], INT64_C(828316800000), INT64_C(828318600000), 1.193, 1.193, 1.193,
               1.193, 0);
    assert_bar(&s.bars[1], INT64_C(828318600000), INT64_C(828320400000), 1.193, 1.1941, 1.193,
               1.1941, 0);
    assert_bar(&s.bars[62495], INT64_C(985995000000), INT64_C(985996800000), 1.742, 1.7429,
               1.742, 1.7429, 0);
    gd_series_free(&s);
}

static void test_real_sp500(void **state)
{
    char path[512];
    gd_series s;
    (void)state;
    load_ok(data_path(path, sizeof path, "sp500_1d_2000_2020.csv"), "SPX", &s);
    assert_int_equal(s.n, 5105);
    assert_int_equal(s.interval_ms, DAY);
    assert_bar(&s.bars[0], INT64_C(946857600000), INT64_C(946857600000) + DAY, 1469.25, 1478,
               1438.359985, 1455.219971, 931800000);
    assert_bar(&s.bars[5104], INT64_C(1587081600000), INT64_C(1587081600000) + DAY,
               2842.429932, 2879.219971, 2830.879883, 2874.560059, 5792140000.0);
    gd_series_free(&s);
}

/* ----------------------------------------------------------- bad inputs */

#define L2 HDR "1000,1.5,2,1,1.75,100\n" /* lines 1-2 valid; line 3 is the bad one */

static void test_err_fields(void **state)
{
    (void)state;
    expect_err("missing.csv", L2 "2000,1.5,2,1\n", GD_EPARSE,
               "missing.csv:3:13: field close: missing");
    expect_err("missing1.csv", L2 "2000\n", GD_EPARSE, "missing1.csv:3:5: field open: missing");
    expect_err("extra.csv", L2 "2000,1.5,2,1,1.75,100,7\n", GD_EPARSE,
               "extra.csv:3:23: field 7: extra field");
    expect_err("trailcomma.csv", L2 "2000,1.5,2,1,1.75,100,\n", GD_EPARSE,
               "trailcomma.csv:3:23: field 7: extra field");
    expect_err("blanks.csv", L2 "   \n", GD_EPARSE,
               "blanks.csv:3:1: field open_time_ms: not an integer '   '");
    /* Fields are checked left to right: the bad number before the missing field. */
    expect_err("order.csv", L2 "2000,x,2\n", GD_EPARSE, "order.csv:3:6: field open: not a number 'x'");
    /* A stray \r inside a line is not a line ending. */
    expect_err("cr.csv", L2 "2000,1.5\r,2,1,1.75,100\n", GD_EPARSE,
               "cr.csv:3:6: field open: not a number");
    /* NUL bytes are not delimiters. */
    {
        static const char nul[] = L2 "2000,1.5,2,1,1.75,100\0" "5\n";
        expect_err_n("nul.csv", nul, sizeof nul - 1, GD_EPARSE,
                     "nul.csv:3:19: field volume: not a number");
    }
}

static void test_err_numbers(void **state)
{
    (void)state;
    expect_err("bad.csv", L2 "2000,1.5,2,1,1.7x5,100\n", GD_EPARSE,
               "bad.csv:3:14: field close: not a number '1.7x5'");
    expect_err("bad17.csv", L2 "2000,1.5,2.0,1.00,1.7x5,100\n", GD_EPARSE,
               "bad17.csv:3:19: field close: not a number");
    expect_err("empty.csv", L2 "2000,,2,1,1.75,100\n", GD_EPARSE,
               "empty.csv:3:6: field open: empty");
    expect_err("nan.csv", L2 "2000,1.5,nan,1,1.5,100\n", GD_EPARSE,
               "nan.csv:3:10: field high: not a finite number 'nan'");
    expect_err("inf.csv", L2 "2000,1.5,2,1,1.75,inf\n", GD_EPARSE,
               "inf.csv:3:19: field volume: not a finite number 'inf'");
    expect_err("huge.csv", L2 "2000,1e999,2,1,1.75,1\n", GD_EPARSE,
               "huge.csv:3:6: field open: not a finite number");
    expect_err("tiny.csv", L2 "2000,1.5,2,1e-400,1.75,1\n", GD_EPARSE,
               "tiny.csv:3:12: field low: number out of range");
    expect_err("trail.csv", L2 "2000,1.5,2 ,1,1.75,100\n", GD_EPARSE,
               "trail.csv:3:10: field high: not a number '2 '");
    expect_err("hex.csv", L2 "2000,0x1,2,1,1.5,100\n", GD_EPARSE,
               "hex.csv:3:6: field open: not a decimal number (hex is not accepted) '0x1'");
    expect_err("hexf.csv", L2 "2000,1,2,1,0X1.8p0,100\n", GD_EPARSE, "hexf.csv:3:12: field close: not a decimal number");
    expect_err("lead.csv", L2 "2000, 1.5,2,1,1.75,100\n", GD_EPARSE,
               "lead.csv:3:6: field open: not a number");
    expect_err("tsfrac.csv", L2 "2000.5,1.5,2,1,1.75,100\n", GD_EPARSE,
               "tsfrac.csv:3:1: field open_time_ms: not an integer '2000.5'");
    expect_err("tsspace.csv", L2 " 2000,1.5,2,1,1.75,100\n", GD_EPARSE,
               "tsspace.csv:3:1: field open_time_ms: not an integer");
    expect_err("tsbig.csv", L2 "99999999999999999999,1.5,2,1,1.75,100\n", GD_EPARSE,
               "tsbig.csv:3:1: field open_time_ms: integer out of range");
    /* Only line 1 may be a header. */
    expect_err("hdr2.csv", "1000,1.5,2,1,1.75,100\n" HDR, GD_EPARSE,
               "hdr2.csv:2:1: field open_time_ms: not an integer 'open_time_ms'");
    /* Line numbers count empty lines; CRLF does not leak into fields. */
    expect_err("crlfbad.csv", "h\r\n\r\n1000,1.5,2,1,1.75,100\r\n\r\n2000,1.5,2,1,1.7x5,100\r\n",
               GD_EPARSE, "crlfbad.csv:5:14: field close: not a number '1.7x5'");
}

static void test_err_values(void **state)
{
    (void)state;
    expect_err("neg.csv", HDR "-62135596800001,1.5,2,1,1.75,100\n1000,1.5,2,1,1.75,100\n", GD_EINVAL,
               "neg.csv:2:1: field open_time_ms: timestamp outside years 1 to 9999 '-62135596800001'");
    expect_err("neg1.csv", "-62135596800001,1.5,2,1,1.75,100\n1000,1.5,2,1,1.75,100\n", GD_EINVAL,
               "neg1.csv:1:1: field open_time_ms: timestamp outside years 1 to 9999");
    expect_err("low0.csv", L2 "2000,1.5,2,0,1.5,100\n", GD_EINVAL,
               "low0.csv:3:12: field low: price must be > 0, got '0'");
    expect_err("openneg.csv", L2 "2000,-1.5,2,1,1.5,100\n", GD_EINVAL,
               "openneg.csv:3:6: field open: price must be > 0");
    expect_err("negzero.csv", L2 "2000,1.5,2,1,-0,100\n", GD_EINVAL,
               "negzero.csv:3:14: field close: price must be > 0");
    expect_err("vol.csv", L2 "2000,1.5,2,1,1.75,-1\n", GD_EINVAL,
               "vol.csv:3:19: field volume: volume must be >= 0, got '-1'");
    expect_err("hilo.csv", L2 "2000,1.5,1,2,1.5,100\n", GD_EINVAL,
               "hilo.csv:3:10: field high: high '1' is below low '2'");
    expect_err("openhi.csv", L2 "2000,2.5,2,1,1.5,100\n", GD_EINVAL,
               "openhi.csv:3:6: field open: open '2.5' outside [low '1', high '2']");
    expect_err("openlo.csv", L2 "2000,0.5,2,1,1.5,100\n", GD_EINVAL,
               "openlo.csv:3:6: field open: open '0.5' outside");
    expect_err("closehi.csv", L2 "2000,1.5,2,1,2.5,100\n", GD_EINVAL,
               "closehi.csv:3:14: field close: close '2.5' outside [low '1', high '2']");
    /* Strict: no tolerance for float noise. */
    expect_err("closelo.csv", L2 "2000,1.5,2,1,0.9999999999999999,100\n", GD_EINVAL,
               "closelo.csv:3:14: field close: close '0.9999999999999999' outside");
}

static void test_err_order(void **state)
{
    (void)state;
    expect_err("dup.csv", L2 "1000,1.5,2,1,1.75,100\n", GD_EINVAL,
               "dup.csv:3:1: field open_time_ms: duplicate timestamp 1000 (line 2 and line 3)");
    expect_err("ooo.csv", L2 "2000,1.5,2,1,1.75,100\n\n500,1.5,2,1,1.75,100\n", GD_EINVAL,
               "ooo.csv:5:1: field open_time_ms: out of order: 500 at line 5 is before 2000 "
               "at line 3");
}

static void test_err_whole_file(void **state)
{
    gd_series s;
    gd_err err = {{0}};
    char want[300];
    int rc;
    (void)state;
    expect_err("empty_file.csv", "", GD_EINVAL, "empty_file.csv: no bars");
    expect_err("hdr_only.csv", HDR, GD_EINVAL, "hdr_only.csv: no bars");
    expect_err("hdr_blank.csv", "open_time_ms,open,high,low,close,volume\r\n\r\n\n", GD_EINVAL,
               "hdr_blank.csv: no bars");
    expect_err("one.csv", HDR "\n1000,1.5,2,1,1.75,100\n", GD_EINVAL,
               "one.csv:3: only one bar: the interval is unknown");

    memset(&s, 0x5A, sizeof s);
    rc = gd_csv_load("/nonexistent/dir/nope.csv", "X", &s, &err);
    assert_int_equal(rc, GD_ENOENT);
    snprintf(want, sizeof want, "/nonexistent/dir/nope.csv: cannot open: %s", strerror(ENOENT));
    assert_string_equal(err.msg, want);
    assert_zeroed(&s);

    memset(&s, 0x5A, sizeof s);
    rc = gd_csv_load(g_dir, "X", &s, &err); /* a directory: open works, read fails */
    assert_int_equal(rc, GD_EIO);
    assert_zeroed(&s);

    /* Symbols must fit gd_series.symbol. */
    memset(&s, 0x5A, sizeof s);
    rc = gd_csv_load(fx("sym.csv", L2 "2000,1.5,2,1,1.75,100\n"),
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", &s, &err);
    assert_int_equal(rc, GD_EINVAL);
    assert_zeroed(&s);
    rc = gd_csv_load(g_paths[g_npaths - 1], "", &s, &err);
    assert_int_equal(rc, GD_EINVAL);
    rc = gd_csv_load(g_paths[g_npaths - 1], "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234", &s, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(s.symbol, "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234");
    gd_series_free(&s);
    assert_int_equal(gd_csv_load(NULL, "X", &s, NULL), GD_EINVAL); /* err may be NULL */

    /* A file over the size limit is refused before it is parsed. */
    gd_csv_opts small = {4096, NULL, NULL};
    memset(&s, 0x5A, sizeof s);
    rc = gd_csv_load_opts("data/usdchf_30m_1996_2001.csv", "X", &small, &s, &err);
    assert_int_equal(rc, GD_ERANGE);
    assert_non_null(strstr(err.msg, "max_file_mb"));
    assert_zeroed(&s);
    small.max_bytes = 1 << 30;
    rc = gd_csv_load_opts("data/usdchf_30m_1996_2001.csv", "X", &small, &s, &err);
    assert_int_equal(rc, 0);
    gd_series_free(&s);

    /* The hash of what was parsed, on request; "" when the load fails. */
    char sha[65], whole[65];
    gd_csv_opts hashed = {0, NULL, sha};
    assert_int_equal(gd_sha256_file("data/usdchf_30m_1996_2001.csv", whole, &err), 0);
    assert_int_equal(gd_csv_load_opts("data/usdchf_30m_1996_2001.csv", "X", &hashed, &s, &err), 0);
    assert_string_equal(sha, whole);
    gd_series_free(&s);
    const char *bad = fx("hashed_bad.csv", "1000,1,2,0.5,1.5,10\n2000,1,2,0.5,x,10\n");
    assert_int_not_equal(gd_csv_load_opts(bad, "X", &hashed, &s, &err), 0);
    assert_string_equal(sha, "");
}

/* ----------------------------------------------------------------- tape */

static gd_series mk_series(const char *sym, int64_t first, int64_t interval, size_t n)
{
    gd_series s;
    memset(&s, 0, sizeof s);
    snprintf(s.symbol, sizeof s.symbol, "%s", sym);
    s.bars = calloc(n ? n : 1, sizeof *s.bars);
    assert_non_null(s.bars);
    s.n = n;
    s.interval_ms = interval;
    for (size_t i = 0; i < n; i++) {
        gordon_bar *b = &s.bars[i];
        b->open_time_ms = first + (int64_t)i * interval;
        b->close_time_ms = b->open_time_ms + interval;
        b->open = b->high = b->low = b->close = 1.0 + (double)i;
    }
    return s;
}

static void assert_tape(const gd_tape *t, const uint32_t *sym, const uint32_t *idx, size_t n)
{
    assert_int_equal(t->n, n);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(t->sym[k], sym[k]);
        assert_int_equal(t->idx[k], idx[k]);
    }
}

static void test_tape_1h_30m(void **state)
{
    /* A 30m series and a 1h series from the same start: the 1h bar closes at
     * the same time as every second 30m bar; ties go to the lower index. */
    const int64_t h = 3600000;
    gd_series s[2];
    gd_tape t;
    gd_err err = {{0}};
    (void)state;
    s[0] = mk_series("M30", 0, h / 2, 5); /* closes 30 60 90 120 150 min */
    s[1] = mk_series("H1", 0, h, 3);      /* closes 60 120 180 min */
    assert_int_equal(gd_tape_build(s, 2, &t, &err), 0);
    {
        const uint32_t sym[] = {0, 0, 1, 0, 0, 1, 0, 1};
        const uint32_t idx[] = {0, 1, 0, 2, 3, 1, 4, 2};
        assert_tape(&t, sym, idx, 8);
    }
    assert_ptr_equal(t.series, s);
    assert_int_equal(t.n_series, 2);
    assert_int_equal(gd_tape_bar(&t, 2)->close_time_ms, h);
    assert_int_equal(gd_tape_bar(&t, 2)->open_time_ms, 0);
    gd_tape_free(&t);
    assert_null(t.sym);
    gd_tape_free(&t);

    /* Same bars, series swapped: the tie order follows the series index. */
    {
        gd_series r[2] = {s[1], s[0]};
        const uint32_t sym[] = {1, 0, 1, 1, 0, 1, 1, 0};
        const uint32_t idx[] = {0, 0, 1, 2, 1, 3, 4, 2};
        assert_int_equal(gd_tape_build(r, 2, &t, &err), 0);
        assert_tape(&t, sym, idx, 8);
        gd_tape_free(&t);
    }
    gd_series_free(&s[0]);
    gd_series_free(&s[1]);
}

static void test_tape_interleaved_csv(void **state)
{
    /* Same interval, offset and overlapping times, loaded through the CSV path. */
    gd_series s[3];
    gd_tape t;
    gd_err err = {{0}};
    (void)state;
    load_ok(fx("ta.csv", HDR "0,1,1,1,1,0\n1000,1,1,1,1,0\n2000,1,1,1,1,0\n5000,1,1,1,1,0\n"),
            "A", &s[0]);
    load_ok(fx("tb.csv", HDR "500,1,1,1,1,0\n1000,1,1,1,1,0\n1500,1,1,1,1,0\n"), "B", &s[1]);
    load_ok(fx("tc.csv", HDR "9000,1,1,1,1,0\n9500,1,1,1,1,0\n"), "C", &s[2]);
    /* closes A: 1000 2000 3000 6000; B: 1000 1500 2000; C: 9500 10000 */
    assert_int_equal(gd_tape_build(s, 3, &t, &err), 0);
    {
        const uint32_t sym[] = {0, 1, 1, 0, 1, 0, 0, 2, 2};
        const uint32_t idx[] = {0, 0, 1, 1, 2, 2, 3, 0, 1};
        assert_tape(&t, sym, idx, 9);
    }
    for (size_t k = 1; k < t.n; k++)
        assert_true(gd_tape_bar(&t, k - 1)->close_time_ms <= gd_tape_bar(&t, k)->close_time_ms);
    gd_tape_free(&t);
    for (int i = 0; i < 3; i++)
        gd_series_free(&s[i]);
}

static void test_tape_errors_and_edges(void **state)
{
    gd_series s[3];
    gd_tape t;
    gd_err err = {{0}};
    (void)state;
    s[0] = mk_series("A", 0, 1000, 3);
    s[1] = mk_series("B", 0, 1000, 0); /* empty series: allowed, contributes nothing */
    s[2] = mk_series("A", 0, 500, 2);

    memset(&t, 0x5A, sizeof t);
    assert_int_equal(gd_tape_build(s, 3, &t, &err), GD_EEXIST);
    assert_non_null(strstr(err.msg, "series 0 and 2: duplicate symbol 'A'"));
    assert_null(t.sym);
    assert_null(t.idx);
    assert_int_equal(t.n, 0);

    assert_int_equal(gd_tape_build(s, 2, &t, &err), 0);
    {
        const uint32_t sym[] = {0, 0, 0};
        const uint32_t idx[] = {0, 1, 2};
        assert_tape(&t, sym, idx, 3);
    }
    gd_tape_free(&t);

    assert_int_equal(gd_tape_build(NULL, 0, &t, &err), 0);
    assert_int_equal(t.n, 0);
    gd_tape_free(&t);
    assert_int_equal(gd_tape_build(&s[1], 1, &t, &err), 0);
    assert_int_equal(t.n, 0);
    gd_tape_free(&t);

    /* A hand-made series whose close times go backwards is refused. */
    s[0].bars[2].close_time_ms = s[0].bars[1].close_time_ms;
    memset(&t, 0x5A, sizeof t);
    assert_int_equal(gd_tape_build(s, 1, &t, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "series 0 (A): close times not increasing at bar 2"));
    assert_null(t.sym);

    for (int i = 0; i < 3; i++)
        gd_series_free(&s[i]);
}

static void test_tape_real(void **state)
{
    char p1[512], p2[512];
    gd_series s[2];
    gd_tape t;
    gd_err err = {{0}};
    size_t next[2] = {0, 0};
    (void)state;
    load_ok(data_path(p1, sizeof p1, "sp500_1d_2000_2020.csv"), "SPX", &s[0]);
    load_ok(data_path(p2, sizeof p2, "usdchf_30m_1996_2001.csv"), "USDCHF", &s[1]);
    assert_int_equal(gd_tape_build(s, 2, &t, &err), 0);
    assert_int_equal(t.n, 5105 + 62496);
    for (size_t k = 0; k < t.n; k++) {
        uint32_t i = t.sym[k];
        assert_true(i < 2);
        assert_int_equal(t.idx[k], next[i]++); /* each series in order, none skipped */
        if (k > 0) {
            const gordon_bar *a = gd_tape_bar(&t, k - 1), *b = gd_tape_bar(&t, k);
            assert_true(a->close_time_ms < b->close_time_ms ||
                        (a->close_time_ms == b->close_time_ms && t.sym[k - 1] < i));
        }
    }
    assert_int_equal(next[0], 5105);
    assert_int_equal(next[1], 62496);
    /* USD/CHF starts in 1996, years before the S&P file. */
    assert_int_equal(t.sym[0], 1);
    assert_int_equal(t.sym[t.n - 1], 0);
    gd_tape_free(&t);
    gd_series_free(&s[0]);
    gd_series_free(&s[1]);
}

/* A [replay] data list: every file loaded with the interval set, and the
 * digest an ablation records (the SHA-256 of "FILE_SHA256  SYMBOL" lines);
 * a bad second file leaves nothing loaded and names itself. */
static void test_data_load_digest(void **state)
{
    gd_data_conf d[2];
    gd_series s[2];
    gd_err err = {{0}};
    char digest[65], fa[65], fb[65], want[65], lines[200];
    const char *a = HDR "0,1,1,1,1,0\n3600000,1,1,1,1,0\n";
    const char *b = HDR "0,2,2,2,2,0\n3600000,2,2,2,2,0\n";
    (void)state;
    memset(d, 0, sizeof d);
    snprintf(d[0].symbol, sizeof d[0].symbol, "AAA");
    snprintf(d[1].symbol, sizeof d[1].symbol, "BBB");
    d[0].path = (char *)fx("da.csv", a);
    d[1].path = (char *)fx("db.csv", b);
    assert_int_equal(gd_data_load(d, 2, 3600000, 0, s, digest, &err), 0);
    assert_int_equal(s[0].n, 2);
    assert_int_equal(s[1].interval_ms, 3600000);
    assert_string_equal(s[1].symbol, "BBB");
    gd_sha256_buf(a, strlen(a), fa);
    gd_sha256_buf(b, strlen(b), fb);
    snprintf(lines, sizeof lines, "%s  AAA\n%s  BBB\n", fa, fb);
    gd_sha256_buf(lines, strlen(lines), want);
    assert_string_equal(digest, want);
    gd_series_free(&s[0]);
    gd_series_free(&s[1]);
    d[1].path = (char *)fx("dc.csv", HDR "0,1,1,1,1,0\nbad\n");
    assert_int_not_equal(gd_data_load(d, 2, 3600000, 0, s, digest, &err), 0);
    assert_non_null(strstr(err.msg, "dc.csv"));
}

/* A file's own declared interval (SYMBOL@INTERVAL:path) wins over the
 * default; a row off it is an error naming it, or skipped and counted. */
static void test_conform_irregular(void **state)
{
    gd_series s;
    gd_data_conf d;
    gd_err err;
    uint64_t skipped = 0;
    (void)state;
    memset(&d, 0, sizeof d);
    snprintf(d.symbol, sizeof d.symbol, "X");
    d.path = (char *)fx("irr.csv", HDR "0,1,1,1,1,0\n1800000,1,1,1,1,0\n3600000,1,1,1,1,0\n5400000,2,2,2,2,0\n"
                                      "7200000,1,1,1,1,0\n");
    load_ok(d.path, "X", &s);
    d.interval_ms = 3600000; /* declared 1h: the 30-minute rows are off it */
    assert_int_equal(gd_series_conform(&s, &d, 60000, 0, &skipped, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "bar 2 (open_time_ms 1800000) is 1800000 ms after the one before"));
    assert_int_equal(s.n, 5); /* nothing half-applied */
    assert_int_equal(gd_series_conform(&s, &d, 60000, 1, &skipped, &err), 0);
    assert_int_equal(skipped, 2);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.interval_ms, 3600000);
    assert_int_equal(s.bars[2].open_time_ms, 7200000);
    assert_int_equal(s.bars[2].close_time_ms, 10800000);
    gd_series_free(&s);
    /* No interval of its own: the default ([market] interval) applies. */
    d.interval_ms = 0;
    load_ok(d.path, "X", &s);
    assert_int_equal(gd_series_conform(&s, &d, 1800000, 0, NULL, &err), 0);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.interval_ms, 1800000);
    gd_series_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_no_header),
        cmocka_unit_test(test_declared_interval),
        cmocka_unit_test(test_crlf_no_final_newline),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_number_forms),
        cmocka_unit_test(test_decimals_match_strtod),
        cmocka_unit_test(test_interval_inference),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_real_usdchf),
        cmocka_unit_test(test_real_sp500),
        cmocka_unit_test(test_err_fields),
        cmocka_unit_test(test_err_numbers),
        cmocka_unit_test(test_err_values),
        cmocka_unit_test(test_err_order),
        cmocka_unit_test(test_err_whole_file),
        cmocka_unit_test(test_tape_1h_30m),
        cmocka_unit_test(test_tape_interleaved_csv),
        cmocka_unit_test(test_tape_errors_and_edges),
        cmocka_unit_test(test_tape_real),
        cmocka_unit_test(test_data_load_digest),
        cmocka_unit_test(test_pre_1970),
        cmocka_unit_test(test_conform_irregular),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
