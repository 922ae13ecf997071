/* bench_live: live market data to the pipeline (issue 15). The loopback
 * venue (tests/venue, a child process on 127.0.0.1) replays real USD/CHF
 * 30m bars as live klines, fast; the host's market client takes them from
 * the websocket on the loop and hands each closed bar to the engine, with
 * the demo pipeline (1 strategy + 3 overlays + 1 breaker) in sandboxed
 * workers, as it runs live. Per bar: the kline's message received whole
 * (the websocket frame assembled by libwebsockets) -> the bar's intents
 * recorded (gd_engine_on_bar_live returned after the intent log took them),
 * p50/p99/max over every bar, and over the bars that produced an intent.
 * The goal beside it: p99 under 500 us. Beside them, what the process
 * switches alone cost on this machine, asked in the same batches.
 *
 * usage: bench_live [--bars N] [--mlock] [--rt PRIO]
 *   N stream bars (default 61000, all the data holds after the venue's
 *   history: about 5 minutes. The p99 of the ~2% of bars with an intent
 *   needs over a thousand of them before its interval is narrow: at 20000
 *   bars, ~420 of them, the interval's top is the slowest one); --mlock: [gordon] lock_memory, the host
 *   and every worker mlockall what they map (a live deployment's setting:
 *   on a machine that takes cached pages back, each page of code refaulted
 *   in a call is a major fault); --rt: [gordon] realtime_priority for this
 *   thread (both need root or the rlimits, see examples/realtime.conf). */
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "base/log.h"
#include "base/rt.h"
#include "config/config.h"
#include "engine/engine.h"
#include "plugin/worker.h"
#include "quantile.h"
#include "venue/market.h"

#define BL_HISTORY 600    /* bars of history on the venue: the warm-up (trend 200, vol 500) */
#define BL_SPEED   360000 /* market ms per real ms: a 30m bar every 5 ms */

typedef struct bench {
    uv_loop_t loop;
    gd_engine *eng;
    gd_vmarket *mkt;
    size_t want, n, n_sig;
    double *lat, *lat_sig; /* us */
    uint64_t signals;
    int failed;
    uv_timer_t guard;
} bench;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void stop(bench *b)
{
    gd_vmarket_stop(b->mkt);
    uv_close((uv_handle_t *)&b->guard, NULL);
}

static void on_bar(void *arg, uint32_t s, const gordon_bar *bar, int backfilled)
{
    bench *b = arg;
    gd_err err;
    gd_engine_on_bar_live(b->eng, s, bar, backfilled);
    if (gd_engine_flush(b->eng, &err) != 0) {
        fprintf(stderr, "bench_live: %s\n", err.msg);
        b->failed = 1;
        stop(b);
        return;
    }
    if (backfilled || b->n >= b->want)
        return;
    double us = (double)(uv_hrtime() - gd_vmarket_msg_ns(b->mkt)) / 1e3;
    gd_engine_stats st;
    gd_engine_stats_get(b->eng, &st);
    b->lat[b->n++] = us;
    if (st.signals != b->signals)
        b->lat_sig[b->n_sig++] = us;
    b->signals = st.signals;
    if (b->n == b->want)
        stop(b);
}

static void on_ready(void *arg, int rc, const gd_err *err)
{
    bench *b = arg;
    if (rc) {
        fprintf(stderr, "bench_live: %s\n", err->msg);
        b->failed = 1;
        stop(b);
    }
}

static void on_guard(uv_timer_t *t)
{
    bench *b = t->data;
    fprintf(stderr, "bench_live: only %zu bars of %zu in time\n", b->n, b->want);
    b->failed = 1;
    stop(b);
}

/* p50 and p99 of v (sorted here), and a 95% interval for the p99 that
 * assumes nothing of the distribution: how many samples fall below the
 * true p99 is Binomial(n, 0.99), so two order statistics bracket it. With
 * fewer than ~370 samples nothing bounds it from above (the largest sample
 * may still be below it), and the goal is only called met when the
 * interval is all under it. */
static void report(const char *label, double *v, size_t n)
{
    if (!n) {
        printf("%-22s no samples\n", label);
        return;
    }
    qsort(v, n, sizeof *v, cmp_double);
    double p99 = v[(size_t)ceil(0.99 * (double)n) - 1]; /* nearest rank: never below the p50 */
    long lo;
    size_t hi;
    gd_bench_quantile_ci(n, 0.99, &lo, &hi);
    char up[32];
    if (hi < n)
        snprintf(up, sizeof up, "%.1f", v[hi]);
    else
        snprintf(up, sizeof up, "unbounded");
    const char *verdict = gd_bench_verdict(v, n, lo, hi, 500);
    printf("%-22s %6zu bars  p50 %7.1f us  p99 %7.1f us (95%% interval %.1f .. %s)  max %8.1f us  goal p99 < 500 us: "
           "%s\n",
           label, n, v[n / 2], p99, v[lo < 0 ? 0 : lo], up, v[n - 1], verdict);
}

/* ------------------------------------------------------------ switching alone */

/* What the switching alone costs here: processes started and sandboxed as
 * the workers are (bench_echo, through gd_worker_spawn) that answer each
 * message with itself and run no plugin code, on one CPU with this process
 * as the loop and its workers are (pin_cpu; not necessarily the CPU the
 * engine picks later), asked the way the host asks its workers -- a
 * message to each of a batch, then every answer. A bar goes to the workers
 * with on_bar or evaluate at once (4 here); a bar with an intent adds the
 * overlays asked at once (3) and the strategy's emit answered (1). Printed
 * beside the figures, not subtracted: it says how much of them a process
 * switch on this machine is (on a guest whose hypervisor keeps few address
 * spaces at hand, most). */
#define BL_SWITCH_ROUNDS 2000
#define BL_ECHOES        4
#define BL_SWITCH_WARMUP 200 /* rounds before the timed ones */

static int batch_us(const int *fd, int n, double *out)
{
    char m[128] = {0};
    double *v = malloc(BL_SWITCH_ROUNDS * sizeof *v);
    if (!v)
        return -1;
    for (int i = 0; i < BL_SWITCH_ROUNDS + BL_SWITCH_WARMUP; i++) {
        uint64_t t0 = uv_hrtime();
        for (int k = 0; k < n; k++)
            if (send(fd[k], m, sizeof m, 0) != (ssize_t)sizeof m)
                goto fail;
        for (int k = 0; k < n; k++)
            if (recv(fd[k], m, sizeof m, 0) != (ssize_t)sizeof m)
                goto fail;
        if (i >= BL_SWITCH_WARMUP)
            v[i - BL_SWITCH_WARMUP] = (double)(uv_hrtime() - t0) / 1e3;
    }
    qsort(v, BL_SWITCH_ROUNDS, sizeof *v, cmp_double);
    *out = v[BL_SWITCH_ROUNDS / 2];
    free(v);
    return 0;
fail:
    free(v);
    return -1;
}

/* The p50 of a batch of 1, 3 and 4 echo workers (their memory locked with lock): 0, or -1 when it could not
 * run. */
static int switch_cost(int lock, double *one, double *three, double *four)
{
    int fd[BL_ECHOES], n = 0, rc = -1;
    cpu_set_t saved, here;
    int cpu = sched_getcpu();
    gd_worker *w = calloc(BL_ECHOES, sizeof *w); /* each holds two message buffers */
    gd_worker_conf wc;
    gd_err err;
    if (!w || cpu < 0 || sched_getaffinity(0, sizeof saved, &saved) != 0) {
        free(w);
        return -1;
    }
    CPU_ZERO(&here);
    CPU_SET(cpu, &here);
    if (sched_setaffinity(0, sizeof here, &here) != 0) {
        free(w);
        return -1;
    }
    gd_worker_conf_default(&wc);
    snprintf(wc.exe, sizeof wc.exe, "%s", GD_BENCH_ECHO);
    wc.cpu = cpu;
    wc.deadline_ms = 5000; /* the receive timeout of the bench's end */
    wc.lock_memory = lock; /* as the workers do with --mlock */
    for (; n < BL_ECHOES; n++) {
        char ready;
        if (gd_worker_spawn(&wc, GD_BENCH_ECHO, 0, &w[n], &err) != 0) {
            fprintf(stderr, "bench_live: echo worker: %s\n", err.msg);
            goto out;
        }
        fd[n] = w[n].fd;
        if (recv(fd[n], &ready, 1, 0) != 1) { /* sandboxed, or it died trying */
            n++;
            goto out;
        }
    }
    if (batch_us(fd, 1, one) == 0 && batch_us(fd, 3, three) == 0 && batch_us(fd, 4, four) == 0)
        rc = 0;
out:
    for (int k = 0; k < n; k++)
        gd_worker_kill(&w[k], "done");
    free(w);
    (void)sched_setaffinity(0, sizeof saved, &saved);
    return rc;
}

/* The venue as a child: its ports come back in files. */
static pid_t start_venue(const char *dir, int *port, int *wsport)
{
    char pf[256], wf[256], sym[128], kl[512], hist[32], speed[32];
    snprintf(pf, sizeof pf, "%s/port", dir);
    snprintf(wf, sizeof wf, "%s/wsport", dir);
    snprintf(sym, sizeof sym, "USDCHF:tick=0.00001:step=1:minqty=1:notional=5:price=1.5");
    snprintf(kl, sizeof kl, "USDCHF:%s/data/usdchf_30m_1996_2001.csv", GD_BENCH_SRC);
    snprintf(hist, sizeof hist, "%d", BL_HISTORY);
    snprintf(speed, sizeof speed, "%d", BL_SPEED);
    pid_t pid = fork();
    if (pid == 0) {
        execl(GD_BENCH_VENUE, GD_BENCH_VENUE, "--port-file", pf, "--ws-port-file", wf, "--symbol", sym, "--klines", kl,
              "--interval", "30m", "--market-speed", speed, "--market-history", hist, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300 && pid > 0; i++) {
        FILE *f = fopen(pf, "r");
        if (f) {
            int ok = fscanf(f, "%d", port) == 1;
            fclose(f);
            FILE *w = fopen(wf, "r");
            if (ok && w && fscanf(w, "%d", wsport) == 1) {
                fclose(w);
                return pid;
            }
            if (w)
                fclose(w);
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (pid > 0)
        kill(pid, SIGKILL);
    return -1;
}

int main(int argc, char **argv)
{
    bench b;
    memset(&b, 0, sizeof b);
    b.want = 61000;
    int rt = 0, lock = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bars") && i + 1 < argc) {
            b.want = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--rt") && i + 1 < argc) {
            rt = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--mlock")) {
            lock = 1;
        } else {
            fprintf(stderr, "usage: bench_live [--bars N] [--mlock] [--rt PRIO]\n");
            return 2;
        }
    }
    if (b.want == 0)
        b.want = 1;
    gd_log_init(stderr, GD_LOG_WARN);
    gd_err rterr;
    if ((rt || lock) && gd_rt_apply(rt, lock, &rterr) != 0) {
        fprintf(stderr, "bench_live: %s\n", rterr.msg);
        return 1;
    }
    /* Before anything else runs: what a switch costs here. */
    double f1 = 0, f3 = 0, f4 = 0;
    int have_sw = switch_cost(lock, &f1, &f3, &f4) == 0;
    /* mkdtemp's template: the child venue's port files go there */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bench_live.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    int port = 0, wsport = 0;
    pid_t venue = start_venue(dir, &port, &wsport);
    if (venue < 0) {
        fprintf(stderr, "bench_live: the loopback venue (%s) did not start\n", GD_BENCH_VENUE);
        return 1;
    }
    gd_config cfg;
    gd_err err;
    int rc = 1;
    if (gd_config_load(GD_BENCH_SRC "/bench/replay.ini", NULL, &cfg, &err) != 0) {
        fprintf(stderr, "bench_live: %s\n", err.msg);
        goto out_venue;
    }
    char rest[64], ws[64];
    snprintf(rest, sizeof rest, "http://127.0.0.1:%d", port);
    snprintf(ws, sizeof ws, "ws://127.0.0.1:%d", wsport);
    cfg.iso_plugins = 1;
    cfg.lock_memory = lock; /* the workers lock theirs too */
    cfg.rt_priority = rt;   /* and run at the loop thread's priority */
    cfg.iso_worker = strdup(GD_BENCH_WORKER);
    cfg.market_source = strdup("venue");
    cfg.market_interval = strdup("30m");
    cfg.market_interval_ms = gd_interval_ms("30m");
    cfg.venue_rest_url = strdup(rest);
    cfg.venue_ws_url = strdup(ws);
    if (!cfg.iso_worker || !cfg.market_source || !cfg.market_interval || !cfg.venue_rest_url || !cfg.venue_ws_url)
        goto out_cfg;
    const char *syms[1] = {"USDCHF"};
    gd_engine_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = &cfg;
    o.symbols = syms;
    o.n_symbols = 1;
    o.plugin_dirs.last = GD_BENCH_PLUGIN_DIR;
    if (gd_engine_new(&o, &b.eng, &err) != 0) {
        fprintf(stderr, "bench_live: %s\n", err.msg);
        goto out_cfg;
    }
    /* The venue stands in for Binance's servers, which do not run on the
     * loop's CPU: once the engine has pinned the loop (and its workers) to
     * one, the venue keeps to the others, as bench/db.sh keeps the
     * database server apart. */
    const char *venue_where = "on any CPU";
    cpu_set_t loopset, others;
    /* The venue still has every CPU the bench was given: those less the loop's. */
    if (sched_getaffinity(0, sizeof loopset, &loopset) == 0 && CPU_COUNT(&loopset) == 1 &&
        sched_getaffinity(venue, sizeof others, &others) == 0) {
        CPU_AND(&loopset, &loopset, &others); /* the loop's CPU, if the venue has it */
        CPU_XOR(&others, &others, &loopset);
        if (CPU_COUNT(&others) > 0 && sched_setaffinity(venue, sizeof others, &others) == 0)
            venue_where = "on the other CPUs than the loop's";
    }
    b.lat = malloc(b.want * sizeof *b.lat);
    b.lat_sig = malloc(b.want * sizeof *b.lat_sig);
    if (!b.lat || !b.lat_sig || uv_loop_init(&b.loop) != 0)
        goto out_eng;
    gd_vmarket_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.loop = &b.loop;
    mo.cfg = &cfg;
    mo.symbols = syms;
    mo.n_symbols = 1;
    mo.warmup_bars = gd_engine_warmup_bars(b.eng);
    mo.hooks = (gd_vmarket_hooks){&b, on_bar, NULL, NULL, on_ready};
    uv_timer_init(&b.loop, &b.guard);
    b.guard.data = &b;
    uv_timer_start(&b.guard, on_guard, 60000 + 2 * (uint64_t)b.want * (1800000 / BL_SPEED), 0);
    if (gd_vmarket_new(&mo, &b.mkt, &err) != 0 || gd_vmarket_start(b.mkt, &err) != 0) {
        fprintf(stderr, "bench_live: %s\n", err.msg);
        goto out_loop;
    }
    printf(
        "bench_live: real USD/CHF 30m bars as live klines from the loopback venue (a bar every %d ms); "
        "1 strategy (ema_cross) + 3 overlays + drawdown breaker in sandboxed workers; warm-up %u bars by REST; %s%s;\n"
        "  the venue %s\n"
        "  latency = the kline's websocket message received whole -> the bar's intents recorded\n",
        1800000 / BL_SPEED, mo.warmup_bars, rt ? "loop thread SCHED_FIFO" : "normal scheduling",
        lock ? ", memory locked (host and workers)" : "", venue_where);
    uv_run(&b.loop, UV_RUN_DEFAULT);
    if (!b.failed) {
        report("every bar", b.lat, b.n);
        report("bars with an intent", b.lat_sig, b.n_sig);
        if (have_sw)
            printf("  for comparison, the switching alone (p50 of echo workers: started and sandboxed as the "
                   "workers are, no plugin code,\n  on one CPU with the bench as the loop and its workers are, asked in "
                   "the same batches): 4 at once %.1f us, 3 at "
                   "once %.1f us, one there and back %.1f us;\n"
                   "  a bar goes to 4 workers at once, a bar with an intent also to 3 overlays at once and back to the "
                   "strategy: %.1f us of switching\n",
                   f4, f3, f1, f4 + f3 + f1);
        rc = 0;
    }
    gd_vmarket_free(b.mkt);
out_loop:
    if (!uv_is_closing((uv_handle_t *)&b.guard))
        uv_close((uv_handle_t *)&b.guard, NULL);
    uv_run(&b.loop, UV_RUN_DEFAULT);
    uv_loop_close(&b.loop);
out_eng:
    free(b.lat);
    free(b.lat_sig);
    gd_engine_free(b.eng);
out_cfg:
    gd_config_free(&cfg);
out_venue:
    kill(venue, SIGTERM);
    waitpid(venue, NULL, 0);
    char path[300];
    snprintf(path, sizeof path, "%s/port", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/wsport", dir);
    unlink(path);
    rmdir(dir);
    return rc;
}
