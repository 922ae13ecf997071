/* The pieces of gordon backup and restore-drill that need no database:
 * manifest.json written and read back, and every bad field refused; restic's
 * snapshot list and times; the child runner (exit status, stderr tail, the
 * secret masked, a clean environment, the deadline, bounded output); and the
 * connection string handed to pg_dump, quoted and without a password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/dates.h"
#include "base/file.h"
#include "db/manifest.h"
#include "db/pgconn.h"
#include "db/restic.h"
#include "db/spawn.h"
#include "tmpdir.h"

static void sample(gd_manifest *m, gd_table_sum t[2])
{
    memset(m, 0, sizeof *m);
    memset(t, 0, 2 * sizeof *t);
    snprintf(m->snapshot_at, sizeof m->snapshot_at, "2026-01-02T03:04:05.678Z");
    m->snapshot_at_ms = 1767323045678;
    snprintf(m->database, sizeof m->database, "gordon");
    snprintf(m->server_version, sizeof m->server_version, "15.8 (Debian 15.8-0+deb12u1)");
    snprintf(m->gordon_version, sizeof m->gordon_version, "0.1.0 (test)");
    m->dump_bytes = 12345;
    memset(m->dump_sha256, 'a', 64);
    snprintf(t[0].name, sizeof t[0].name, "intents");
    t[0].rows = 999999999999999LL; /* the largest accepted */
    memset(t[0].checksum, 'b', 32);
    snprintf(t[1].name, sizeof t[1].name, "fills");
    m->tables = t;
    m->n_tables = 2;
}

static void test_manifest_roundtrip(void **state)
{
    (void)state;
    gd_manifest m, back;
    gd_table_sum t[2];
    gd_err err;
    char dir[256], path[300], *text = NULL;
    size_t len;
    sample(&m, t);
    assert_int_equal(gd_test_tmpdir(dir, sizeof dir, NULL, "gd_test_backup"), 0);
    snprintf(path, sizeof path, "%s/%s", dir, GD_MANIFEST_FILE);
    assert_int_equal(gd_manifest_write(&m, path, &err), 0);
    assert_int_equal(gd_manifest_write(&m, path, &err), GD_EIO); /* never overwritten */
    gd_manifest big;
    gd_table_sum bt[2];
    sample(&big, bt);
    big.dump_bytes = 1000000000000000ULL;
    assert_int_equal(gd_manifest_write(&big, "/nonexistent/m.json", &err), GD_ERANGE);
    assert_int_equal(gd_file_read(path, 0, &text, &len, &err), 0);
    assert_int_equal(gd_manifest_parse(text, "m", &back, &err), 0);
    assert_string_equal(back.snapshot_at, m.snapshot_at);
    assert_true(back.snapshot_at_ms == m.snapshot_at_ms);
    assert_string_equal(back.server_version, m.server_version);
    assert_true(back.dump_bytes == 12345);
    assert_string_equal(back.dump_sha256, m.dump_sha256);
    assert_int_equal(back.n_tables, 2);
    /* sorted by name */
    assert_string_equal(back.tables[0].name, "fills");
    assert_true(back.tables[0].rows == 0);
    assert_string_equal(back.tables[0].checksum, "");
    assert_string_equal(back.tables[1].name, "intents");
    assert_true(back.tables[1].rows == 999999999999999LL);
    assert_string_equal(back.tables[1].checksum, t[0].checksum);
    assert_non_null(gd_table_sum_find(back.tables, back.n_tables, "intents"));
    assert_null(gd_table_sum_find(back.tables, back.n_tables, "orders"));
    gd_manifest_free(&back);
    free(text);
    assert_int_equal(gd_test_rmtree(dir), 0);
}

#define HEAD                                                                                                   \
    "{\"format\":1,\"kind\":\"gordon-trading\",\"snapshot_at\":\"x\",\"snapshot_at_ms\":1,\"database\":\"d\"," \
    "\"server_version\":\"v\",\"gordon_version\":\"g\","
#define DUMP "\"dump\":{\"file\":\"trading.dump\",\"bytes\":5,\"sha256\":\"" SHA "\"},"
#define SHA  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CK   "\"0123456789abcdef0123456789abcdef\""

static void refused(const char *text, const char *what)
{
    gd_manifest m;
    gd_err err;
    int rc = gd_manifest_parse(text, "snap: manifest.json", &m, &err);
    if (rc == 0 || !strstr(err.msg, what))
        fail_msg("expected a refusal naming \"%s\", got %d: %s", what, rc, rc ? err.msg : "(accepted)");
    assert_null(m.tables);
}

static void test_manifest_refusals(void **state)
{
    (void)state;
    gd_manifest m;
    gd_err err;
    assert_int_equal(gd_manifest_parse(HEAD DUMP "\"tables\":{\"a\":{\"rows\":2,\"checksum\":" CK "}}}", "m", &m, &err),
                     0);
    gd_manifest_free(&m);
    refused("{", "not valid JSON");
    refused("[]", "not a JSON object");
    refused("{\"format\":2}", "format 2");
    refused(HEAD DUMP "\"x\":0}", "tables: missing");
    refused(HEAD "\"tables\":{}}", "dump: missing");
    refused(HEAD "\"dump\":{\"file\":\"x.dump\",\"bytes\":5,\"sha256\":\"" SHA "\"},\"tables\":{}}", "dump.file");
    refused(HEAD "\"dump\":{\"file\":\"trading.dump\",\"bytes\":5,\"sha256\":\"ABC\"},\"tables\":{}}", "dump.sha256");
    refused(HEAD "\"dump\":{\"file\":\"trading.dump\",\"bytes\":-1,\"sha256\":\"" SHA "\"},\"tables\":{}}",
            "dump.bytes");
    refused(HEAD DUMP "\"tables\":{\"a\":{\"rows\":1e15,\"checksum\":" CK "}}}", "tables.a.rows: not a whole");
    refused(HEAD DUMP "\"tables\":{\"a\":{\"rows\":1.5,\"checksum\":" CK "}}}", "tables.a.rows: not a whole");
    refused(HEAD DUMP "\"tables\":{\"a\":{\"rows\":\"1\",\"checksum\":" CK "}}}", "tables.a.rows");
    refused(HEAD DUMP "\"tables\":{\"a\":{\"rows\":1,\"checksum\":\"xyz\"}}}", "tables.a.checksum");
    refused(HEAD DUMP "\"tables\":{\"a\":{\"rows\":1,\"checksum\":\"\"}}}", "empty for 1 rows");
    refused(HEAD DUMP "\"tables\":{\"a\":{\"rows\":0,\"checksum\":" CK "}}}", "set for 0 rows");
    refused(HEAD DUMP "\"tables\":{\"a\":{\"rows\":0,\"checksum\":\"\"},\"a\":{\"rows\":0,\"checksum\":\"\"}}}",
            "a appears twice");
    refused(HEAD DUMP "\"tables\":{\"\":{\"rows\":0,\"checksum\":\"\"}}}", "empty or longer");
    refused(HEAD DUMP "\"tables\":[]}", "tables: missing or not an object");
}

static void test_rfc3339(void **state)
{
    (void)state;
    int64_t ms;
    gd_err err;
    assert_int_equal(gd_rfc3339_ms("1970-01-01T00:00:00Z", &ms, &err), 0);
    assert_true(ms == 0);
    assert_int_equal(gd_rfc3339_ms("2026-12-05T04:38:54.20662951Z", &ms, &err), 0);
    assert_true(ms == gd_days_from_civil(2026, 12, 5) * GD_DAY_MS + (4 * 3600 + 38 * 60 + 54) * 1000 + 206);
    int64_t z = ms;
    assert_int_equal(gd_rfc3339_ms("2026-12-05T05:38:54.206+01:00", &ms, &err), 0);
    assert_true(ms == z);
    assert_int_equal(gd_rfc3339_ms("2026-12-04T23:08:54.2-05:30", &ms, &err), 0);
    assert_true(ms == z - 6);
    assert_int_equal(gd_rfc3339_ms("1969-12-31T23:59:59.5Z", &ms, &err), 0);
    assert_true(ms == -500);
    const char *bad[] = {"",
                         "2026-12-05",
                         "2026-12-05T04:38:54",
                         "2026-13-05T04:38:54Z",
                         "2026-12-05T04:38:54.Z",
                         "2026-12-05T04:38:54+0100",
                         "2026-12-05T04:38:54Zjunk",
                         "2026-12-05X04:38:54Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(gd_rfc3339_ms(bad[i], &ms, &err), GD_EPARSE);
}

static void test_latest(void **state)
{
    (void)state;
    gd_restic_snap s;
    gd_err err;
    /* The newest by time, whatever the order and the offsets. */
    assert_int_equal(gd_restic_latest_parse("[{\"id\":\"aaaa1111ffff\",\"short_id\":\"aaaa1111\",\"time\":"
                                            "\"2026-12-05T06:00:00+02:00\"},"
                                            "{\"id\":\"bbbb2222ffff\",\"short_id\":\"bbbb2222\",\"time\":"
                                            "\"2026-12-05T04:30:00Z\"},"
                                            "{\"id\":\"cccc3333ffff\",\"time\":\"2026-12-05T04:10:00Z\"}]",
                                            &s, &err),
                     0);
    assert_string_equal(s.id, "bbbb2222ffff");
    assert_string_equal(s.short_id, "bbbb2222");
    assert_string_equal(s.time, "2026-12-05T04:30:00Z");
    assert_int_equal(gd_restic_latest_parse("[]", &s, &err), GD_ENOENT);
    assert_non_null(strstr(err.msg, "no snapshot tagged gordon-trading"));
    assert_int_equal(gd_restic_latest_parse("null", &s, &err), GD_EPARSE);
    assert_int_equal(gd_restic_latest_parse("[{\"id\":\"a\"}]", &s, &err), GD_EPARSE);
    assert_int_equal(gd_restic_latest_parse("[{\"id\":\"a\",\"time\":\"yesterday\"}]", &s, &err), GD_EPARSE);
    assert_non_null(strstr(err.msg, "not an RFC 3339 time"));
}

static void test_spawn_status_and_tail(void **state)
{
    (void)state;
    gd_spawn_result r;
    gd_err err;
    char *argv[] = {"sh", "-c", "echo out; printf 'one\\ntwo hunter2 three\\n' >&2; exit 3", NULL};
    char *envp[] = {NULL};
    gd_spawn_opts o = {"the child", NULL, -1, 0, 5000, "hunter2"};
    assert_int_equal(gd_spawn_run(argv, envp, &o, &r, &err), GD_EIO);
    assert_int_equal(r.status, 3);
    assert_string_equal(r.out, "out\n");
    assert_string_equal(r.tail, "one / two *** three");
    assert_string_equal(err.msg, "the child exited with status 3: one / two *** three");
    gd_spawn_result_free(&r);

    char *ok[] = {"sh", "-c", "exit 0", NULL};
    assert_int_equal(gd_spawn_run(ok, envp, &o, &r, &err), 0);
    assert_int_equal(r.status, 0);
    gd_spawn_result_free(&r);

    char *sig[] = {"sh", "-c", "kill -KILL $$", NULL};
    assert_int_equal(gd_spawn_run(sig, envp, &o, &r, &err), GD_EIO);
    assert_int_equal(r.status, 128 + 9);
    assert_non_null(strstr(err.msg, "killed by signal 9"));
    gd_spawn_result_free(&r);

    /* A child ended by an interrupting signal (its process group's) is an
     * interruption, whatever this process has received yet. */
    char *term[] = {"sh", "-c", "kill -TERM $$", NULL};
    assert_int_equal(gd_spawn_run(term, envp, &o, &r, &err), GD_ECANCELED);
    assert_int_equal(r.status, 128 + 15);
    assert_non_null(strstr(err.msg, "interrupted by a signal"));
    gd_spawn_result_free(&r);

    char *none[] = {"gd-no-such-program-here", NULL};
    assert_int_equal(gd_spawn_run(none, envp, &o, &r, &err), GD_ENOENT);
    assert_non_null(strstr(err.msg, "not found in PATH"));
    gd_spawn_result_free(&r);
}

static void test_spawn_long_stderr(void **state)
{
    (void)state;
    gd_spawn_result r;
    gd_err err;
    /* Far more than the tail: the end is kept, a cut first line dropped. */
    char *argv[] = {"sh", "-c",
                    "i=0; while [ $i -lt 500 ]; do echo \"line $i of the log\" >&2; i=$((i+1)); done; "
                    "echo 'Fatal: the end' >&2; exit 1",
                    NULL};
    char *envp[] = {NULL};
    gd_spawn_opts o = {NULL, NULL, -1, 0, 5000, NULL};
    assert_int_equal(gd_spawn_run(argv, envp, &o, &r, &err), GD_EIO);
    size_t n = strlen(r.tail);
    assert_true(n > 100 && n < GD_SPAWN_TAIL);
    assert_string_equal(r.tail + n - strlen("line 499 of the log / Fatal: the end"),
                        "line 499 of the log / Fatal: the end");
    assert_true(strncmp(r.tail, "line ", 5) == 0);
    gd_spawn_result_free(&r);
}

static void test_spawn_env(void **state)
{
    (void)state;
    gd_spawn_result r;
    gd_err err;
    gd_envv e = GD_ENVV_INIT;
    setenv("GD_TEST_PASSED_ON", "yes", 1);
    setenv("GD_TEST_PREFIX_A", "a", 1);
    setenv("GD_TEST_PREFIX_B", "b", 1);
    gd_envv_set(&e, "ONE", "1=one");
    gd_envv_pass(&e, "GD_TEST_PASSED_ON");
    gd_envv_pass(&e, "GD_TEST_NOT_SET_ANYWHERE");
    gd_envv_pass_prefix(&e, "GD_TEST_PREFIX_");
    assert_int_equal(gd_envv_check(&e, &err), 0);
    char *argv[] = {"env", NULL};
    gd_spawn_opts o = {NULL, NULL, -1, 0, 5000, NULL};
    assert_int_equal(gd_spawn_run(argv, gd_envv_get(&e), &o, &r, &err), 0);
    /* Exactly what was given, nothing of ours. */
    assert_string_equal(r.out, "ONE=1=one\nGD_TEST_PASSED_ON=yes\nGD_TEST_PREFIX_A=a\nGD_TEST_PREFIX_B=b\n");
    gd_spawn_result_free(&r);
    gd_envv_free(&e);
}

static void test_spawn_bounds(void **state)
{
    (void)state;
    gd_spawn_result r;
    gd_err err;
    char *envp[] = {NULL};
    char *slow[] = {"sleep", "5", NULL};
    gd_spawn_opts o = {NULL, NULL, -1, 0, 200, NULL};
    double t0 = gd_mono_ms();
    assert_int_equal(gd_spawn_run(slow, envp, &o, &r, &err), GD_ETIMEDOUT);
    assert_true(gd_mono_ms() - t0 < 2000);
    assert_non_null(strstr(err.msg, "did not finish within"));
    gd_spawn_result_free(&r);

    /* A grandchild that keeps the pipes does not hold us once the child
     * has exited. */
    char *bg[] = {"sh", "-c", "sleep 3 & echo started", NULL};
    o.timeout_ms = 10000;
    t0 = gd_mono_ms();
    assert_int_equal(gd_spawn_run(bg, envp, &o, &r, &err), 0);
    assert_true(gd_mono_ms() - t0 < 2500);
    assert_string_equal(r.out, "started\n");
    gd_spawn_result_free(&r);

    char *loud[] = {"sh", "-c", "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done", NULL};
    o.out_max = 4096;
    assert_int_equal(gd_spawn_run(loud, envp, &o, &r, &err), GD_ERANGE);
    gd_spawn_result_free(&r);
}

static void test_conninfo(void **state)
{
    (void)state;
    gd_pg_params p = {"host='db.example' port='6543'", "s3cret", "trading"};
    char *s = gd_pg_conninfo_db(&p, "it's a \\ name");
    assert_non_null(s);
    assert_string_equal(s, "host='db.example' port='6543' dbname='it\\'s a \\\\ name'");
    free(s);
    gd_pg_params q = {"", NULL, "x"};
    s = gd_pg_conninfo_db(&q, "scratch");
    assert_string_equal(s, "dbname='scratch'");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_roundtrip),
        cmocka_unit_test(test_manifest_refusals),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_latest),
        cmocka_unit_test(test_spawn_status_and_tail),
        cmocka_unit_test(test_spawn_long_stderr),
        cmocka_unit_test(test_spawn_env),
        cmocka_unit_test(test_spawn_bounds),
        cmocka_unit_test(test_conninfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
