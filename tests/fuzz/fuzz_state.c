/* libFuzzer target for the state store (risk/state.c, risk/audit.c):
 * gd_state_open on a directory whose latch.json, ids.json and audit.jsonl
 * come from the input, split at lines "%%" in that order (a part that is
 * empty or left out: no such file).
 * Checked beyond "no crash":
 *  - inspecting (`gordon check`) never changes a file; the daemon's open
 *    succeeds exactly when inspecting does, and when it fails changes no
 *    file (the lock aside);
 *  - an open that succeeds has a sane latch (halted 0/1, who and why
 *    terminated in their buffers, since_ms within 2^53) and next_id in
 *    [1, 2^53]; a broken chain leaves the store halted;
 *  - the daemon's open leaves a trail that verifies from then on: another
 *    audit record and an id reservation later, inspecting again finds no
 *    unacknowledged break, the same latch (halted if there was a break)
 *    and the reserved ids;
 *  - an open that found nothing to repair writes nothing.
 * FUZZ_SEEDS=DIR writes seeds made by the store itself into DIR and exits. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/hash.h"
#include "base/log.h"
#include "fuzz_tmp.h"
#include "risk/state.h"

static const char *const files[3] = {"latch.json", "ids.json", "audit.jsonl"};
static char sdir[300];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    if (ftw->level > 0)
        remove(p);
    return 0;
}

/* The three files, as one hash ("-" for a missing one, or an empty trail). */
static void snapshot(char out[65])
{
    char *all = NULL;
    size_t len = 0, cap = 0;
    for (int i = 0; i < 3; i++) {
        char path[400], *text = NULL;
        size_t n = 0;
        gd_err err;
        snprintf(path, sizeof path, "%s/%s", sdir, files[i]);
        /* The daemon's open creates an empty trail: no change. */
        if (gd_file_read(path, 0, &text, &n, &err) != 0 || (i == 2 && n == 0)) {
            free(text);
            text = strdup("-");
            n = 1;
        }
        char head[32];
        if (!text)
            abort();
        fuzz_append(&all, &len, &cap, head, (size_t)snprintf(head, sizeof head, "%zu:", n));
        fuzz_append(&all, &len, &cap, text, n);
        free(text);
    }
    gd_sha256_buf(all, len, out);
    free(all);
}

static void check_latch(const gd_state *st)
{
    const gd_latch *l = &st->latch;
    if ((l->halted != 0 && l->halted != 1) || !memchr(l->who, 0, sizeof l->who) || !memchr(l->why, 0, sizeof l->why))
        abort();
    if (l->since_ms > (int64_t)1 << 53 || l->since_ms < -((int64_t)1 << 53))
        abort();
    if (st->next_id < 1 || st->next_id > (uint64_t)1 << 53)
        abort();
    if (st->audit.break_line > st->audit.lines)
        abort();
}

static void write_seeds(const char *dir);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        snprintf(sdir, sizeof sdir, "%s/s", fuzz_tmp_dir("state"));
        if (mkdir(sdir, 0700))
            abort();
        gd_log_init(NULL, GD_LOG_OFF);
        if (getenv("FUZZ_SEEDS"))
            write_seeds(getenv("FUZZ_SEEDS"));
        once = 1;
    }
    nftw(sdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    const char *p = (const char *)data, *end = p + size;
    for (int i = 0; i < 3 && p <= end; i++) {
        const char *q = memmem(p, (size_t)(end - p), "\n%%\n", 4);
        size_t n = q ? (size_t)(q - p) + (q > p) : (size_t)(end - p);
        char path[400];
        snprintf(path, sizeof path, "%s/%s", sdir, files[i]);
        if (n)
            fuzz_put(path, p, n);
        if (!q)
            break;
        p = q + 4;
    }

    char before[65], after[65];
    gd_state st;
    gd_err err;
    snapshot(before);
    int irc = gd_state_open(sdir, GD_STATE_INSPECT, &st, &err);
    snapshot(after);
    if (strcmp(before, after) != 0)
        abort(); /* inspecting writes nothing */
    gd_latch seen = st.latch;
    uint64_t broken = st.audit.break_line, next_id = st.next_id;
    int legacy = st.audit.legacy && !st.audit.sealed;
    if (irc == 0)
        check_latch(&st);
    gd_state_close(&st);

    int orc = gd_state_open(sdir, GD_STATE_OWN, &st, &err);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_state: inspect %d, own %d %s (break at %llu)\n", irc, orc, orc ? err.msg : "",
                (unsigned long long)broken);
    snapshot(after);
    if ((irc == 0) != (orc == 0))
        abort();
    if (orc != 0) {
        if (strcmp(before, after) != 0)
            abort(); /* nothing half-applied */
        return 0;
    }
    check_latch(&st);
    if (broken && !st.latch.halted)
        abort(); /* a broken chain halts the store */
    if (!broken && !legacy && (strcmp(before, after) != 0 || memcmp(&seen, &st.latch, sizeof seen) != 0))
        abort(); /* nothing to repair: nothing written */
    /* A chain at 2^53 takes no more records, and ids stop there: by design. */
    if (st.audit.seq + 2 >= GD_AUDIT_SEQ_MAX) {
        gd_state_close(&st);
        return 0;
    }
    gd_latch held = st.latch;
    uint64_t upto = next_id + 10 < (1ull << 53) ? next_id + 10 : 1ull << 53;
    if (gd_state_audit(&st, "fuzz", "fuzz", "one more record", 1, "\"n\":1", &err) != 0 ||
        gd_state_reserve_ids(&st, upto, &err) != 0)
        abort();
    gd_state_close(&st);
    if (gd_state_open(sdir, GD_STATE_INSPECT, &st, &err) != 0 || st.audit.break_line != 0 ||
        memcmp(&held, &st.latch, sizeof held) != 0 || st.next_id != upto) /* upto >= next_id */
        abort();                                                          /* the trail verifies from the repair on */
    gd_state_close(&st);
    return 0;
}

/* ------------------------------------------------------------ the seeds */

static void seed(const char *dir, const char *name)
{
    char out[400], *text;
    size_t n;
    gd_err err;
    snprintf(out, sizeof out, "%s/%s", dir, name);
    FILE *f = fopen(out, "wb");
    if (!f)
        abort();
    for (int i = 0; i < 3; i++) {
        char path[400];
        snprintf(path, sizeof path, "%s/%s", sdir, files[i]);
        text = NULL;
        n = 0;
        if (gd_file_read(path, 0, &text, &n, &err) == 0)
            fwrite(text, 1, n, f);
        if (i < 2) /* the separator takes the part's last newline */
            fputs(n && text[n - 1] == '\n' ? "%%\n" : "\n%%\n", f);
        free(text);
    }
    fclose(f);
}

static void write_seeds(const char *dir)
{
    gd_state st;
    gd_err err;
    gd_latch l = {1, "breaker.dd", "drawdown 5.2% >= 5%", 1704067200000};
    if (gd_state_init(sdir, &err) != 0 || gd_state_open(sdir, GD_STATE_OWN, &st, &err) != 0)
        abort();
    seed(dir, "fresh");
    if (gd_state_audit(&st, "trip", "breaker.dd", "drawdown 5.2% >= 5%", 1704067200000, "\"value\":5.2", &err) ||
        gd_state_set_latch(&st, &l, &err) ||
        gd_state_audit(&st, "halt", "breaker.dd", "drawdown 5.2% >= 5%", 1704067200000, NULL, &err) ||
        gd_state_reserve_ids(&st, 1704067200000000ull, &err))
        abort();
    seed(dir, "halted");
    l.halted = 0;
    snprintf(l.who, sizeof l.who, "operator:ab12cd34");
    snprintf(l.why, sizeof l.why, "checked the venue");
    if (gd_state_set_latch(&st, &l, &err) ||
        gd_state_audit(&st, "resume", "operator:ab12cd34", "checked the venue", 1704070800000, NULL, &err))
        abort();
    seed(dir, "resumed");
    gd_state_close(&st);
    exit(0);
}
