/* The persisted halt latch and the audit trail (host/state.c): round trip,
 * fail-closed loading of a corrupt latch, crash leftovers, append-only audit
 * lines that are valid JSON, clear errors for unusable directories, and the
 * audit trail's hash chain (host/risk/audit.c): it continues across
 * reopens, and every kind of tampering is found at the right line, halts
 * the store and is recorded so the trail verifies again after it. */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "tmpdir.h"

#include "base/hash.h"
#include "risk/audit.h"
#include "risk/state.h"
#include "base/dates.h"

typedef struct fixture {
    char root[64]; /* mkdtemp */
    char dir[128]; /* root/state: made by gd_state_init in each test that needs it */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (gd_test_tmpdir(f->root, sizeof f->root, NULL, "gd_state") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "%s/state", f->root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    chmod(f->dir, 0700); /* in case a test left it read-only */
    int rc = gd_test_rmtree(f->root);
    free(f);
    return rc;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static char *read_file(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *buf = calloc(1, 65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static gd_latch make_latch(int halted, const char *who, const char *why, int64_t since)
{
    gd_latch l;
    memset(&l, 0, sizeof l);
    l.halted = halted;
    snprintf(l.who, sizeof l.who, "%s", who);
    snprintf(l.why, sizeof l.why, "%s", why);
    l.since_ms = since;
    return l;
}

static void test_fresh_dir_not_halted(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.latch.halted, 0);
    assert_true(st.audit_fd >= 0);
    struct stat sb;
    assert_int_equal(stat(f->dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    gd_state_close(&st);
    gd_state_close(&st); /* idempotent */
    /* Opening again (directory exists) is fine. */
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    gd_state_close(&st);
}

static void test_round_trip_and_reopen(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    /* Quotes, backslashes, newlines and UTF-8 survive the JSON round trip. */
    gd_latch l = make_latch(1, "breaker.dd", "drawdown 12.5% > 10% \"hard\"\\ \n caf\xc3\xa9",
                            1714000000123LL);
    assert_int_equal(gd_state_set_latch(&st, &l, &err), 0);
    assert_int_equal(st.latch.halted, 1);
    assert_string_equal(st.latch.who, l.who);
    gd_state_close(&st);

    char *text = read_file(f->dir, "latch.json");
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "halted")));
    cJSON_Delete(j);
    free(text);
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s/latch.json.tmp", f->dir);
    assert_int_not_equal(access(tmp, F_OK), 0); /* renamed away */

    /* A restart keeps the halt: invariant 4. */
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.latch.halted, 1);
    assert_string_equal(st.latch.who, "breaker.dd");
    assert_string_equal(st.latch.why, l.why);
    assert_int_equal(st.latch.since_ms, 1714000000123LL);

    /* Operator resume, persisted too. */
    gd_latch r = make_latch(0, "operator:ab12cd34", "resumed after review", 1714000999000LL);
    assert_int_equal(gd_state_set_latch(&st, &r, &err), 0);
    gd_state_close(&st);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.latch.halted, 0);
    assert_string_equal(st.latch.who, "operator:ab12cd34");
    assert_int_equal(st.latch.since_ms, 1714000999000LL);
    gd_state_close(&st);
}

static void expect_refused(fixture *f, const char *content, const char *needle)
{
    gd_state st;
    gd_err err = {{0}};
    mkdir(f->dir, 0700);
    write_file(f->dir, "latch.json", content);
    int rc = gd_state_open(f->dir, GD_STATE_OWN, &st, &err);
    if (rc == 0)
        fail_msg("corrupt latch accepted: %s", content);
    assert_int_equal(rc, GD_EPARSE);
    assert_non_null(strstr(err.msg, "latch.json"));
    if (!strstr(err.msg, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err.msg, needle);
    assert_null(st.dir);
    assert_int_equal(st.audit_fd, -1);
    gd_state_close(&st); /* safe after a failed open */
}

static void test_corrupt_latch_refused(void **state)
{
    fixture *f = *state;
    expect_refused(f, "", "not valid JSON");
    expect_refused(f, "{\"halted\":true,", "not valid JSON");
    expect_refused(f, "halted", "not valid JSON");
    expect_refused(f, "[true]", "object");
    expect_refused(f, "{\"halted\":false,\"who\":\"x\",\"why\":\"y\",\"since_ms\":1} junk", "not valid JSON");
    expect_refused(f, "{\"halted\":\"false\",\"who\":\"x\",\"why\":\"y\",\"since_ms\":1}", "halted");
    expect_refused(f, "{\"halted\":0,\"who\":\"x\",\"why\":\"y\",\"since_ms\":1}", "halted");
    expect_refused(f, "{\"who\":\"x\",\"why\":\"y\",\"since_ms\":1}", "halted");
    expect_refused(f, "{\"halted\":true,\"who\":7,\"why\":\"y\",\"since_ms\":1}", "who");
    expect_refused(f, "{\"halted\":true,\"why\":\"y\",\"since_ms\":1}", "who");
    expect_refused(f, "{\"halted\":true,\"who\":\"x\",\"why\":null,\"since_ms\":1}", "why");
    expect_refused(f, "{\"halted\":true,\"who\":\"x\",\"why\":\"y\",\"since_ms\":\"1\"}", "since_ms");
    expect_refused(f, "{\"halted\":true,\"who\":\"x\",\"why\":\"y\",\"since_ms\":1.5}", "since_ms");
    expect_refused(f, "{\"halted\":true,\"who\":\"x\",\"why\":\"y\"}", "since_ms");
    /* who longer than the struct can hold: refused, not truncated. */
    char big[512];
    char who[200];
    memset(who, 'w', sizeof who - 1);
    who[sizeof who - 1] = '\0';
    snprintf(big, sizeof big, "{\"halted\":true,\"who\":\"%s\",\"why\":\"y\",\"since_ms\":1}", who);
    expect_refused(f, big, "who");
}

static void test_missing_latch_is_fine(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(mkdir(f->dir, 0700), 0);
    write_file(f->dir, "audit.jsonl", ""); /* other files present, no latch */
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.latch.halted, 0);
    gd_state_close(&st);
}

static void test_crash_leftover_tmp_ignored(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    gd_latch l = make_latch(1, "breaker.dd", "tripped", 1000);
    assert_int_equal(gd_state_set_latch(&st, &l, &err), 0);
    gd_state_close(&st);

    /* A crash between writing the temp file and the rename leaves this
     * behind: complete or torn, it was never committed. */
    write_file(f->dir, "latch.json.tmp",
               "{\"halted\":false,\"who\":\"attacker\",\"why\":\"x\",\"since_ms\":2}");
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.latch.halted, 1);
    assert_string_equal(st.latch.who, "breaker.dd");
    gd_state_close(&st);

    write_file(f->dir, "latch.json.tmp", "{\"halted\":fal");
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.latch.halted, 1);
    /* The next write replaces the leftover and commits normally. */
    gd_latch r = make_latch(0, "operator:00ff00ff", "ok", 3000);
    assert_int_equal(gd_state_set_latch(&st, &r, &err), 0);
    gd_state_close(&st);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.latch.halted, 0);
    assert_int_equal(st.latch.since_ms, 3000);
    gd_state_close(&st);
}

static void test_audit_lines(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(gd_state_audit(&st, "trip", "breaker.dd", "dd 12% > 10%", 100,
                                    "\"value\":12.5,\"threshold\":10", &err),
                     0);
    assert_int_equal(gd_state_audit(&st, "halt", "breaker.dd", "say \"hi\"\n\ttab\\", 200, NULL, &err), 0);
    assert_int_equal(gd_state_audit(&st, "resume", NULL, NULL, 300, "", &err), 0);
    /* Bad extra fields are refused rather than written as a broken line. */
    assert_int_equal(gd_state_audit(&st, "flatten", "op", "x", 400, "\"a\":", &err), GD_EINVAL);
    assert_int_equal(gd_state_audit(&st, "flatten", "op", "x", 400, "}{", &err), GD_EINVAL);
    assert_int_equal(gd_state_audit(&st, "flatten", "op", "x", 400, "\"a\":1}, {\"b\":2", &err), GD_EINVAL);
    assert_int_equal(gd_state_audit(&st, "flatten", "op", "x", 400, "\"a\":\n1", &err), GD_EINVAL);
    assert_int_equal(gd_state_audit(&st, "", "op", "x", 400, NULL, &err), GD_EINVAL);
    gd_state_close(&st);

    /* Reopen appends, never truncates. */
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(gd_state_audit(&st, "resume_refused", "operator:ab12cd34", "breaker still tripped",
                                    500, "\"breaker\":\"dd\"", &err),
                     0);
    gd_state_close(&st);

    char path[256];
    struct stat sb;
    snprintf(path, sizeof path, "%s/audit.jsonl", f->dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    char *text = read_file(f->dir, "audit.jsonl");
    static const char *events[] = {"trip", "halt", "resume", "resume_refused"};
    static const int64_t ts[] = {100, 200, 300, 500};
    int lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        assert_true(lines < 4);
        cJSON *j = cJSON_Parse(line);
        if (!j)
            fail_msg("audit line %d is not JSON: %s", lines + 1, line);
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "event")), events[lines]);
        assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "ts_ms")) == (double)ts[lines]);
        assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "who")));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "why")));
        if (lines == 0)
            assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "value")) == 12.5);
        if (lines == 1)
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "why")),
                                "say \"hi\"\n\ttab\\");
        if (lines == 3)
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "breaker")), "dd");
        cJSON_Delete(j);
        lines++;
    }
    assert_int_equal(lines, 4);
    free(text);
}

static void test_unusable_dir(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    char path[256];

    /* A path under a regular file: fails for root too. */
    write_file(f->root, "plain", "x");
    snprintf(path, sizeof path, "%s/plain/state", f->root);
    assert_int_equal(gd_state_open(path, GD_STATE_OWN, &st, &err), GD_EIO);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "Not a directory"));

    /* The state dir itself is a regular file. */
    snprintf(path, sizeof path, "%s/plain", f->root);
    assert_int_equal(gd_state_open(path, GD_STATE_OWN, &st, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "Not a directory"));
    assert_int_equal(gd_state_init(path, &err), GD_EINVAL);

    assert_int_equal(gd_state_open("", GD_STATE_OWN, &st, &err), GD_EINVAL);
}

static void test_set_latch_failure_keeps_old(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    char moved[256];
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    gd_latch l = make_latch(1, "breaker.dd", "tripped", 1000);
    assert_int_equal(gd_state_set_latch(&st, &l, &err), 0);

    /* Pull the directory away and put a regular file in its place: every
     * write fails, root or not. */
    snprintf(moved, sizeof moved, "%s/moved", f->root);
    assert_int_equal(rename(f->dir, moved), 0);
    write_file(f->root, "state", "x");
    gd_latch r = make_latch(0, "operator:ab12cd34", "resume", 2000);
    assert_int_equal(gd_state_set_latch(&st, &r, &err), GD_EIO);
    assert_non_null(strstr(err.msg, "latch.json.tmp"));
    assert_non_null(strstr(err.msg, "Not a directory"));
    assert_int_equal(st.latch.halted, 1); /* unchanged */
    assert_string_equal(st.latch.who, "breaker.dd");
    gd_state_close(&st);
    unlink(f->dir);
    assert_int_equal(rename(moved, f->dir), 0);

    /* Permission-based failure: only meaningful when not root. */
    if (geteuid() == 0)
        return;
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(chmod(f->dir, 0500), 0);
    assert_int_equal(gd_state_set_latch(&st, &r, &err), GD_EIO);
    assert_non_null(strstr(err.msg, "Permission denied"));
    assert_int_equal(st.latch.halted, 1);
    assert_int_equal(chmod(f->dir, 0700), 0);
    gd_state_close(&st);
}

static void test_set_latch_bad_input(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    gd_latch l = make_latch(1, "x", "y", 1);
    memset(l.who, 'a', sizeof l.who); /* no NUL */
    assert_int_equal(gd_state_set_latch(&st, &l, &err), GD_EINVAL);
    l = make_latch(1, "x", "y", INT64_MAX);
    assert_int_equal(gd_state_set_latch(&st, &l, &err), GD_ERANGE);
    assert_int_equal(st.latch.halted, 0);
    gd_state_close(&st);
    gd_state closed;
    memset(&closed, 0, sizeof closed);
    closed.audit_fd = -1;
    assert_int_equal(gd_state_set_latch(&closed, &l, &err), GD_EINVAL);
    assert_int_equal(gd_state_audit(&closed, "trip", "a", "b", 1, NULL, &err), GD_EINVAL);
}

/* A state directory is never made implicitly: a typo must not start a
 * fresh, un-halted store. gordon init makes one on purpose. */
static void test_never_created(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    struct stat sb;
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), GD_ENOENT);
    assert_non_null(strstr(err.msg, "does not exist"));
    assert_non_null(strstr(err.msg, "gordon init --state-dir"));
    assert_int_not_equal(stat(f->dir, &sb), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_INSPECT, &st, &err), GD_ENOENT);

    char deep[256];
    snprintf(deep, sizeof deep, "%s/a/b/state", f->root);
    assert_int_equal(gd_state_init(deep, &err), 0);
    assert_int_equal(stat(deep, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    /* An existing store is kept as it is. */
    assert_int_equal(gd_state_open(deep, GD_STATE_OWN, &st, &err), 0);
    gd_latch l = make_latch(1, "operator:ab12cd34", "kept", 5);
    assert_int_equal(gd_state_set_latch(&st, &l, &err), 0);
    gd_state_close(&st);
    assert_int_equal(gd_state_init(deep, &err), 0);
    assert_int_equal(gd_state_open(deep, GD_STATE_INSPECT, &st, &err), 0);
    assert_int_equal(st.latch.halted, 1);
    gd_state_close(&st);
}

/* One daemon per state_dir: the second owner is refused, naming the first. */
static void test_one_owner(void **state)
{
    fixture *f = *state;
    gd_state a, b, c;
    gd_err err = {{0}};
    char pid[32];
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &a, &err), 0);
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &b, &err), GD_ESTATE);
    assert_non_null(strstr(err.msg, pid));
    assert_non_null(strstr(err.msg, "one daemon per state_dir"));
    /* Inspecting takes no lock and says who holds it. */
    assert_int_equal(gd_state_open(f->dir, GD_STATE_INSPECT, &c, &err), 0);
    assert_int_equal(c.holder_pid, (long)getpid());
    assert_int_equal(c.audit_fd, -1);
    gd_latch l = make_latch(1, "x", "y", 1);
    assert_int_equal(gd_state_set_latch(&c, &l, &err), GD_EINVAL); /* read-only */
    gd_state_close(&c);
    gd_state_close(&a);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &b, &err), 0);
    gd_state_close(&b);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_INSPECT, &c, &err), 0);
    assert_int_equal(c.holder_pid, 0);
    gd_state_close(&c);
}

/* A latch that is a symbolic link (dangling or not), or says a key twice,
 * is refused: never read as "absent" or first-key-wins. */
static void test_symlink_and_duplicate_keys_refused(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    char link[256];
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    snprintf(link, sizeof link, "%s/latch.json", f->dir);
    assert_int_equal(symlink("/nonexistent/latch.json", link), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), GD_EPARSE);
    assert_non_null(strstr(err.msg, "symbolic link"));
    unlink(link);
    write_file(f->root, "real.json", "{\"halted\":false,\"who\":\"\",\"why\":\"\",\"since_ms\":0}\n");
    char real[256];
    snprintf(real, sizeof real, "%s/real.json", f->root);
    assert_int_equal(symlink(real, link), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), GD_EPARSE);
    unlink(link);

    write_file(f->dir, "latch.json",
               "{\"halted\":true,\"who\":\"a\",\"why\":\"b\",\"since_ms\":1,\"halted\":false}\n");
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), GD_EPARSE);
    assert_non_null(strstr(err.msg, "twice"));
    assert_int_equal(gd_state_open(f->dir, GD_STATE_INSPECT, &st, &err), GD_EPARSE);
}

/* The intent-id high-water mark starts past the clock (a store made anew
 * never reuses an id an older one put on the venue), survives a restart,
 * only grows, and a broken record is refused. */
static void test_ids_reserved(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    uint64_t t0 = (uint64_t)gd_wall_ms() * 1000u;
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_true(st.next_id >= t0 && st.next_id <= (uint64_t)gd_wall_ms() * 1000u);
    uint64_t up = st.next_id + 1000000;
    assert_int_equal(gd_state_reserve_ids(&st, up, &err), 0);
    assert_int_equal(gd_state_reserve_ids(&st, 10, &err), 0); /* never down */
    assert_int_equal(st.next_id, up);
    gd_state_close(&st);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.next_id, up);
    gd_state_close(&st);
    write_file(f->dir, "ids.json", "{\"next_id\":-3}\n");
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), GD_EPARSE);
    assert_non_null(strstr(err.msg, "ids.json"));
    write_file(f->dir, "ids.json", "{\"next_id\":5,\"next_id\":7}\n");
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), GD_EPARSE);
}

/* The probe really writes: it fails when the store cannot take a write. */
static void test_probe(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    char moved[256];
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(gd_state_probe(&st, &err), 0);
    snprintf(moved, sizeof moved, "%s/moved", f->root);
    assert_int_equal(rename(f->dir, moved), 0);
    assert_int_equal(gd_state_probe(&st, &err), GD_EIO);
    assert_int_equal(rename(moved, f->dir), 0);
    assert_int_equal(gd_state_probe(&st, &err), 0);
    gd_state_close(&st);
}

/* --- the audit trail's hash chain ----------------------------------------- */

#define TRAIL_LINES_MAX 32

typedef struct trail {
    char *line[TRAIL_LINES_MAX]; /* owned, without newlines */
    int n;
} trail;

static void trail_load(const char *dir, trail *t)
{
    char *text = read_file(dir, "audit.jsonl");
    char *save = NULL;
    memset(t, 0, sizeof *t);
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        assert_true(t->n < TRAIL_LINES_MAX);
        t->line[t->n] = strdup(l);
        assert_non_null(t->line[t->n]);
        t->n++;
    }
    free(text);
}

/* Writes the lines back, each ending in a newline unless cut_last. */
static void trail_store(const char *dir, const trail *t, int cut_last)
{
    char path[256];
    snprintf(path, sizeof path, "%s/audit.jsonl", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < t->n; i++)
        fprintf(fp, "%s%s", t->line[i], cut_last && i == t->n - 1 ? "" : "\n");
    assert_int_equal(fclose(fp), 0);
}

static void trail_free(trail *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->line[i]);
    memset(t, 0, sizeof *t);
}

/* A store with n audit records written through gd_state_audit. */
static void make_trail(fixture *f, int n)
{
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    for (int i = 0; i < n; i++) {
        char why[64];
        snprintf(why, sizeof why, "reason %d", i + 1);
        assert_int_equal(gd_state_audit(&st, i % 2 ? "resume" : "halt", "operator:ab12cd34", why, 1000 + i,
                                        i == 2 ? "\"orders\":2" : NULL, &err),
                         0);
    }
    gd_state_close(&st);
}

static void verify_dir(const fixture *f, gd_audit_tail *t)
{
    char path[256];
    gd_err err = {{0}};
    snprintf(path, sizeof path, "%s/audit.jsonl", f->dir);
    assert_int_equal(gd_audit_verify(path, t, NULL, NULL, &err), 0);
}

/* The trail verifies as broken at want_line, with needle in what is wrong. */
static void expect_break(const fixture *f, uint64_t want_line, const char *needle)
{
    gd_audit_tail t;
    verify_dir(f, &t);
    if (t.break_line != want_line)
        fail_msg("break found at line %llu (%s), expected line %llu", (unsigned long long)t.break_line, t.break_what,
                 (unsigned long long)want_line);
    if (!strstr(t.break_what, needle))
        fail_msg("break at line %llu says \"%s\", not \"%s\"", (unsigned long long)want_line, t.break_what, needle);
}

/* Each line's seq counts from 1 and prev is the SHA-256 of the line before
 * (genesis first); the chain goes on across a close and reopen. */
/* With a loop attached the fdatasyncs go to the threadpool: every line is
 * in the file when gd_state_audit returns, the loop never waits, and the
 * chain reopens intact. */
static void test_audit_synced_off_loop(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(gd_state_sync_on_loop(&st, &loop, &err), 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(gd_state_audit(&st, "flatten", "operator:x", "drill", 1000 + i, NULL, &err), 0);
    char *text = read_file(f->dir, "audit.jsonl");
    size_t lines = 0;
    for (const char *p = text; p && *p; p++)
        lines += *p == '\n';
    free(text);
    assert_int_equal(lines, 50); /* in the file before the loop ran */
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(gd_state_sync_failures(&st), 0);
    gd_state_close(&st);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_INSPECT, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 0);
    gd_state_close(&st);
}

static void test_audit_chain_continues(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    make_trail(f, 3);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.audit.lines, 3);
    assert_int_equal(st.audit.seq, 3);
    assert_int_equal(st.audit.break_line, 0);
    assert_int_equal(gd_state_audit(&st, "flatten", "operator:ab12cd34", "after reopen", 2000, NULL, &err), 0);
    gd_state_close(&st);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(gd_state_audit(&st, "halt", "breaker.dd", "again", 3000, NULL, &err), 0);
    gd_state_close(&st);

    trail t;
    trail_load(f->dir, &t);
    assert_int_equal(t.n, 5);
    char prev[65] = GD_AUDIT_GENESIS;
    for (int i = 0; i < t.n; i++) {
        cJSON *j = cJSON_Parse(t.line[i]);
        assert_non_null(j);
        assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "seq")) == i + 1);
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "prev")), prev);
        cJSON_Delete(j);
        gd_sha256_buf(t.line[i], strlen(t.line[i]), prev);
    }
    /* The fields are where they were: seq and prev come first. */
    assert_true(strncmp(t.line[0], "{\"seq\":1,\"prev\":\"" GD_AUDIT_GENESIS "\",\"ts_ms\":1000,\"event\":\"halt\"",
                        strlen("{\"seq\":1,\"prev\":\"" GD_AUDIT_GENESIS "\",\"ts_ms\":1000,\"event\":\"halt\"")) == 0);
    trail_free(&t);

    gd_audit_tail v;
    verify_dir(f, &v);
    assert_int_equal(v.lines, 5);
    assert_int_equal(v.seq, 5);
    assert_int_equal(v.breaks, 0);
    assert_int_equal(v.break_line, 0);
    assert_string_equal(v.prev, prev);

    /* Extra fields may not say seq, prev or the line's own keys again. */
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(gd_state_audit(&st, "halt", "x", "y", 1, "\"seq\":9", &err), GD_EINVAL);
    assert_int_equal(gd_state_audit(&st, "halt", "x", "y", 1, "\"prev\":\"\"", &err), GD_EINVAL);
    assert_int_equal(gd_state_audit(&st, "halt", "x", "y", 1, "\"why\":\"twice\"", &err), GD_EINVAL);
    assert_int_equal(gd_state_audit(&st, "halt", "x", "y", 1, "\"a\":1,\"a\":2", &err), GD_EINVAL);
    /* A line longer than verification reads is refused, not written. */
    char *big = malloc(GD_AUDIT_LINE_MAX + 1);
    assert_non_null(big);
    memset(big, 'w', GD_AUDIT_LINE_MAX);
    big[GD_AUDIT_LINE_MAX] = '\0';
    assert_int_equal(gd_state_audit(&st, "halt", "x", big, 1, NULL, &err), GD_ERANGE);
    free(big);
    assert_int_equal(st.audit.seq, 5);
    gd_state_close(&st);
    verify_dir(f, &v);
    assert_int_equal(v.lines, 5);
    assert_int_equal(v.break_line, 0);
}

/* A break found when the store opens to write: it comes back halted with
 * the line in the reason, records the break chained to the last line read,
 * and the trail verifies again from that record on (without halting again
 * at the next open). An inspecting open reports it and writes nothing. */
static void test_audit_break_halts_and_is_recorded(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    trail t;
    make_trail(f, 5);
    trail_load(f->dir, &t);
    char *p = strstr(t.line[2], "reason 3");
    assert_non_null(p);
    p[7] = '9'; /* "reason 9": an edited field in line 3 */
    trail_store(f->dir, &t, 0);
    char last[65];
    gd_sha256_buf(t.line[4], strlen(t.line[4]), last);
    trail_free(&t);
    /* Nothing in line 3 itself shows it; line 4's prev no longer names it. */
    expect_break(f, 4, "not the SHA-256 of line 3");

    assert_int_equal(gd_state_open(f->dir, GD_STATE_INSPECT, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 4);
    assert_int_equal(st.latch.halted, 0);
    gd_state_close(&st);
    trail_load(f->dir, &t);
    assert_int_equal(t.n, 5); /* inspecting wrote nothing */
    trail_free(&t);

    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 4);
    assert_non_null(strstr(st.audit.break_what, "line 3"));
    assert_int_equal(st.latch.halted, 1);
    assert_string_equal(st.latch.who, "state");
    assert_non_null(strstr(st.latch.why, "audit trail broken at audit.jsonl line 4"));
    /* The chain goes on from the record of the break. */
    assert_int_equal(gd_state_audit(&st, "resume", "operator:ab12cd34", "reviewed", 5000, NULL, &err), 0);
    gd_state_close(&st);

    trail_load(f->dir, &t);
    assert_int_equal(t.n, 7);
    cJSON *j = cJSON_Parse(t.line[5]);
    assert_non_null(j);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "event")), GD_AUDIT_EV_BROKEN);
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "line")) == 4);
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "seq")) == 6);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "prev")), last);
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "why")), "line 4"));
    cJSON_Delete(j);
    trail_free(&t);

    gd_audit_tail v;
    verify_dir(f, &v);
    assert_int_equal(v.break_line, 0); /* recorded */
    assert_int_equal(v.breaks, 1);     /* but still reported */
    assert_int_equal(v.seq, 7);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 0);
    assert_int_equal(st.latch.halted, 1); /* the latch still waits for an operator */
    gd_state_close(&st);
    trail_load(f->dir, &t);
    assert_int_equal(t.n, 7); /* no second record */
    trail_free(&t);
}

static void test_audit_deleted_line(void **state)
{
    fixture *f = *state;
    trail t;
    make_trail(f, 5);
    trail_load(f->dir, &t);
    free(t.line[2]);
    memmove(&t.line[2], &t.line[3], 2 * sizeof t.line[0]);
    t.n--;
    trail_store(f->dir, &t, 0);
    trail_free(&t);
    expect_break(f, 3, "seq 4 where 3 was expected");
}

static void test_audit_swapped_lines(void **state)
{
    fixture *f = *state;
    trail t;
    make_trail(f, 5);
    trail_load(f->dir, &t);
    char *x = t.line[1];
    t.line[1] = t.line[2];
    t.line[2] = x;
    trail_store(f->dir, &t, 0);
    trail_free(&t);
    expect_break(f, 2, "seq 3 where 2 was expected");
}

/* A cut last line: the break names it; the store ends it with a newline
 * before recording the break, so the record stands on a line of its own. */
static void test_audit_truncated_last_line(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    trail t;
    make_trail(f, 5);
    trail_load(f->dir, &t);
    t.line[4][strlen(t.line[4]) / 2] = '\0';
    trail_store(f->dir, &t, 1);
    trail_free(&t);
    expect_break(f, 5, "incomplete");

    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 5);
    assert_int_equal(st.latch.halted, 1);
    gd_state_close(&st);
    trail_load(f->dir, &t);
    assert_int_equal(t.n, 6);
    assert_non_null(strstr(t.line[5], GD_AUDIT_EV_BROKEN));
    trail_free(&t);
    gd_audit_tail v;
    verify_dir(f, &v);
    assert_int_equal(v.break_line, 0);
    assert_int_equal(v.breaks, 1); /* line 5 is now a line that is not JSON */
    assert_int_equal(v.partial, 0);
}

/* Only the last newline missing: nothing was lost, but the store cannot
 * tell that from a cut, so it halts; once the line is ended the chain
 * holds, with the record of the break in it. */
static void test_audit_missing_last_newline(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    trail t;
    make_trail(f, 5);
    trail_load(f->dir, &t);
    trail_store(f->dir, &t, 1);
    trail_free(&t);
    expect_break(f, 5, "incomplete");
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 5);
    assert_int_equal(st.latch.halted, 1);
    gd_state_close(&st);
    gd_audit_tail v;
    verify_dir(f, &v);
    assert_int_equal(v.lines, 6);
    assert_int_equal(v.breaks, 0);
    assert_int_equal(v.break_line, 0);
    assert_int_equal(v.seq, 6);
}

static void test_audit_forged_append(void **state)
{
    fixture *f = *state;
    trail t;
    make_trail(f, 5);
    trail_load(f->dir, &t);
    t.line[t.n++] = strdup("{\"seq\":6,\"prev\":\"" GD_AUDIT_GENESIS
                           "\",\"ts_ms\":9,\"event\":\"resume\",\"who\":\"operator:ab12cd34\",\"why\":\"forged\"}");
    trail_store(f->dir, &t, 0);
    trail_free(&t);
    expect_break(f, 6, "not the SHA-256 of line 5");
}

/* Lines that are not what the store writes are breaks at their line too. */
static void test_audit_bad_lines(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *line;
        const char *needle;
    } cases[] = {
        {"{\"seq\":3,\"prev\":", "not valid JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"seq\":3,\"seq\":3}", "twice"},
        {"{\"ts_ms\":1,\"event\":\"halt\",\"who\":\"a\",\"why\":\"b\"}", "outside the chain"},
        {"{\"seq\":\"3\",\"prev\":\"" GD_AUDIT_GENESIS "\"}", "whole number"},
        {"{\"seq\":3,\"prev\":\"ABC\"}", "64 lowercase hex"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trail t;
        make_trail(f, 4);
        trail_load(f->dir, &t);
        free(t.line[2]);
        t.line[2] = strdup(cases[i].line);
        trail_store(f->dir, &t, 0);
        trail_free(&t);
        expect_break(f, 3, cases[i].needle);
        char path[256];
        snprintf(path, sizeof path, "%s/audit.jsonl", f->dir);
        unlink(path);
    }

    /* A line longer than any the store writes: the file is refused. */
    char path[256];
    gd_state st;
    gd_err err = {{0}};
    snprintf(path, sizeof path, "%s/audit.jsonl", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < GD_AUDIT_LINE_MAX + 10; i++)
        fputc('x', fp);
    fputc('\n', fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), GD_ERANGE);
    assert_non_null(strstr(err.msg, "audit.jsonl:1: longer than"));
    /* A symbolic link is refused like the latch's. */
    unlink(path);
    assert_int_equal(symlink("/nonexistent/audit.jsonl", path), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_INSPECT, &st, &err), GD_EIO);
    assert_non_null(strstr(err.msg, "symbolic link"));
}

/* A trail from before the chain: accepted once, at the start of the file,
 * and sealed by the first chained record, which the owner writes at open. */
static void test_audit_legacy_prefix(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    write_file(f->dir, "audit.jsonl",
               "{\"ts_ms\":1,\"event\":\"halt\",\"who\":\"breaker.dd\",\"why\":\"old 1\"}\n"
               "{\"ts_ms\":2,\"event\":\"resume\",\"who\":\"operator:ab12cd34\",\"why\":\"old 2\"}\n"
               "{\"ts_ms\":3,\"event\":\"halt\",\"who\":\"breaker.dd\",\"why\":\"old 3\"}\n");
    gd_audit_tail v;
    verify_dir(f, &v);
    assert_int_equal(v.legacy, 3);
    assert_int_equal(v.sealed, 0);
    assert_int_equal(v.break_line, 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 0);
    assert_int_equal(st.latch.halted, 0);
    assert_int_equal(gd_state_audit(&st, "halt", "operator:ab12cd34", "new", 4, NULL, &err), 0);
    gd_state_close(&st);
    verify_dir(f, &v);
    assert_int_equal(v.lines, 5);
    assert_int_equal(v.legacy, 3);
    assert_int_equal(v.sealed, 1);
    assert_int_equal(v.seq, 2);
    assert_int_equal(v.break_line, 0);
    trail t;
    trail_load(f->dir, &t);
    assert_non_null(strstr(t.line[3], "\"seq\":1,"));
    assert_non_null(strstr(t.line[3], GD_AUDIT_EV_START));
    assert_non_null(strstr(t.line[3], "\"legacy_lines\":3"));

    /* An edit to a sealed line is caught at the seal. */
    char *p = strstr(t.line[0], "old 1");
    assert_non_null(p);
    p[4] = '7';
    trail_store(f->dir, &t, 0);
    expect_break(f, 4, "3 line(s) before it");
    p[4] = '1';
    /* A line without the chain after chained ones is a break. */
    t.line[t.n++] = strdup("{\"ts_ms\":5,\"event\":\"resume\",\"who\":\"operator:ab12cd34\",\"why\":\"late\"}");
    trail_store(f->dir, &t, 0);
    expect_break(f, 6, "outside the chain");
    trail_free(&t);
}

/* A trail from before the chain whose last line lost only its newline:
 * the record of the break is the chain's first, so it seals the old lines
 * too, and the next open finds the chain whole (found by fuzz_state: the
 * record used to leave the prefix unsealed, a second break). */
static void test_audit_legacy_missing_last_newline(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    write_file(f->dir, "audit.jsonl",
               "{\"ts_ms\":1,\"event\":\"halt\",\"who\":\"breaker.dd\",\"why\":\"old 1\"}\n"
               "{\"ts_ms\":2,\"event\":\"resume\",\"who\":\"operator:ab12cd34\",\"why\":\"old 2\"}");
    expect_break(f, 2, "incomplete");
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 2);
    assert_int_equal(st.latch.halted, 1);
    gd_state_close(&st);
    gd_audit_tail v;
    verify_dir(f, &v);
    assert_int_equal(v.lines, 3);
    assert_int_equal(v.legacy, 2);
    assert_int_equal(v.sealed, 1);
    assert_int_equal(v.break_line, 0);
    assert_int_equal(v.seq, 1);
    trail t;
    trail_load(f->dir, &t);
    assert_non_null(strstr(t.line[2], GD_AUDIT_EV_BROKEN));
    assert_non_null(strstr(t.line[2], "\"legacy_lines\":2"));
    trail_free(&t);
    /* The next start is not halted by a break of its own making. */
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 0);
    gd_state_close(&st);
    verify_dir(f, &v);
    assert_int_equal(v.lines, 3);
}

/* gordon audit verify reports each break and each record of one, in order. */
typedef struct notes {
    int n;
    int kind[4];
    uint64_t line[4];
} notes;

static void note(void *arg, int kind, uint64_t line, const char *what)
{
    notes *n = arg;
    assert_non_null(what);
    if (n->n < 4) {
        n->kind[n->n] = kind;
        n->line[n->n] = line;
    }
    n->n++;
}

static void test_audit_notes(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    trail t;
    make_trail(f, 3);
    trail_load(f->dir, &t);
    t.line[1][strlen(t.line[1]) - 1] = ' '; /* line 2 no longer JSON */
    trail_store(f->dir, &t, 0);
    trail_free(&t);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.audit.break_line, 2);
    gd_state_close(&st);

    char path[256];
    notes n = {0};
    gd_audit_tail v;
    snprintf(path, sizeof path, "%s/audit.jsonl", f->dir);
    assert_int_equal(gd_audit_verify(path, &v, note, &n, &err), 0);
    assert_int_equal(n.n, 2);
    assert_int_equal(n.kind[0], GD_AUDIT_NOTE_BREAK);
    assert_int_equal(n.line[0], 2);
    assert_int_equal(n.kind[1], GD_AUDIT_NOTE_ACK);
    assert_int_equal(n.line[1], 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_never_created, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_and_duplicate_keys_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_reserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_dir_not_halted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_latch_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_latch_is_fine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_leftover_tmp_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unusable_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_latch_failure_keeps_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_latch_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain_continues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_break_halts_and_is_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_deleted_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_swapped_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_truncated_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_missing_last_newline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_forged_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_bad_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_legacy_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_legacy_missing_last_newline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_notes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_synced_off_loop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
