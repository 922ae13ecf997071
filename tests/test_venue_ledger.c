/* venue/ledger: what the executor keeps for a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/file.h"
#include "venue/ledger.h"
#include "tmpdir.h"

typedef struct fx {
    char dir[256];
    char path[320];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(gd_test_tmpdir(f->dir, sizeof f->dir, NULL, "gd_ledger"), 0);
    snprintf(f->path, sizeof f->path, "%s/venue.ledger", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(gd_test_rmtree(f->dir), 0);
    free(f);
    return 0;
}

static gd_vledger_rec rec(uint64_t id, const char *strategy, const char *symbol)
{
    gd_vledger_rec r;
    memset(&r, 0, sizeof r);
    r.id = id;
    snprintf(r.strategy, sizeof r.strategy, "%s", strategy);
    snprintf(r.symbol, sizeof r.symbol, "%s", symbol);
    r.side = 1;
    r.qty = 0.125;
    r.stop = 99.4;
    r.tp = 0;
    r.ref = 100.37;
    r.at_ms = 1796464196681;
    return r;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static char *read_all(const char *path)
{
    char *buf;
    size_t n;
    gd_err e;
    assert_int_equal(gd_file_read(path, 0, &buf, &n, &e), 0);
    return buf;
}

/* Records survive a reopen with what followed them; flat ones go, and the
 * file is compacted to what is left. */
static void test_ledger_reopen_keeps_open_records(void **state)
{
    fx *f = *state;
    gd_vledger *l;
    gd_err e;
    assert_int_equal(gd_vledger_open(f->path, NULL, &l, &e), 0);
    assert_int_equal(gd_vledger_count(l), 0);
    gd_vledger_rec a = rec(11, "long", "BTCUSDT"), b = rec(12, "trend", "ETHUSDT");
    b.side = -1;
    b.tp = 88.5;
    assert_int_equal(gd_vledger_entry(l, &a, &e), 0);
    assert_int_equal(gd_vledger_entry(l, &b, &e), 0);
    assert_int_equal(gd_vledger_entry(l, &a, &e), GD_EEXIST);
    assert_int_equal(gd_vledger_fill(l, 11, 0.125, 100.5, &e), 0);
    assert_int_equal(gd_vledger_close(l, 11, 15, 'x', &e), 0);
    assert_int_equal(gd_vledger_fill(l, 12, 0.05, 90.25, &e), 0);
    assert_int_equal(gd_vledger_flat(l, 12, &e), 0);
    assert_int_equal(gd_vledger_fill(l, 99, 1, 1, &e), GD_ENOENT);
    gd_vledger_free(l);

    assert_int_equal(gd_vledger_open(f->path, NULL, &l, &e), 0);
    assert_int_equal(gd_vledger_count(l), 1);
    const gd_vledger_rec *r = gd_vledger_at(l, 0);
    assert_int_equal(r->id, 11);
    assert_string_equal(r->strategy, "long");
    assert_string_equal(r->symbol, "BTCUSDT");
    assert_int_equal(r->side, 1);
    assert_true(r->qty == 0.125 && r->stop == 99.4 && r->ref == 100.37);
    assert_true(r->filled == 0.125 && r->avg == 100.5);
    assert_int_equal(r->close_id, 15);
    assert_int_equal(r->close_kind, 'x');
    assert_int_equal(r->at_ms, 1796464196681);
    assert_null(gd_vledger_find(l, 12));
    gd_vledger_free(l);

    /* Compacted: the flat record is gone from the file too. */
    char *text = read_all(f->path);
    assert_null(strstr(text, "\"id\":12"));
    assert_non_null(strstr(text, "\"t\":\"close\",\"id\":11,\"close\":15,\"kind\":\"x\""));
    free(text);
}

/* A crash mid-write leaves a line without its newline: what it named was
 * never sent, so it is dropped, and the rest stands. */
static void test_ledger_torn_last_line_dropped(void **state)
{
    fx *f = *state;
    write_file(f->path, "{\"t\":\"entry\",\"id\":5,\"strategy\":\"long\",\"symbol\":\"BTCUSDT\",\"side\":1,\"qty\":1,"
                        "\"stop\":9,\"tp\":0,\"ref\":10,\"at\":1}\n"
                        "{\"t\":\"entry\",\"id\":6,\"strategy\":\"long\",\"sym");
    gd_vledger *l;
    gd_err e;
    assert_int_equal(gd_vledger_open(f->path, NULL, &l, &e), 0);
    assert_int_equal(gd_vledger_count(l), 1);
    assert_int_equal(gd_vledger_at(l, 0)->id, 5);
    gd_vledger_free(l);
}

/* Damage before the end is not a torn write: refused, naming file and
 * line, and the file is left as it was. */
static void test_ledger_bad_line_names_file_and_line(void **state)
{
    fx *f = *state;
    static const char *const bad[] = {
        "{\"t\":\"entry\",\"id\":5,\"strategy\":\"Bad Name\",\"symbol\":\"BTCUSDT\",\"side\":1,\"qty\":1}\n",
        "{\"t\":\"entry\",\"id\":5,\"strategy\":\"long\",\"symbol\":\"BTCUSDT\",\"side\":2,\"qty\":1}\n",
        "{\"t\":\"entry\",\"id\":5,\"strategy\":\"long\",\"symbol\":\"BTCUSDT\",\"side\":1,\"qty\":-1}\n",
        "{\"t\":\"fill\",\"id\":7,\"filled\":1,\"avg\":2}\n",
        "{\"t\":\"entry\",\"id\":-3,\"strategy\":\"long\",\"symbol\":\"BTCUSDT\",\"side\":1,\"qty\":1}\n",
        "not json\n",
        "{\"t\":\"what\",\"id\":5}\n",
        "{\"t\":\"entry\",\"id\":5,\"strategy\":\"long\",\"symbol\":\"BTCUSDT\",\"side\":1,\"qty\":1,\"at\":1e300}\n",
        /* fuzz_ledger: a symbol of backslashes was read, then written back
         * unescaped as a line that could not be read again. */
        "{\"t\":\"entry\",\"id\":5,\"strategy\":\"long\",\"symbol\":\"BT\\\\\\\\\\\\\",\"side\":1,\"qty\":1}\n",
        "{\"t\":\"entry\",\"id\":5,\"strategy\":\"long\",\"symbol\":\"BTC\\\"USDT\",\"side\":1,\"qty\":1}\n",
    };
    static const char *const field[] = {"strategy",           "side", "qty", "no entry 7", "id", "not a JSON object",
                                        "unknown record type", "out of range", "field symbol", "field symbol"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"t\":\"entry\",\"id\":4,\"strategy\":\"long\",\"symbol\":\"ETHUSDT\",\"side\":-1,\"qty\":2}\n%s",
                 bad[k]);
        write_file(f->path, text);
        gd_vledger *l = NULL;
        gd_err e;
        assert_int_equal(gd_vledger_open(f->path, NULL, &l, &e), GD_EPARSE);
        assert_null(l);
        char where[352];
        snprintf(where, sizeof where, "%s:2:", f->path);
        assert_non_null(strstr(e.msg, where));
        if (!strstr(e.msg, field[k]))
            fail_msg("%zu: %s", k, e.msg);
        char *now = read_all(f->path);
        assert_string_equal(now, text);
        free(now);
    }
}

/* An overfilled entry is bad input, not a bigger position. */
static void test_ledger_fill_bounded_by_entry(void **state)
{
    fx *f = *state;
    write_file(f->path,
               "{\"t\":\"entry\",\"id\":4,\"strategy\":\"long\",\"symbol\":\"ETHUSDT\",\"side\":-1,\"qty\":2}\n"
               "{\"t\":\"fill\",\"id\":4,\"filled\":3,\"avg\":2}\n");
    gd_vledger *l = NULL;
    gd_err e;
    assert_int_equal(gd_vledger_open(f->path, NULL, &l, &e), GD_EPARSE);
    assert_non_null(strstr(e.msg, ":2: fields filled, avg"));
}

/* Names that would break the line are refused before anything is written. */
static void test_ledger_refuses_bad_names(void **state)
{
    fx *f = *state;
    gd_vledger *l;
    gd_err e;
    assert_int_equal(gd_vledger_open(f->path, NULL, &l, &e), 0);
    gd_vledger_rec r = rec(3, "long", "BTC\"USDT");
    assert_int_equal(gd_vledger_entry(l, &r, &e), GD_EINVAL);
    r = rec(3, "long", "BT\\\\");
    assert_int_equal(gd_vledger_entry(l, &r, &e), GD_EINVAL);
    r = rec(3, "long", "BTC USDT");
    assert_int_equal(gd_vledger_entry(l, &r, &e), GD_EINVAL);
    r = rec(3, "", "BTCUSDT");
    assert_int_equal(gd_vledger_entry(l, &r, &e), GD_EINVAL);
    assert_int_equal(gd_vledger_count(l), 0);
    gd_vledger_free(l);
    char *text = read_all(f->path);
    assert_string_equal(text, "");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ledger_reopen_keeps_open_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger_torn_last_line_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger_bad_line_names_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger_fill_bounded_by_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger_refuses_bad_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
