/* base/json: escaping that never leaves half an escape or a stale byte,
 * invalid UTF-8 replaced, cuts at character boundaries, numbers that read
 * back exactly. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/json.h"

/* Valid UTF-8 over the whole string. */
static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = gd_utf8_seq(p);
        if (!n)
            return 0;
        p += n;
    }
    return 1;
}

static void test_seq(void **state)
{
    (void)state;
    assert_int_equal(gd_utf8_seq((const unsigned char *)"a"), 1);
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\xC3\xA9"), 2);         /* é */
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\xE2\x82\xAC"), 3);     /* € */
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\xF0\x9F\x92\xB0"), 4); /* 💰 */
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\xC0\xAF"), 0);         /* overlong */
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\xE0\x80\xAF"), 0);     /* overlong */
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\xED\xA0\x80"), 0);     /* surrogate */
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\xF4\x90\x80\x80"), 0); /* > U+10FFFF */
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\xC3"), 0);             /* cut short */
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\xFF"), 0);
    assert_int_equal(gd_utf8_seq((const unsigned char *)"\x80"), 0);
    assert_int_equal(gd_utf8_seq((const unsigned char *)""), 0);
}

static void test_escape(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(gd_json_escape(buf, sizeof buf, "a\"b\\c\n\t\x01"), 17);
    assert_string_equal(buf, "a\\\"b\\\\c\\n\\t\\u0001");
    /* Invalid bytes become U+FFFD, valid ones pass. */
    gd_json_escape(buf, sizeof buf, "x\xFFy\xC3\xA9z\xC3");
    assert_string_equal(buf, "x\xEF\xBF\xBDy\xC3\xA9z\xEF\xBF\xBD");
    assert_int_equal(gd_json_escape(NULL, 0, "\xFF"), 3); /* measuring */
}

/* Every cut of every input stops at a whole unit: no half escape, no half
 * character, nothing written after a unit that did not fit. */
static void test_escape_truncation(void **state)
{
    (void)state;
    static const char *const in[] = {"ab\"cd\\ef\n", "\x01\x02\x03xyz", "\xE2\x82\xAC\xE2\x82\xACx\"",
                                     "a\xFF\xFE" "b\xF0\x9F\x92\xB0", "\"\"\"\"\"\"a"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char full[128];
        size_t need = gd_json_escape(full, sizeof full, in[i]);
        assert_int_equal(strlen(full), need);
        for (size_t cap = 1; cap <= need + 1; cap++) {
            char buf[128];
            memset(buf, 'Z', sizeof buf);
            assert_int_equal(gd_json_escape(buf, cap, in[i]), need);
            size_t got = strlen(buf);
            assert_true(got < cap);
            /* A prefix of the full text, and a prefix that ends on a unit:
             * the next byte of the full text starts a unit. */
            assert_memory_equal(buf, full, got);
            assert_true(valid_utf8(buf));
            if (got < need) {
                unsigned char c = (unsigned char)full[got];
                assert_true((c & 0xC0) != 0x80); /* not inside a character */
                assert_true(got == 0 || full[got - 1] != '\\' || (got >= 2 && full[got - 2] == '\\'));
            }
            assert_true(buf[got + 1] == 'Z' || got + 1 >= cap || cap == sizeof buf); /* nothing after */
        }
    }
}

static void test_utf8_copy(void **state)
{
    (void)state;
    char buf[8];
    assert_string_equal(gd_utf8_copy(buf, sizeof buf, "ok"), "ok");
    assert_string_equal(gd_utf8_copy(buf, sizeof buf, "\xFF" "a"), "\xEF\xBF\xBD" "a");
    /* "€€€" is 9 bytes: in 8 bytes only two whole euro signs fit. */
    assert_string_equal(gd_utf8_copy(buf, sizeof buf, "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"),
                        "\xE2\x82\xAC\xE2\x82\xAC");
    assert_string_equal(gd_utf8_copy(buf, 1, "abc"), "");
    assert_string_equal(gd_utf8_copy(buf, sizeof buf, ""), "");
    /* ASCII, found eight bytes at a time: cut at the buffer, or a byte
     * that is not ASCII after the first eight, each as before. */
    char big[40];
    assert_string_equal(gd_utf8_copy(buf, sizeof buf, "abcdefghijkl"), "abcdefg");
    assert_string_equal(gd_utf8_copy(big, sizeof big, "abcdefghijklmnopqr"), "abcdefghijklmnopqr");
    assert_string_equal(gd_utf8_copy(big, sizeof big, "abcdefghij\xFFk"), "abcdefghij\xEF\xBF\xBD" "k");
    assert_string_equal(gd_utf8_copy(big, sizeof big, "abcdefgh\xE2\x82\xAC"), "abcdefgh\xE2\x82\xAC");
    char same[16] = "in place, ok";
    assert_string_equal(gd_utf8_copy(same, sizeof same, same), "in place, ok");
    assert_null(gd_utf8_copy(NULL, 0, "x"));
}

/* gd_json_number's text, the slow way it had before its fast paths: the
 * first of %.15g, %.16g, %.17g that reads back as v. */
static void number_reference(char *out, size_t cap, double v)
{
    if (!isfinite(v)) {
        snprintf(out, cap, "null");
        return;
    }
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v && !(v == 0 && signbit(v))) {
        snprintf(out, cap, "%lld", (long long)v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* The short-decimal path prints what the slow path printed, for prices of
 * every precision and magnitude, their neighbours one ulp away, and random
 * doubles. */
static void test_number_fast_same(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    char got[64], want[64];
    size_t diff = 0, n = 0;
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        int kind = (int)(x % 4);
        if (kind == 0) { /* a decimal: up to 16 digits, 0-15 of them after the point */
            double m = (double)(x >> 11 & ((1ull << 50) - 1)) / (double)(1ull << (x >> 61 & 7) * 7);
            int k = (int)((x >> 56) % 16);
            static const double p[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
            v = floor(m) / p[k % 16];
        } else if (kind == 1) { /* a price with few decimals */
            v = (double)(x >> 40) / (double)(1ull << (x & 15)) / 1000.0;
        } else if (kind == 2) { /* any finite double */
            uint64_t b = x;
            memcpy(&v, &b, sizeof v);
            if (!isfinite(v))
                continue;
        } else { /* one ulp from a decimal */
            v = nextafter((double)(x >> 24 & 0xFFFFFF) / 10000.0, (x & 1) ? INFINITY : 0.0);
        }
        if (x & 2)
            v = -v;
        gd_json_number(got, sizeof got, v);
        number_reference(want, sizeof want, v);
        n++;
        if (strcmp(got, want) != 0 && diff++ < 5)
            print_message("%.17g: %s, was %s\n", v, got, want);
    }
    assert_int_equal(diff, 0);
    assert_true(n > 200000);
    assert_string_equal((gd_json_number(got, sizeof got, 0.0001), got), "0.0001");
    assert_string_equal((gd_json_number(got, sizeof got, -1.23456), got), "-1.23456");
    assert_string_equal((gd_json_number(got, sizeof got, 0.1 + 0.2), got), "0.30000000000000004");
    assert_string_equal((gd_json_number(got, sizeof got, 0.00001), got), "1e-05");
}

static void test_number(void **state)
{
    (void)state;
    char buf[40];
    gd_json_number(buf, sizeof buf, 290065.26468455);
    assert_string_equal(buf, "290065.26468455");
    gd_json_number(buf, sizeof buf, 0.1);
    assert_string_equal(buf, "0.1");
    gd_json_number(buf, sizeof buf, 1.0 / 3.0);
    assert_true(strtod(buf, NULL) == 1.0 / 3.0);
    gd_json_number(buf, sizeof buf, NAN);
    assert_string_equal(buf, "null");
    gd_json_number(buf, sizeof buf, -INFINITY);
    assert_string_equal(buf, "null");
    /* Any double reads back exactly. */
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v))
            continue;
        gd_json_number(buf, sizeof buf, v);
        assert_true(strtod(buf, NULL) == v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq),        cmocka_unit_test(test_escape), cmocka_unit_test(test_escape_truncation),
        cmocka_unit_test(test_utf8_copy), cmocka_unit_test(test_number),
        cmocka_unit_test(test_number_fast_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
