/* The journal (host/db/journal.c, journal_file.c): CRC-32C vectors; append,
 * sync and reopen round trips; sequence numbers continuous across reopens,
 * segment rotation and full compaction; read() gives durable records only;
 * mark_applied releases memory and removes applied segments but never the
 * newest; torn tails (cut header, cut payload, a flipped CRC byte, garbage
 * or zeros appended) are cut, logged and continued from, while damage in the
 * middle, gaps, renamed segments and bad applied files are refused with
 * nothing changed; full memory refuses an append whole; the ring wraps with
 * records of many sizes intact; one process at a time; a failed write
 * (RLIMIT_FSIZE) leaves the records pending and the retry leaves no
 * garbage. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "db/journal_int.h"

#include "base/file.h"
#include "base/log.h"
#include "db/journal.h"

typedef struct fixture {
    char root[64]; /* mkdtemp */
    char dir[128]; /* root/j: made by gd_journal_open */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (gd_test_tmpdir(f->root, sizeof f->root, NULL, "gd_journal") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "%s/j", f->root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    int rc = gd_test_rmtree(f->root);
    free(f);
    return rc;
}

/* Payloads derived from the seq, so any record can be checked anywhere. */
static uint32_t len_of(uint64_t seq) { return (uint32_t)((seq * 2654435761u) % 1500); }

static void fill(uint64_t seq, uint32_t len, char *out)
{
    for (uint32_t i = 0; i < len; i++)
        out[i] = (char)(seq * 31 + i * 7 + (i >> 3));
}

static void check_rec(const gd_jrec *r, uint64_t seq)
{
    static char want[GD_JOURNAL_MAX_RECORD];
    assert_int_equal(r->seq, seq);
    assert_int_equal(r->len, len_of(seq));
    assert_int_equal(r->type, (uint16_t)(seq % 7));
    assert_int_equal(r->time_ms, (int64_t)seq * 1000 - 5000); /* negative times too */
    fill(seq, r->len, want);
    assert_memory_equal(r->data, want, r->len);
}

static uint64_t append_std(gd_journal *j)
{
    static char buf[GD_JOURNAL_MAX_RECORD];
    uint64_t seq = gd_journal_last_seq(j) + 1, got = 0;
    gd_err err;
    uint32_t len = len_of(seq);
    fill(seq, len, buf);
    int rc = gd_journal_append(j, (uint16_t)(seq % 7), (int64_t)seq * 1000 - 5000, buf, len, &got, &err);
    if (rc)
        fprintf(stderr, "append: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(got, seq);
    return seq;
}

static gd_journal *jopen(const fixture *f, size_t max_bytes, size_t seg, gd_journal_recovery *rec)
{
    gd_journal_opts o = {f->dir, max_bytes, seg};
    gd_journal *j = NULL;
    gd_err err;
    int rc = gd_journal_open(&o, &j, rec, &err);
    if (rc)
        fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(j);
    return j;
}

static int jopen_fail(const fixture *f, size_t max_bytes, gd_err *err)
{
    gd_journal_opts o = {f->dir, max_bytes, 0};
    gd_journal *j = (gd_journal *)1;
    int rc = gd_journal_open(&o, &j, NULL, err);
    assert_null(j);
    return rc;
}

static void jsync(gd_journal *j)
{
    gd_err err;
    int rc = gd_journal_sync(j, &err);
    if (rc)
        fprintf(stderr, "sync: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

static void japply(gd_journal *j, uint64_t seq)
{
    gd_err err;
    int rc = gd_journal_mark_applied(j, seq, 1, &err);
    if (rc)
        fprintf(stderr, "mark_applied: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* Every durable record after `after`, checked, in order. */
static uint64_t check_read(const gd_journal *j, uint64_t after)
{
    gd_jrec r[64];
    uint64_t want = after + 1, n = 0;
    size_t got;
    while ((got = gd_journal_read(j, want - 1, r, 64)) > 0) {
        for (size_t i = 0; i < got; i++)
            check_rec(&r[i], want++);
        n += got;
    }
    assert_int_equal(want - 1, gd_journal_durable_seq(j));
    return n;
}

static void seg_path(const fixture *f, uint64_t first, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%020llu.gdj", f->dir, (unsigned long long)first);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char *buf = malloc(1 << 22);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 22, fp);
    fclose(fp);
    return buf;
}

static void spit(const char *path, const void *buf, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static void write_text(const fixture *f, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    spit(path, text, strlen(text));
}

static int count_segments(const fixture *f)
{
    char path[256];
    int n = 0;
    /* Names are seqs: probe the ones the tests use. */
    for (uint64_t s = 1; s < 5000; s++) {
        seg_path(f, s, path, sizeof path);
        n += access(path, F_OK) == 0;
    }
    return n;
}

/* The known answers: RFC 3720 (iSCSI) B.4 and the usual check value, for
 * the CPU's instruction (where there is one) and the table alike; then the
 * two agree on every length and alignment, chained or not. */
static void test_journal_crc32c_vectors(void **state)
{
    (void)state;
    uint32_t (*const impl[2])(uint32_t, const void *, size_t) = {gd_crc32c, gd_crc32c_portable};
    unsigned char b[32], big[600];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(impl[k](0, "123456789", 9), 0xE3069283u);
        assert_int_equal(impl[k](0, "", 0), 0);
        memset(b, 0, sizeof b);
        assert_int_equal(impl[k](0, b, 32), 0x8A9136AAu);
        memset(b, 0xff, sizeof b);
        assert_int_equal(impl[k](0, b, 32), 0x62A8AB43u);
        for (int i = 0; i < 32; i++)
            b[i] = (unsigned char)i;
        assert_int_equal(impl[k](0, b, 32), 0x46DD794Eu);
        assert_int_equal(impl[k](impl[k](0, b, 10), b + 10, 22), 0x46DD794Eu);
    }
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 131 + (i >> 5));
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= sizeof big; n += 1 + n / 8) {
            uint32_t want = gd_crc32c_portable(0, big + off, n);
            assert_int_equal(gd_crc32c(0, big + off, n), want);
            assert_int_equal(gd_crc32c(gd_crc32c(0, big + off, n / 3), big + off + n / 3, n - n / 3), want);
        }
}

static void test_journal_round_trip(void **state)
{
    fixture *f = *state;
    gd_journal_recovery rec;
    gd_err err;
    gd_jrec r[8];
    gd_journal *j = jopen(f, 0, 0, &rec);
    assert_int_equal(rec.records, 0);
    assert_int_equal(rec.last_seq, 0);
    assert_int_equal(gd_journal_last_seq(j), 0);
    assert_int_equal(gd_journal_sync(j, &err), 0); /* nothing to do */
    for (int i = 0; i < 5; i++)
        append_std(j);
    /* An empty record too. */
    uint64_t seq;
    assert_int_equal(gd_journal_append(j, 9, 42, NULL, 0, &seq, &err), 0);
    assert_int_equal(seq, 6);
    assert_int_equal(gd_journal_read(j, 0, r, 8), 0); /* nothing durable yet */
    jsync(j);
    assert_int_equal(gd_journal_durable_seq(j), 6);
    assert_int_equal(gd_journal_read(j, 0, r, 8), 6);
    for (int i = 0; i < 5; i++)
        check_rec(&r[i], (uint64_t)i + 1);
    assert_int_equal(r[5].len, 0);
    assert_int_equal(r[5].type, 9);
    assert_int_equal(gd_journal_read(j, 4, r, 1), 1);
    assert_int_equal(r[0].seq, 5);
    gd_journal_close(j);

    /* On disk: one segment named 1, the exact format, private modes. */
    char path[256];
    struct stat st;
    seg_path(f, 1, path, sizeof path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    size_t n;
    unsigned char *b = slurp(path, &n);
    size_t want = 0;
    for (uint64_t s = 1; s <= 5; s++)
        want += gd_jrec_size(len_of(s));
    assert_int_equal(n, want + 32);
    assert_memory_equal(b, "GDJ1", 4);
    assert_int_equal(b[4] | b[5] << 8, len_of(1));
    assert_int_equal(b[8], 1);
    assert_memory_equal(b + n - 32, "GDJ1\0\0\0\0\6\0\0\0\0\0\0\0*", 17);
    free(b);

    j = jopen(f, 0, 0, &rec);
    assert_int_equal(rec.records, 6);
    assert_int_equal(rec.unapplied, 6);
    assert_int_equal(rec.last_seq, 6);
    assert_int_equal(rec.applied_seq, 0);
    assert_int_equal(rec.torn_bytes, 0);
    assert_int_equal(rec.segments, 1);
    assert_int_equal(gd_journal_durable_seq(j), 6);
    assert_int_equal(gd_journal_depth(j), 6);
    assert_int_equal(gd_journal_oldest_ms(j), 1000 - 5000);
    assert_int_equal(gd_journal_read(j, 0, r, 8), 6);
    check_rec(&r[0], 1);
    assert_int_equal(r[5].time_ms, 42);
    assert_int_equal(gd_journal_append(j, 9, 43, NULL, 0, &seq, &err), 0);
    assert_int_equal(seq, 7);
    gd_journal_close(j); /* syncs */
    j = jopen(f, 0, 0, &rec);
    assert_int_equal(rec.last_seq, 7);
    gd_journal_close(j);
}

static void test_journal_bad_arguments(void **state)
{
    fixture *f = *state;
    gd_err err;
    gd_journal_opts o = {f->dir, 1000, 0};
    gd_journal *j;
    assert_int_equal(gd_journal_open(&o, &j, NULL, &err), GD_ERANGE);
    o.dir = NULL;
    assert_int_equal(gd_journal_open(&o, &j, NULL, &err), GD_EINVAL);
    j = jopen(f, 0, 0, NULL);
    static char big[GD_JOURNAL_MAX_RECORD + 1];
    assert_int_equal(gd_journal_append(j, 1, 0, big, GD_JOURNAL_MAX_RECORD + 1, NULL, &err), GD_ERANGE);
    assert_int_equal(gd_journal_append(j, 1, 0, NULL, 3, NULL, &err), GD_EINVAL);
    assert_int_equal(gd_journal_last_seq(j), 0);
    assert_int_equal(gd_journal_append(j, 1, 0, big, GD_JOURNAL_MAX_RECORD, NULL, &err), 0);
    jsync(j);
    /* Marking past the durable mark is refused. */
    assert_int_equal(gd_journal_append(j, 1, 0, big, 1, NULL, &err), 0);
    assert_int_equal(gd_journal_mark_applied(j, 2, 1, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "durable"));
    assert_int_equal(gd_journal_applied_seq(j), 0);
    gd_journal_close(j);
    gd_journal_close(NULL);
}

/* Many segments, each named by its first seq; reopening continues. */
static void test_journal_rotation_continuity(void **state)
{
    fixture *f = *state;
    gd_journal_recovery rec;
    char path[256];
    gd_journal *j = jopen(f, 0, 4096, NULL);
    for (int i = 0; i < 200; i++) {
        append_std(j);
        if (i % 3 == 2)
            jsync(j);
    }
    jsync(j);
    int segs = count_segments(f);
    assert_true(segs > 10);
    gd_journal_close(j);
    j = jopen(f, 0, 4096, &rec);
    assert_int_equal(rec.records, 200);
    assert_int_equal(rec.segments, (uint64_t)segs);
    assert_int_equal(check_read(j, 0), 200);
    for (int i = 0; i < 50; i++) {
        append_std(j);
        jsync(j);
    }
    assert_int_equal(check_read(j, 0), 250);
    gd_journal_close(j);
    j = jopen(f, 0, 4096, &rec);
    assert_int_equal(rec.last_seq, 250);
    assert_int_equal(check_read(j, 0), 250);
    gd_journal_close(j);
    /* Every segment's name is its first record's seq. */
    uint64_t expect = 1;
    for (uint64_t s = 1; s <= 250; s++) {
        seg_path(f, s, path, sizeof path);
        if (access(path, F_OK) != 0)
            continue;
        assert_int_equal(s, expect);
        size_t n;
        unsigned char *b = slurp(path, &n);
        gd_jrec r;
        const char *why;
        size_t off = 0;
        while (off < n) {
            size_t sz = gd_jrec_check(b + off, n - off, &r, &why);
            assert_true(sz > 0);
            assert_int_equal(r.seq, expect++);
            off += sz;
        }
        free(b);
    }
    assert_int_equal(expect, 251);
}

static void test_journal_read_durable_only(void **state)
{
    fixture *f = *state;
    gd_jrec r[16];
    gd_journal *j = jopen(f, 0, 0, NULL);
    for (int i = 0; i < 5; i++)
        append_std(j);
    jsync(j);
    for (int i = 0; i < 3; i++)
        append_std(j);
    assert_int_equal(gd_journal_last_seq(j), 8);
    assert_int_equal(gd_journal_durable_seq(j), 5);
    assert_int_equal(gd_journal_read(j, 0, r, 16), 5);
    assert_int_equal(gd_journal_read(j, 5, r, 16), 0);
    assert_int_equal(gd_journal_read(j, 100, r, 16), 0);
    assert_int_equal(gd_journal_depth(j), 8);
    japply(j, 3);
    /* Applied records are gone from read(), whatever `after` says. */
    assert_int_equal(gd_journal_read(j, 0, r, 16), 2);
    assert_int_equal(r[0].seq, 4);
    assert_int_equal(gd_journal_depth(j), 5);
    assert_int_equal(gd_journal_oldest_ms(j), 4000 - 5000);
    jsync(j);
    assert_int_equal(gd_journal_read(j, 3, r, 16), 5);
    japply(j, 8);
    assert_int_equal(gd_journal_depth(j), 0);
    assert_int_equal(gd_journal_oldest_ms(j), 0);
    assert_int_equal(gd_journal_bytes_used(j), 0);
    gd_journal_close(j);
}

static void test_journal_mark_applied_compacts(void **state)
{
    fixture *f = *state;
    gd_journal_recovery rec;
    char path[256], *text;
    size_t n;
    gd_journal *j = jopen(f, 0, 2048, NULL);
    for (int i = 0; i < 100; i++) {
        append_std(j);
        if (i % 4 == 3)
            jsync(j);
    }
    int segs = count_segments(f);
    assert_true(segs > 5);
    size_t used = gd_journal_bytes_used(j);
    assert_true(used > 0);
    japply(j, 50);
    assert_true(gd_journal_bytes_used(j) < used);
    assert_int_equal(gd_journal_applied_seq(j), 50);
    snprintf(path, sizeof path, "%s/applied", f->dir);
    assert_int_equal(gd_file_read(path, 0, &text, &n, NULL), 0);
    assert_string_equal(text, "50\n");
    free(text);
    /* Segments wholly at or below 50 are gone, the one holding 51 stays. */
    int left = count_segments(f);
    assert_true(left < segs);
    uint64_t oldest = 0;
    for (uint64_t s = 1; s <= 100 && !oldest; s++) {
        seg_path(f, s, path, sizeof path);
        if (access(path, F_OK) == 0)
            oldest = s;
    }
    assert_true(oldest <= 51);
    assert_true(oldest > 1);
    check_read(j, 50);
    /* Everything applied: only the newest segment is left. */
    japply(j, 100);
    assert_int_equal(count_segments(f), 1);
    assert_int_equal(gd_journal_bytes_used(j), 0);
    assert_int_equal(gd_journal_depth(j), 0);
    /* Marking an older seq changes nothing. */
    japply(j, 10);
    assert_int_equal(gd_journal_applied_seq(j), 100);
    gd_journal_close(j);

    /* Numbers keep counting after full compaction and a reopen. */
    j = jopen(f, 0, 2048, &rec);
    assert_int_equal(rec.last_seq, 100);
    assert_int_equal(rec.applied_seq, 100);
    assert_int_equal(rec.unapplied, 0);
    assert_int_equal(gd_journal_last_seq(j), 100);
    assert_int_equal(append_std(j), 101);
    jsync(j);
    japply(j, 101);
    gd_journal_close(j);
    j = jopen(f, 0, 2048, &rec);
    assert_int_equal(rec.last_seq, 101);
    assert_int_equal(append_std(j), 102);
    gd_journal_close(j);
}

/* Without force the applied file is rewritten at most once a second; close
 * writes what lags. */
static void test_journal_applied_throttled(void **state)
{
    fixture *f = *state;
    char path[256], *text;
    size_t n;
    gd_err err;
    gd_journal *j = jopen(f, 0, 0, NULL);
    for (int i = 0; i < 10; i++)
        append_std(j);
    jsync(j);
    assert_int_equal(gd_journal_mark_applied(j, 3, 0, &err), 0);
    assert_int_equal(gd_journal_mark_applied(j, 6, 0, &err), 0);
    assert_int_equal(gd_journal_applied_seq(j), 6);
    snprintf(path, sizeof path, "%s/applied", f->dir);
    assert_int_equal(gd_file_read(path, 0, &text, &n, NULL), 0);
    assert_string_equal(text, "3\n");
    free(text);
    gd_journal_close(j);
    assert_int_equal(gd_file_read(path, 0, &text, &n, NULL), 0);
    assert_string_equal(text, "6\n");
    free(text);
}

/* Builds a journal of n records in one segment, closed. */
static void make_journal(const fixture *f, int n, char *path, size_t cap)
{
    gd_journal *j = jopen(f, 0, 0, NULL);
    for (int i = 0; i < n; i++)
        append_std(j);
    gd_journal_close(j);
    seg_path(f, 1, path, cap);
}

enum {
    TORN_HEADER,
    TORN_PAYLOAD,
    TORN_CRC,
    TORN_GARBAGE,
    TORN_ZEROS,
    TORN_WHOLE
};

static void torn_case(const fixture *f, int how, const char *why)
{
    char path[256];
    make_journal(f, 6, path, sizeof path);
    size_t n;
    unsigned char *b = slurp(path, &n);
    size_t last = gd_jrec_size(len_of(6)), good = n - last, len = n;
    uint64_t records = 5;
    switch (how) {
    case TORN_HEADER: len = good + 20; break;
    case TORN_PAYLOAD: len = n - 5 - (last - 32 - len_of(6)); break;
    case TORN_CRC: b[good + 29] ^= 0x10; break;
    case TORN_GARBAGE:
        memcpy(b + n, "garbage, and not a record: longer than a header", 47);
        len = n + 47;
        good = n;
        records = 6;
        break;
    case TORN_ZEROS:
        memset(b + n, 0, 4096);
        len = n + 4096;
        good = n;
        records = 6;
        break;
    case TORN_WHOLE: /* the first record of the segment torn: it is left empty */
        len = 17;
        good = 0;
        records = 0;
        break;
    }
    spit(path, b, len);
    free(b);

    FILE *log = tmpfile();
    assert_non_null(log);
    gd_log_init(log, GD_LOG_INFO);
    gd_journal_recovery rec;
    gd_journal *j = jopen(f, 0, 0, &rec);
    gd_log_init(stderr, GD_LOG_WARN);
    assert_int_equal(rec.records, records);
    assert_int_equal(rec.last_seq, records);
    assert_int_equal(rec.torn_bytes, len - good);
    assert_non_null(strstr(rec.torn_what, why));
    assert_int_equal(file_size(path), (long)good);
    char line[2048] = "";
    rewind(log);
    assert_non_null(fgets(line, sizeof line, log));
    fclose(log);
    assert_non_null(strstr(line, "\"level\":\"warn\""));
    assert_non_null(strstr(line, "torn tail"));
    assert_non_null(strstr(line, path));
    char want[64];
    snprintf(want, sizeof want, "\"offset\":%zu,\"seq\":%llu", good, (unsigned long long)records + 1);
    assert_non_null(strstr(line, want));
    /* Earlier records intact; the next append continues. */
    assert_int_equal(check_read(j, 0), records);
    assert_int_equal(append_std(j), records + 1);
    gd_journal_close(j);
    j = jopen(f, 0, 0, &rec);
    assert_int_equal(rec.torn_bytes, 0);
    assert_int_equal(rec.last_seq, records + 1);
    assert_int_equal(check_read(j, 0), records + 1);
    gd_journal_close(j);
}

static void test_journal_torn_header(void **state) { torn_case(*state, TORN_HEADER, "short header"); }
static void test_journal_torn_payload(void **state) { torn_case(*state, TORN_PAYLOAD, "short payload"); }
static void test_journal_torn_crc(void **state) { torn_case(*state, TORN_CRC, "crc mismatch"); }
static void test_journal_torn_garbage(void **state) { torn_case(*state, TORN_GARBAGE, "bad magic"); }
static void test_journal_torn_zeros(void **state) { torn_case(*state, TORN_ZEROS, "bad magic"); }
static void test_journal_torn_whole_segment(void **state) { torn_case(*state, TORN_WHOLE, "short header at offset 0"); }

/* gd_journal_scan reports a torn tail but cuts nothing. */
static int count_fn(void *arg, const gd_jrec *r)
{
    uint64_t *n = arg;
    check_rec(r, ++*n);
    return 0;
}

static int stop_fn(void *arg, const gd_jrec *r)
{
    (void)arg;
    return r->seq == 2 ? 7 : 0;
}

static void test_journal_scan_changes_nothing(void **state)
{
    fixture *f = *state;
    char path[256];
    gd_journal_recovery rec;
    gd_err err;
    uint64_t n = 0;
    make_journal(f, 6, path, sizeof path);
    gd_journal *j = jopen(f, 0, 0, NULL);
    japply(j, 2);
    gd_journal_close(j);
    long size = file_size(path);
    FILE *fp = fopen(path, "ab");
    assert_non_null(fp);
    fputs("torn", fp);
    fclose(fp);
    assert_int_equal(gd_journal_scan(f->dir, count_fn, &n, &rec, &err), 0);
    assert_int_equal(n, 6); /* applied records too */
    assert_int_equal(rec.records, 6);
    assert_int_equal(rec.applied_seq, 2);
    assert_int_equal(rec.unapplied, 4);
    assert_int_equal(rec.torn_bytes, 4);
    assert_int_equal(rec.segments, 1);
    assert_int_equal(file_size(path), size + 4);
    assert_int_equal(gd_journal_scan(f->dir, stop_fn, NULL, &rec, &err), 7);
    assert_int_equal(gd_journal_scan(f->dir, NULL, NULL, NULL, &err), 0);
    char missing[256];
    snprintf(missing, sizeof missing, "%s/nope", f->root);
    assert_int_equal(gd_journal_scan(missing, NULL, NULL, &rec, &err), GD_ENOENT);
    /* The scan takes no lock: it works beside an open journal. */
    j = jopen(f, 0, 0, NULL);
    assert_int_equal(gd_journal_scan(f->dir, NULL, NULL, &rec, &err), 0);
    gd_journal_close(j);
}

/* Refused with GD_EPARSE, naming what; nothing on disk changes. */
static void refused(const fixture *f, const char *path, const char *what)
{
    size_t n0, n1;
    unsigned char *before = slurp(path, &n0);
    gd_err err;
    gd_journal_recovery rec;
    assert_int_equal(jopen_fail(f, 0, &err), GD_EPARSE);
    if (!strstr(err.msg, what))
        fprintf(stderr, "got: %s\n", err.msg);
    assert_non_null(strstr(err.msg, what));
    assert_int_equal(gd_journal_scan(f->dir, NULL, NULL, &rec, &err), GD_EPARSE);
    unsigned char *after = slurp(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
}

static void test_journal_damage_in_middle(void **state)
{
    fixture *f = *state;
    char path[256], what[512];
    make_journal(f, 6, path, sizeof path);
    size_t n;
    unsigned char *b = slurp(path, &n);
    size_t off = gd_jrec_size(len_of(1)); /* record 2 */
    b[off + 40] ^= 1;
    spit(path, b, n);
    free(b);
    snprintf(what, sizeof what, "%s: offset %zu: seq 2: crc mismatch, and a valid record follows", path, off);
    refused(f, path, what);
}

static void test_journal_damage_in_older_segment(void **state)
{
    fixture *f = *state;
    char path[256];
    gd_journal *j = jopen(f, 0, 1024, NULL);
    for (int i = 0; i < 20; i++) {
        append_std(j);
        jsync(j);
    }
    gd_journal_close(j);
    /* The first segment's last record torn: not the newest, so damage. */
    seg_path(f, 1, path, sizeof path);
    long size = file_size(path);
    assert_true(size > 0);
    assert_int_equal(truncate(path, size - 3), 0);
    refused(f, path, "not the newest");
}

static void test_journal_gap_and_names(void **state)
{
    fixture *f = *state;
    char path[256], p2[256];
    gd_journal *j = jopen(f, 0, 3000, NULL);
    for (int i = 0; i < 30; i++) {
        append_std(j);
        jsync(j);
    }
    gd_journal_close(j);
    uint64_t firsts[64] = {0};
    int k = 0;
    for (uint64_t s = 1; s <= 30; s++) {
        seg_path(f, s, path, sizeof path);
        if (access(path, F_OK) == 0)
            firsts[k++] = s;
    }
    assert_true(k >= 3);
    /* A segment renamed: its name no longer matches its first record. */
    assert_true(firsts[1] > 2);
    seg_path(f, 1, path, sizeof path);
    seg_path(f, 2, p2, sizeof p2);
    assert_int_equal(rename(path, p2), 0);
    refused(f, p2, "seq 1 where 2 was expected (the segment's name says otherwise)");
    assert_int_equal(rename(p2, path), 0);
    /* A segment lost in the middle: a gap. */
    seg_path(f, firsts[1], path, sizeof path);
    size_t n;
    unsigned char *b = slurp(path, &n);
    assert_int_equal(unlink(path), 0);
    seg_path(f, firsts[2], p2, sizeof p2);
    refused(f, p2, "records are missing");
    spit(path, b, n);
    free(b);
    /* A record with the wrong seq inside a segment. */
    seg_path(f, firsts[k - 1], path, sizeof path);
    b = slurp(path, &n);
    unsigned char rec[64];
    gd_jrec_encode(rec, 999, 0, 1, "x", 1);
    memcpy(b + n, rec, 40);
    spit(path, b, n + 40);
    free(b);
    refused(f, path, "seq 999 where 31 was expected");
    /* An empty segment that is not the newest. */
    assert_int_equal(truncate(path, (off_t)n), 0);
    seg_path(f, firsts[1], path, sizeof path);
    assert_int_equal(truncate(path, 0), 0);
    refused(f, path, "empty, and not the newest");
}

/* A crash between creating a segment and writing to it leaves the newest
 * empty: it is kept, and its name is the next seq. */
static void test_journal_empty_newest(void **state)
{
    fixture *f = *state;
    char path[256];
    gd_journal_recovery rec;
    gd_journal *j = jopen(f, 0, 0, NULL);
    for (int i = 0; i < 4; i++)
        append_std(j);
    gd_journal_close(j);
    seg_path(f, 5, path, sizeof path);
    spit(path, "", 0);
    j = jopen(f, 0, 0, &rec);
    assert_int_equal(rec.last_seq, 4);
    assert_int_equal(rec.segments, 2);
    japply(j, 4);
    assert_int_equal(count_segments(f), 1); /* the old one went, the empty newest stays */
    gd_journal_close(j);
    j = jopen(f, 0, 0, &rec);
    assert_int_equal(rec.last_seq, 4);
    assert_int_equal(append_std(j), 5);
    jsync(j);
    gd_journal_close(j);
    assert_true(file_size(path) > 0);
    j = jopen(f, 0, 0, &rec);
    assert_int_equal(rec.last_seq, 5);
    gd_journal_close(j);
    /* An empty newest whose name is not the next seq is refused. */
    seg_path(f, 9, path, sizeof path);
    spit(path, "", 0);
    refused(f, path, "records are missing");
}

static void test_journal_applied_file_checked(void **state)
{
    fixture *f = *state;
    char path[256];
    gd_err err;
    make_journal(f, 6, path, sizeof path);
    static const char *const bad[] = {"abc\n",
                                      "",
                                      "\n",
                                      "12 \n",
                                      "3\n\n",
                                      "-1\n",
                                      "99999999999999999999\n",
                                      "123456789012345678901234567890123456789012345678901234567890123456789\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_text(f, "applied", bad[i]);
        assert_int_equal(jopen_fail(f, 0, &err), GD_EPARSE);
        assert_non_null(strstr(err.msg, "/applied"));
    }
    /* Past the last record: files lost. */
    write_text(f, "applied", "7\n");
    assert_int_equal(jopen_fail(f, 0, &err), GD_EPARSE);
    assert_non_null(strstr(err.msg, "segments lost"));
    write_text(f, "applied", "6");
    gd_journal_recovery rec;
    gd_journal *j = jopen(f, 0, 0, &rec);
    assert_int_equal(rec.applied_seq, 6);
    assert_int_equal(rec.unapplied, 0);
    gd_journal_close(j);
    /* The applied file gone while older segments were removed. */
    j = jopen(f, 0, 256, NULL);
    for (int i = 0; i < 4; i++) {
        append_std(j);
        jsync(j);
    }
    japply(j, 10);
    gd_journal_close(j);
    assert_int_equal(count_segments(f), 1);
    char ap[256];
    snprintf(ap, sizeof ap, "%s/applied", f->dir);
    assert_int_equal(unlink(ap), 0);
    assert_int_equal(jopen_fail(f, 0, &err), GD_EPARSE);
    assert_non_null(strstr(err.msg, "applied file is missing"));
    /* And no segment at all with a mark: lost too. */
    write_text(f, "applied", "10\n");
    seg_path(f, 10, path, sizeof path);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(jopen_fail(f, 0, &err), GD_EPARSE);
    assert_non_null(strstr(err.msg, "segments lost"));
}

static void test_journal_memory_full(void **state)
{
    fixture *f = *state;
    gd_err err;
    static char buf[1000];
    size_t max = gd_jrec_size(GD_JOURNAL_MAX_RECORD); /* the least accepted */
    gd_journal *j = jopen(f, max, 0, NULL);
    uint64_t seq = 0, got;
    int rc;
    while ((rc = gd_journal_append(j, 1, 0, buf, sizeof buf, &got, &err)) == 0)
        seq = got;
    assert_int_equal(rc, GD_ENOMEM);
    assert_non_null(strstr(err.msg, "memory full"));
    assert_int_equal(seq, max / gd_jrec_size(sizeof buf));
    size_t used = gd_journal_bytes_used(j);
    assert_int_equal(gd_journal_last_seq(j), seq);
    /* A smaller one that fits is still taken; nothing else changed. */
    size_t room = max - used;
    assert_true(room >= 32);
    assert_int_equal(gd_journal_append(j, 1, 0, buf, (uint32_t)(room - 32), &got, &err), 0);
    assert_int_equal(gd_journal_bytes_used(j), max);
    assert_int_equal(gd_journal_append(j, 1, 0, NULL, 0, &got, &err), GD_ENOMEM);
    assert_int_equal(gd_journal_last_seq(j), seq + 1);
    jsync(j);
    assert_int_equal(gd_journal_append(j, 1, 0, buf, sizeof buf, &got, &err), GD_ENOMEM);
    /* Applied: room again (at the front of the ring). */
    japply(j, 3);
    assert_int_equal(gd_journal_append(j, 1, 0, buf, sizeof buf, &got, &err), 0);
    assert_int_equal(got, seq + 2);
    gd_journal_close(j);

    /* Reopened with less memory than the unapplied records need. */
    j = jopen(f, 0, 0, NULL);
    for (int i = 0; i < 200; i++)
        assert_int_equal(gd_journal_append(j, 1, 0, buf, sizeof buf, NULL, &err), 0);
    gd_journal_close(j);
    char path[256];
    seg_path(f, 1, path, sizeof path);
    long size = file_size(path);
    assert_int_equal(jopen_fail(f, max, &err), GD_ERANGE);
    assert_non_null(strstr(err.msg, "do not fit"));
    assert_int_equal(file_size(path), size);
    j = jopen(f, 0, 0, NULL);
    gd_journal_close(j);
}

/* What is on disk: every record intact, in order, up to the durable mark. */
static int disk_fn(void *arg, const gd_jrec *r)
{
    uint64_t *last = arg;
    if (*last)
        assert_int_equal(r->seq, *last + 1);
    check_rec(r, r->seq);
    *last = r->seq;
    return 0;
}

static void check_disk(const fixture *f, const gd_journal *j)
{
    gd_journal_recovery rec;
    gd_err err;
    uint64_t last = 0;
    int rc = gd_journal_scan(f->dir, disk_fn, &last, &rec, &err);
    if (rc)
        fprintf(stderr, "scan: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(rec.torn_bytes, 0);
    assert_int_equal(last, gd_journal_durable_seq(j));
}

/* Records of many sizes through a small ring, wrapping hundreds of times,
 * synced and applied in uneven batches: every record reads back intact,
 * and after a reopen the unapplied ones are all there. */
static void test_journal_ring_wraps(void **state)
{
    fixture *f = *state;
    gd_err err;
    size_t max = 96 * 1024;
    gd_journal *j = jopen(f, max, 64 * 1024, NULL);
    uint64_t next_check = 1, rnd = 12345, bytes = 0;
    for (int i = 0; i < 10000; i++) {
        rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
        int rc;
        static char buf[GD_JOURNAL_MAX_RECORD];
        uint64_t seq = gd_journal_last_seq(j) + 1;
        fill(seq, len_of(seq), buf);
        rc = gd_journal_append(j, (uint16_t)(seq % 7), (int64_t)seq * 1000 - 5000, buf, len_of(seq), NULL, &err);
        if (rc == GD_ENOMEM) {
            /* Drain: sync, read and check everything (in memory and on
             * disk), apply a part. */
            jsync(j);
            check_disk(f, j);
            gd_jrec r[32];
            size_t n;
            if (next_check <= gd_journal_applied_seq(j))
                next_check = gd_journal_applied_seq(j) + 1;
            while ((n = gd_journal_read(j, next_check - 1, r, 32)) > 0)
                for (size_t k = 0; k < n; k++)
                    check_rec(&r[k], next_check++);
            uint64_t lo = gd_journal_applied_seq(j), hi = gd_journal_durable_seq(j);
            japply(j, lo + 1 + (rnd >> 33) % (hi - lo));
            continue;
        }
        assert_int_equal(rc, 0);
        bytes += gd_jrec_size(len_of(seq));
        if ((rnd >> 40) % 25 == 0)
            jsync(j);
        if ((rnd >> 20) % 11 == 0 && gd_journal_durable_seq(j) > gd_journal_applied_seq(j))
            assert_int_equal(gd_journal_mark_applied(j, gd_journal_applied_seq(j) + 1, 0, &err), 0);
        assert_true(gd_journal_bytes_used(j) <= max);
    }
    assert_true(gd_journal_last_seq(j) > 5000);
    assert_true(bytes > 50 * max); /* round the ring fifty times and more */
    jsync(j);
    uint64_t applied = gd_journal_applied_seq(j), last = gd_journal_last_seq(j);
    check_read(j, applied);
    gd_journal_close(j);
    gd_journal_recovery rec;
    j = jopen(f, max, 64 * 1024, &rec);
    assert_int_equal(rec.unapplied, last - applied);
    assert_int_equal(check_read(j, applied), last - applied);
    gd_journal_close(j);
}

static void test_journal_locked(void **state)
{
    fixture *f = *state;
    gd_err err;
    gd_journal *j = jopen(f, 0, 0, NULL);
    assert_int_equal(jopen_fail(f, 0, &err), GD_ESTATE);
    assert_non_null(strstr(err.msg, "in use"));
    gd_journal_close(j);
    j = jopen(f, 0, 0, NULL);
    gd_journal_close(j);
}

/* A write that fails part way (the file size limit, EFBIG) leaves the
 * records pending and the durable mark where it was; the retry cuts the
 * partial write off first, so the segment holds each record once. */
static void test_journal_sync_failure_retried(void **state)
{
    fixture *f = *state;
    char path[256];
    gd_err err;
    struct rlimit old, lim;
    gd_journal *j = jopen(f, 0, 0, NULL);
    for (int i = 0; i < 5; i++)
        append_std(j);
    jsync(j);
    seg_path(f, 1, path, sizeof path);
    long size = file_size(path);
    for (int i = 0; i < 5; i++)
        append_std(j);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = (rlim_t)size + 100;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = gd_journal_sync(j, &err);
    int rc2 = gd_journal_sync(j, &err); /* still failing: cut back, fails again */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, GD_EIO);
    assert_int_equal(rc2, GD_EIO);
    assert_non_null(strstr(err.msg, "seq 6..10"));
    assert_int_equal(gd_journal_durable_seq(j), 5);
    assert_int_equal(file_size(path), size + 100); /* the partial write */
    gd_jrec r[16];
    assert_int_equal(gd_journal_read(j, 0, r, 16), 5);
    jsync(j);
    assert_int_equal(gd_journal_durable_seq(j), 10);
    assert_int_equal(check_read(j, 0), 10);
    gd_journal_close(j);
    gd_journal_recovery rec;
    j = jopen(f, 0, 0, &rec);
    assert_int_equal(rec.records, 10);
    assert_int_equal(rec.torn_bytes, 0);
    gd_journal_close(j);
}

/* The applied file cannot be written (applied.tmp is a directory): the
 * memory is released, but no segment goes until a mark is durable. */
static void test_journal_applied_write_fails(void **state)
{
    fixture *f = *state;
    char tmp[256];
    gd_err err;
    gd_journal *j = jopen(f, 0, 1024, NULL);
    for (int i = 0; i < 20; i++) {
        append_std(j);
        jsync(j);
    }
    int segs = count_segments(f);
    snprintf(tmp, sizeof tmp, "%s/applied.tmp", f->dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(gd_journal_mark_applied(j, 15, 1, &err), GD_EIO);
    assert_non_null(strstr(err.msg, "applied.tmp"));
    assert_int_equal(gd_journal_applied_seq(j), 15);
    assert_int_equal(gd_journal_depth(j), 5);
    assert_int_equal(count_segments(f), segs);
    assert_int_equal(rmdir(tmp), 0);
    japply(j, 15);
    assert_true(count_segments(f) < segs);
    gd_journal_close(j);
}

/* A crash after the applied file was written but before the segments it
 * covers were removed: the next open removes them. */
static void test_journal_open_compacts(void **state)
{
    fixture *f = *state;
    gd_journal_recovery rec;
    gd_journal *j = jopen(f, 0, 1024, NULL);
    for (int i = 0; i < 20; i++) {
        append_std(j);
        jsync(j);
    }
    gd_journal_close(j);
    int segs = count_segments(f);
    write_text(f, "applied", "20\n");
    j = jopen(f, 0, 1024, &rec);
    assert_int_equal(rec.segments, (uint64_t)segs);
    assert_int_equal(rec.unapplied, 0);
    assert_int_equal(count_segments(f), 1);
    gd_journal_close(j);
}

/* A new segment cannot be made (its name is taken by a directory): the
 * records stay pending; once it can, the same records go there. */
static void test_journal_rotation_fails(void **state)
{
    fixture *f = *state;
    char path[256];
    gd_err err;
    gd_journal *j = jopen(f, 0, 100, NULL);
    append_std(j);
    jsync(j);
    append_std(j);
    append_std(j);
    seg_path(f, 2, path, sizeof path);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(gd_journal_sync(j, &err), GD_EIO);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(gd_journal_durable_seq(j), 1);
    assert_int_equal(rmdir(path), 0);
    jsync(j);
    assert_int_equal(gd_journal_durable_seq(j), 3);
    gd_journal_close(j);
    gd_journal_recovery rec;
    j = jopen(f, 0, 100, &rec);
    assert_int_equal(rec.segments, 2);
    assert_int_equal(check_read(j, 0), 3);
    gd_journal_close(j);
}

int main(void)
{
    gd_log_init(stderr, GD_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_crc32c_vectors),
        cmocka_unit_test_setup_teardown(test_journal_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_rotation_continuity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_read_durable_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_mark_applied_compacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_applied_throttled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_torn_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_torn_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_torn_crc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_torn_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_torn_zeros, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_torn_whole_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_scan_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_damage_in_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_damage_in_older_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_gap_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_empty_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_applied_file_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_memory_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_ring_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_sync_failure_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_applied_write_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_open_compacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_rotation_fails, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
