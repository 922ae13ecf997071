/* bench_store: loading bars from CSV against the bar store (issue 18).
 * Writes N synthetic 1-minute bars (a random walk) as CSV, imports them
 * into a store, then loads each the way replay and ablation do
 * (gd_csv_load_opts, with and without the digest an ablation records),
 * best of three. Figures, never assertions.
 *
 * usage: bench_store [--n N] [--dir DIR]   (default 10 000 000 bars, $TMPDIR or /tmp) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/replay.h"
#include "data/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double load(const char *path, int digest)
{
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
        gd_series s;
        gd_err err;
        char sha[65];
        gd_csv_opts o = {(size_t)16 << 30, NULL, digest ? sha : NULL};
        double t0 = now_s();
        if (gd_csv_load_opts(path, "SYN", &o, &s, &err) != 0) {
            fprintf(stderr, "bench_store: %s\n", err.msg);
            exit(1);
        }
        double t = now_s() - t0;
        gd_series_free(&s);
        if (t < best)
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t n = 10000000;
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_store [--n N] [--dir DIR]\n");
            return 2;
        }
    }
    char csv[4096], gdb[4096];
    snprintf(csv, sizeof csv, "%s/bench_store.%d.csv", dir, (int)getpid());
    snprintf(gdb, sizeof gdb, "%s/bench_store.%d.gdb", dir, (int)getpid());
    FILE *f = fopen(csv, "w");
    if (!f) {
        perror(csv);
        return 1;
    }
    fputs("open_time_ms,open,high,low,close,volume\n", f);
    double px = 100.0;
    unsigned seed = 42;
    for (size_t k = 0; k < n; k++) {
        seed = seed * 1103515245u + 12345u;
        double r = ((double)(seed >> 8 & 0xffff) / 65535.0 - 0.5) * 0.002;
        double o = px, c = px * (1.0 + r), h = (o > c ? o : c) * 1.0005, l = (o < c ? o : c) * 0.9995;
        fprintf(f, "%lld,%.4f,%.4f,%.4f,%.4f,%.3f\n", 1500000000000LL + (long long)k * 60000, o, h, l, c,
                (double)(seed >> 20 & 0x3ff));
        px = c;
    }
    if (fclose(f) != 0) {
        perror(csv);
        return 1;
    }
    gd_err err;
    size_t bars = 0;
    double t0 = now_s();
    if (gd_store_import(csv, "SYN", "csv", 60000, gdb, &bars, &err) != 0) {
        fprintf(stderr, "bench_store: %s\n", err.msg);
        return 1;
    }
    double imp = now_s() - t0;
    struct stat a, b;
    stat(csv, &a);
    stat(gdb, &b);
    printf("bench_store: %zu bars of 1m; CSV %.0f MB, store %.0f MB; import %.2f s\n", bars, (double)a.st_size / 1e6,
           (double)b.st_size / 1e6, imp);
    double c1 = load(csv, 0), s1 = load(gdb, 0), c2 = load(csv, 1), s2 = load(gdb, 1);
    printf("load (replay)               CSV %7.3f s (%5.1f M bars/s)   store %7.3f s (%6.1f M bars/s)   %.1fx\n", c1,
           (double)n / c1 / 1e6, s1, (double)n / s1 / 1e6, c1 / s1);
    printf("load + SHA-256 (ablation)   CSV %7.3f s                     store %7.3f s                      %.1fx\n", c2,
           s2, c2 / s2);
    printf("reference: the store should load at memory speed, at least 10x the CSV parse (issue 18)\n");
    unlink(csv);
    unlink(gdb);
    return 0;
}
