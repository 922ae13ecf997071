/* bench_journal: what the journal (db/journal.h) costs. Records of 300
 * bytes (an order's JSON) appended as fast as the loop can, made durable
 * with a sync every N records (N = 1, 64, 1024); and arriving at a steady
 * rate with a time window (a sync once the oldest pending record has waited
 * window_ms, as the daemon's [db] sync_window_ms does). A writer that keeps
 * up marks everything applied after each sync, so segments rotate and are
 * removed as in service. Printed: records/s, MB/s on disk, syncs and the
 * latency of one gd_journal_sync (write + fdatasync), p50/p99; for the
 * window, also how long a record waits from its append to durable. Beside
 * them the reference: a bare write() + fdatasync() of one record on the
 * same filesystem, the floor for N = 1; and appends alone (memory only).
 *
 * usage: bench_journal [--dir DIR] [--seconds S] [--window-ms W] [--rate R]
 *   DIR: where to write (default: a new directory in /var/tmp, removed
 *   after; name the filesystem you mean to measure, tmpfs fsyncs nothing) */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "db/journal.h"

#define REC_LEN     300
#define MAX_SAMPLES (1u << 20)
#define MAX_PENDING (1u << 16) /* append times kept per window */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct samples {
    double *v; /* owned */
    size_t n;
} samples;

static void sample(samples *s, double x)
{
    if (s->n < MAX_SAMPLES)
        s->v[s->n++] = x;
}

static double pct(samples *s, double p)
{
    if (!s->n)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    return s->v[(size_t)((double)(s->n - 1) * p)];
}

typedef struct result {
    uint64_t records, syncs;
    double seconds;
    samples sync_us, wait_us;
} result;

static void payload(char *buf, uint64_t i)
{
    int n = snprintf(buf, REC_LEN + 1,
                     "{\"kind\":\"order\",\"intent_id\":\"%016llx\",\"instance\":\"strategy.ema_cross\","
                     "\"symbol\":\"BTCUSDT\",\"side\":\"long\",\"action\":\"entry\",\"qty\":\"0.012\","
                     "\"price\":\"64123.50\",\"stop\":\"63010.00\",\"client_order_id\":\"gd-%llu\",\"pad\":\"",
                     (unsigned long long)i * 2654435761u, (unsigned long long)i);
    memset(buf + n, 'x', REC_LEN - (size_t)n - 2);
    memcpy(buf + REC_LEN - 2, "\"}", 2);
}

static int alloc_samples(result *r)
{
    memset(r, 0, sizeof *r);
    r->sync_us.v = malloc(MAX_SAMPLES * sizeof(double));
    r->wait_us.v = malloc(MAX_SAMPLES * sizeof(double));
    if (r->sync_us.v && r->wait_us.v)
        return 0;
    fprintf(stderr, "bench_journal: out of memory\n");
    free(r->sync_us.v);
    free(r->wait_us.v);
    return -1;
}

/* One sync, timed, then everything marked applied (a writer that keeps
 * up), so segments rotate and go as in service. */
static int sync_and_apply(gd_journal *j, result *r, gd_err *err)
{
    double a = now_us();
    if (gd_journal_sync(j, err) != 0)
        return -1;
    sample(&r->sync_us, now_us() - a);
    r->syncs++;
    return gd_journal_mark_applied(j, gd_journal_durable_seq(j), 0, err) != 0 ? -1 : 0;
}

/* As fast as the loop can append, a sync every `every` records. */
static int run_every(const char *dir, int every, double seconds, result *r)
{
    gd_journal_opts o = {dir, 0, 0};
    gd_journal *j = NULL;
    gd_err err;
    char buf[REC_LEN + 1];
    if (alloc_samples(r) != 0)
        return -1;
    if (gd_journal_open(&o, &j, NULL, &err) != 0)
        goto fail;
    payload(buf, 1); /* one text: what is measured is the journal, not snprintf */
    double t0 = now_us(), end = t0 + seconds * 1e6;
    while (now_us() < end) {
        for (int k = 0; k < every; k++)
            if (gd_journal_append(j, 1, 0, buf, REC_LEN, NULL, &err) != 0)
                goto fail;
        r->records += (uint64_t)every;
        if (sync_and_apply(j, r, &err) != 0)
            goto fail;
    }
    r->seconds = (now_us() - t0) / 1e6;
    gd_journal_close(j);
    return 0;
fail:
    fprintf(stderr, "bench_journal: %s\n", err.msg);
    gd_journal_close(j);
    return -1;
}

/* Records arriving at `rate` a second, synced once the oldest pending one
 * has waited window_us (the daemon's [db] sync_window_ms): how long a
 * record waits from its append to durable. */
static int run_window(const char *dir, double window_us, double rate, double seconds, result *r)
{
    gd_journal_opts o = {dir, 0, 0};
    gd_journal *j = NULL;
    gd_err err;
    char buf[REC_LEN + 1];
    double *appended = NULL; /* owned: when each pending record was appended */
    size_t pending = 0;
    if (alloc_samples(r) != 0)
        return -1;
    if (!(appended = malloc(MAX_PENDING * sizeof *appended))) {
        fprintf(stderr, "bench_journal: out of memory\n");
        return -1;
    }
    if (gd_journal_open(&o, &j, NULL, &err) != 0)
        goto fail;
    payload(buf, 1);
    double t0 = now_us(), end = t0 + seconds * 1e6, t;
    while ((t = now_us()) < end) {
        if (pending && t - appended[0] >= window_us) {
            if (sync_and_apply(j, r, &err) != 0)
                goto fail;
            t = now_us();
            for (size_t k = 0; k < pending && k < MAX_PENDING; k++)
                sample(&r->wait_us, t - appended[k]);
            pending = 0;
        } else if (t >= t0 + (double)r->records * 1e6 / rate) {
            if (gd_journal_append(j, 1, 0, buf, REC_LEN, NULL, &err) != 0)
                goto fail;
            r->records++;
            if (pending < MAX_PENDING)
                appended[pending] = t;
            pending++;
        }
    }
    r->seconds = (now_us() - t0) / 1e6;
    gd_journal_close(j);
    free(appended);
    return 0;
fail:
    fprintf(stderr, "bench_journal: %s\n", err.msg);
    gd_journal_close(j);
    free(appended);
    return -1;
}

/* Appends alone, until the memory is full (then a sync and a mark, not
 * timed), for at most `seconds` of appending or 4 fills. */
static int appends_only(const char *dir, double seconds, result *r)
{
    gd_journal_opts o = {dir, 0, 0};
    gd_journal *j = NULL;
    gd_err err;
    char buf[REC_LEN + 1];
    if (alloc_samples(r) != 0)
        return -1;
    if (gd_journal_open(&o, &j, NULL, &err) != 0)
        goto fail;
    payload(buf, 0);
    for (int fill = 0; fill < 4 && r->seconds < seconds; fill++) {
        double a = now_us();
        int rc;
        while ((rc = gd_journal_append(j, 1, 0, buf, REC_LEN, NULL, &err)) == 0)
            r->records++;
        r->seconds += (now_us() - a) / 1e6;
        if (rc != GD_ENOMEM || gd_journal_sync(j, &err) != 0 ||
            gd_journal_mark_applied(j, gd_journal_durable_seq(j), 0, &err) != 0)
            goto fail;
    }
    gd_journal_close(j);
    return 0;
fail:
    fprintf(stderr, "bench_journal: %s\n", err.msg);
    gd_journal_close(j);
    return -1;
}

/* The floor: one record written and fdatasync'd on its own, no journal. */
static int reference(const char *dir, double seconds, result *r)
{
    char path[4096], buf[REC_LEN + 1];
    if (alloc_samples(r) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/reference", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "bench_journal: %s: %s\n", path, strerror(errno));
        return -1;
    }
    double t0 = now_us(), end = t0 + seconds * 1e6, t = t0;
    while (t < end) {
        payload(buf, r->records);
        double a = now_us();
        if (write(fd, buf, REC_LEN) != REC_LEN || fdatasync(fd) != 0) {
            fprintf(stderr, "bench_journal: %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        t = now_us();
        sample(&r->sync_us, t - a);
        r->records++;
        r->syncs++;
    }
    r->seconds = (t - t0) / 1e6;
    close(fd);
    unlink(path);
    return 0;
}

static void print(const char *label, result *r)
{
    double rps = (double)r->records / r->seconds;
    printf("%-30s %9llu rec %11.0f rec/s %8.1f MB/s", label, (unsigned long long)r->records, rps,
           rps * (REC_LEN + 32 + 4) / 1e6); /* + header, padding */
    if (r->syncs)
        printf("  %7llu syncs  sync p50 %7.0f us  p99 %7.0f us", (unsigned long long)r->syncs, pct(&r->sync_us, 0.5),
               pct(&r->sync_us, 0.99));
    if (r->wait_us.n)
        printf("  append->durable p50 %6.0f us  p99 %6.0f us", pct(&r->wait_us, 0.5), pct(&r->wait_us, 0.99));
    printf("\n");
}

static void result_free(result *r)
{
    free(r->sync_us.v);
    free(r->wait_us.v);
    r->sync_us.v = r->wait_us.v = NULL;
}

static const char *fs_name(const char *dir)
{
    struct statfs sf;
    if (statfs(dir, &sf) != 0)
        return "unknown";
    switch ((unsigned long)sf.f_type) {
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs (fdatasync does nothing: not a measure of a disk)";
    case 0x794C7630: return "overlayfs";
    default: return "other";
    }
}

int main(int argc, char **argv)
{
    const char *base = NULL;
    double seconds = 2.0, window_ms = 5.0, rate = 10000;
    char root[4096], dir[4200];
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dir") == 0)
            base = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--window-ms") == 0)
            window_ms = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--rate") == 0)
            rate = strtod(argv[i + 1], NULL);
    }
    gd_log_init(stderr, GD_LOG_WARN);
    snprintf(root, sizeof root, "%s/bench_journal_XXXXXX", base ? base : "/var/tmp");
    if (!mkdtemp(root)) {
        fprintf(stderr, "bench_journal: %s: %s\n", root, strerror(errno));
        return 1;
    }
    printf("bench_journal: %d-byte records, %.1f s per row, in %s (%s)\n", REC_LEN, seconds, root, fs_name(root));
    static const int every[] = {1, 64, 1024};
    result r;
    int bad = 0;
    if (reference(root, seconds, &r) == 0)
        print("reference write+fdatasync", &r);
    else
        bad = 1;
    result_free(&r);
    for (size_t i = 0; i < sizeof every / sizeof *every && !bad; i++) {
        char label[64];
        snprintf(dir, sizeof dir, "%s/j%zu", root, i);
        snprintf(label, sizeof label, "journal, sync every %d", every[i]);
        if (run_every(dir, every[i], seconds, &r) == 0)
            print(label, &r);
        else
            bad = 1;
        result_free(&r);
        gd_rmdir_flat(dir);
    }
    if (!bad) {
        char label[64];
        snprintf(dir, sizeof dir, "%s/jw", root);
        snprintf(label, sizeof label, "journal, %.0f ms window, %.0f/s", window_ms, rate);
        if (run_window(dir, window_ms * 1000, rate, seconds, &r) == 0)
            print(label, &r);
        else
            bad = 1;
        result_free(&r);
        gd_rmdir_flat(dir);
    }
    if (!bad) {
        snprintf(dir, sizeof dir, "%s/ja", root);
        if (appends_only(dir, seconds / 2, &r) == 0)
            print("appends only (memory)", &r);
        else
            bad = 1;
        result_free(&r);
        gd_rmdir_flat(dir);
    }
    gd_rmdir_flat(root);
    return bad;
}
