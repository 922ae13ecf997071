/* base/jscan: the allocation-free JSON scanner the market stream uses. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/jscan.h"

typedef struct seen {
    char line[32][64];
    int n;
} seen;

static void note(void *arg, int depth, gd_jspan parent, gd_jspan key, const gd_jval *v)
{
    seen *s = arg;
    if (s->n < 32)
        snprintf(s->line[s->n++], sizeof s->line[0], "%d %.*s.%.*s %d %.*s", depth, (int)parent.n, parent.p, (int)key.n,
                 key.p, v->type, (int)(v->text.n < 20 ? v->text.n : 20), v->text.p);
}

static int ok(const char *t) { return gd_jscan(t, strlen(t), 8, NULL, NULL, NULL) == 0; }

static void test_jscan_grammar(void **state)
{
    (void)state;
    static const char *const good[] = {"{}",
                                       "[]",
                                       " 0 ",
                                       "-0.5e+10",
                                       "\"a\\u00e9\\n\"",
                                       "true",
                                       "null",
                                       "{\"a\":[1,{\"b\":false}],\"c\":\"\"}",
                                       "[[[]]]",
                                       "\"\\ud83d\\ude00\""};
    static const char *const bad[] = {"",
                                      "{",
                                      "{\"a\"}",
                                      "{\"a\":1,}",
                                      "[1,]",
                                      "01",
                                      "1.",
                                      ".5",
                                      "-",
                                      "1e",
                                      "tru",
                                      "\"\\x\"",
                                      "\"\\u12\"",
                                      "\"a\nb\"",
                                      "{} {}",
                                      "{a:1}",
                                      "'a'",
                                      "[1 2]",
                                      "\"unterminated",
                                      "nul",
                                      "\"\\ud83d\"",
                                      "\"\\ude00\"",
                                      "\"\\ud83d\\u0041\""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!ok(good[i]))
            fail_msg("refused %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ok(bad[i]))
            fail_msg("accepted %s", bad[i]);
    /* Nesting past max_depth is refused (bounded recursion). */
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_int_equal(gd_jscan(deep, 200, 8, NULL, NULL, NULL), -1);
    assert_int_equal(gd_jscan(deep + 95, 10, 8, NULL, NULL, NULL), 0);
    size_t off = 0;
    assert_int_equal(gd_jscan("{\"a\":tru}", 9, 8, NULL, NULL, &off), -1);
    assert_int_equal(off, 5);
}

/* Members in post-order with depth and parent: a combined-stream kline. */
static void test_jscan_members(void **state)
{
    (void)state;
    const char *t = "{\"stream\":\"btcusdt@kline_1m\",\"data\":{\"e\":\"kline\",\"s\":\"BTCUSDT\","
                    "\"k\":{\"t\":60000,\"c\":\"100.5\",\"x\":true}}}";
    seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(gd_jscan(t, strlen(t), 8, note, &s, NULL), 0);
    assert_int_equal(s.n, 8);
    assert_string_equal(s.line[0], "0 .stream 4 btcusdt@kline_1m");
    assert_string_equal(s.line[1], "1 data.e 4 kline");
    assert_string_equal(s.line[2], "1 data.s 4 BTCUSDT");
    assert_string_equal(s.line[3], "2 k.t 3 60000");
    assert_string_equal(s.line[4], "2 k.c 4 100.5");
    assert_string_equal(s.line[5], "2 k.x 2 true");
    assert_string_equal(s.line[6], "1 data.k 5 {\"t\":60000,\"c\":\"100.");
    assert_string_equal(s.line[7], "0 .data 5 {\"e\":\"kline\",\"s\":\"BT");
}

static void test_jscan_numbers(void **state)
{
    (void)state;
    gd_jval v = {GD_JS_STR, {"100.25", 6}, 0};
    assert_true(gd_jval_num(&v) == 100.25);
    v.text = (gd_jspan){"1e3", 3};
    assert_true(gd_jval_num(&v) == 1000.0);
    v.text = (gd_jspan){"100.25x", 7};
    assert_true(isnan(gd_jval_num(&v)));
    v.text = (gd_jspan){" 1", 2};
    assert_true(isnan(gd_jval_num(&v)));
    v.text = (gd_jspan){"nan", 3};
    assert_true(isnan(gd_jval_num(&v)));
    v.type = GD_JS_NUM;
    v.text = (gd_jspan){"-7", 2};
    assert_true(gd_jval_num(&v) == -7.0);
    v.type = GD_JS_TRUE;
    assert_true(isnan(gd_jval_num(&v)));
    assert_true(gd_jspan_eq((gd_jspan){"kline", 5}, "kline"));
    assert_false(gd_jspan_eq((gd_jspan){"kline", 5}, "klines"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jscan_grammar),
        cmocka_unit_test(test_jscan_members),
        cmocka_unit_test(test_jscan_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
