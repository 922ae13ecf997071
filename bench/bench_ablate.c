/* bench_ablate: the full demo ablation (examples/ablate.ini: every overlay
 * configuration, walk-forward, in-sample search) at --jobs 1 and --jobs N:
 * wall time, bars/second through the engine, peak memory.
 * usage: bench_ablate [CONFIG] */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ablate/ablate.h"
#include "ablate/ablate_run.h"
#include "base/log.h"

static int once(const gd_config *cfg, unsigned jobs, double *secs, uint64_t *bars, uint64_t *runs)
{
    gd_ablate_opts o;
    gd_ab_result r;
    gd_err err;
    memset(&o, 0, sizeof o);
    o.cfg = cfg;
    o.config_path = "bench";
    o.plugin_dirs.last = GD_BENCH_PLUGIN_DIR;
    o.jobs = jobs;
    int rc = gd_ablate_run(&o, &r, &err);
    if (rc != 0) {
        fprintf(stderr, "bench_ablate: %s\n", err.msg);
        return rc;
    }
    *secs = r.seconds;
    *bars = r.bars_run;
    *runs = r.runs;
    gd_ab_result_free(&r);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : GD_BENCH_SRC "/examples/ablate.ini";
    gd_config cfg;
    gd_err err;
    gd_log_init(stderr, GD_LOG_WARN);
    if (gd_config_load(path, NULL, &cfg, &err) != 0) {
        fprintf(stderr, "bench_ablate: %s\n", err.msg);
        return 1;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned jobs[2] = {1, n > 1 ? (unsigned)n : 2};
    double t[2];
    printf("bench_ablate: %s\n", path);
    for (int i = 0; i < 2; i++) {
        double best = 1e30, s;
        uint64_t bars = 0, runs = 0;
        for (int rep = 0; rep < 3; rep++) {
            if (once(&cfg, jobs[i], &s, &bars, &runs) != 0)
                return 1;
            if (s < best)
                best = s;
        }
        t[i] = best;
        printf("--jobs %u: %6.2f s wall (best of 3), %llu runs, %.1f M bars, %.1f M bars/s\n", jobs[i], best,
               (unsigned long long)runs, (double)bars / 1e6, (double)bars / best / 1e6);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("speed-up x%.2f on %u threads; peak RSS %.1f MiB\n", t[0] / t[1], jobs[1], ru.ru_maxrss / 1024.0);
    gd_config_free(&cfg);
    return 0;
}
