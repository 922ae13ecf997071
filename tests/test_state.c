/* The persisted halt latch and the audit trail (host/state.c): round trip,
 * fail-closed loading of a corrupt latch, crash leftovers, append-only audit
 * lines that are valid JSON, and clear errors for unusable directories. */
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

#include "risk/state.h"

typedef struct fixture {
    char root[64]; /* mkdtemp */
    char dir[128]; /* root/state: made by gd_state_init in each test that needs it */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->root, sizeof f->root, "/tmp/gd_state_XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "%s/state", f->root);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    chmod(f->dir, 0700); /* in case a test left it read-only */
    int rc = nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc == 0 ? 0 : -1;
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

/* The intent-id high-water mark survives a restart, only grows, and a
 * broken record is refused. */
static void test_ids_reserved(void **state)
{
    fixture *f = *state;
    gd_state st;
    gd_err err = {{0}};
    assert_int_equal(gd_state_init(f->dir, &err), 0);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.next_id, 1);
    assert_int_equal(gd_state_reserve_ids(&st, 1000001, &err), 0);
    assert_int_equal(gd_state_reserve_ids(&st, 10, &err), 0); /* never down */
    assert_int_equal(st.next_id, 1000001);
    gd_state_close(&st);
    assert_int_equal(gd_state_open(f->dir, GD_STATE_OWN, &st, &err), 0);
    assert_int_equal(st.next_id, 1000001);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
