#include "run.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"
#include "replay.h"

/* Bars per loop turn: big enough to amortise the turn, small enough that
 * signals and (later) HTTP requests wait at most a millisecond or so. */
#define GD_REPLAY_BATCH 65536

typedef struct run_state {
    uv_loop_t loop;
    uv_work_t work;
    uv_idle_t idle;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    const gd_config *cfg;
    gd_engine *eng;
    gd_series *series;   /* owned, cfg->n_data */
    gd_tape tape;
    size_t pos;
    int rc;
    gd_err err;
    int interrupted;
    int closing;
    uint64_t t0;
    uint64_t t1;
} run_state;

static void load_work(uv_work_t *w)
{
    run_state *st = w->data;
    for (size_t i = 0; i < st->cfg->n_data; i++) {
        int rc = gd_csv_load(st->cfg->data[i].path, st->cfg->data[i].symbol, &st->series[i], &st->err);
        if (rc) {
            st->rc = rc;
            return;
        }
    }
    st->rc = gd_tape_build(st->series, st->cfg->n_data, &st->tape, &st->err);
}

static void stop_all(run_state *st)
{
    if (st->closing)
        return;
    st->closing = 1;
    if (uv_is_active((uv_handle_t *)&st->idle))
        uv_idle_stop(&st->idle);
    uv_close((uv_handle_t *)&st->idle, NULL);
    uv_close((uv_handle_t *)&st->sigint, NULL);
    uv_close((uv_handle_t *)&st->sigterm, NULL);
}

static void replay_step(uv_idle_t *h)
{
    run_state *st = h->data;
    const gd_tape *t = &st->tape;
    size_t end = st->pos + GD_REPLAY_BATCH;
    if (end > t->n)
        end = t->n;
    for (size_t k = st->pos; k < end; k++) {
        uint32_t s = t->sym[k];
        gd_engine_on_bar(st->eng, s, &t->series[s].bars[t->idx[k]]);
    }
    st->pos = end;
    int rc = gd_engine_flush(st->eng, &st->err);
    if (rc) {
        st->rc = rc;
        end = t->n;
    }
    if (end == t->n) {
        st->t1 = uv_hrtime();
        stop_all(st);
    }
}

static void after_load(uv_work_t *w, int status)
{
    run_state *st = w->data;
    if (status != 0 && st->rc == 0)
        st->rc = gd_err_set(&st->err, GD_EIO, "loading market data was cancelled");
    if (st->rc || st->closing) {
        stop_all(st);
        return;
    }
    gd_log(GD_LOG_INFO, "replay", NULL, "loaded %zu bars in %zu series", st->tape.n, st->cfg->n_data);
    st->t0 = uv_hrtime();
    uv_idle_start(&st->idle, replay_step);
}

static void on_signal(uv_signal_t *h, int signum)
{
    run_state *st = h->data;
    gd_log(GD_LOG_WARN, "replay", NULL, "signal %d: stopping the replay", signum);
    st->interrupted = 1;
    st->t1 = uv_hrtime();
    if (st->t0 == 0)
        st->t0 = st->t1;
    stop_all(st);
}

const char *gd_default_plugin_dir(const gd_config *cfg, char *buf, size_t cap)
{
    if (cfg && cfg->plugin_dir) {
        snprintf(buf, cap, "%s", cfg->plugin_dir);
        return buf;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            struct stat sb;
            *slash = '\0';
            snprintf(buf, cap, "%s/plugins", exe);
            if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))
                return buf;
        }
    }
    snprintf(buf, cap, "%s", GD_DEFAULT_PLUGIN_DIR);
    return buf;
}

int gd_run_replay(const gd_run_opts *o, gd_run_result *res, gd_err *err)
{
    const gd_config *cfg = o->cfg;
    run_state *st = calloc(1, sizeof *st);
    const char **syms = NULL;
    int rc = 0, loop_ok = 0;
    memset(res, 0, sizeof *res);
    if (!st)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    st->cfg = cfg;
    if (cfg->n_data == 0) {
        rc = gd_err_set(err, GD_EINVAL,
                        "no market data: add [replay] data = SYMBOL:file.csv (live data arrives with the "
                        "venue client)");
        goto out;
    }
    syms = calloc(cfg->n_data, sizeof *syms);
    st->series = calloc(cfg->n_data, sizeof *st->series);
    if (!syms || !st->series) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < cfg->n_data; i++)
        syms[i] = cfg->data[i].symbol;

    /* Plugins are checked before any data is read: fail fast on bad plugins. */
    gd_engine_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.cfg = cfg;
    eo.symbols = syms;
    eo.n_symbols = (uint32_t)cfg->n_data;
    eo.plugin_dir = o->plugin_dir;
    eo.skip = o->skip;
    eo.n_skip = o->n_skip;
    rc = gd_engine_new(&eo, &st->eng, err);
    if (rc)
        goto out;
    const char *ilog = o->intent_log ? o->intent_log : cfg->intent_log;
    if (ilog && *ilog) {
        gd_intentlog log;
        rc = gd_intentlog_jsonl_open(ilog, cfg->mode != GD_MODE_BACKTEST, &log, err);
        if (rc)
            goto out;
        gd_engine_set_intentlog(st->eng, log);
    }

    if (uv_loop_init(&st->loop) != 0) {
        rc = gd_err_set(err, GD_EIO, "uv_loop_init failed");
        goto out;
    }
    loop_ok = 1;
    st->work.data = st->idle.data = st->sigint.data = st->sigterm.data = st;
    uv_idle_init(&st->loop, &st->idle);
    uv_signal_init(&st->loop, &st->sigint);
    uv_signal_init(&st->loop, &st->sigterm);
    uv_signal_start(&st->sigint, on_signal, SIGINT);
    uv_signal_start(&st->sigterm, on_signal, SIGTERM);
    uv_queue_work(&st->loop, &st->work, load_work, after_load);
    uv_run(&st->loop, UV_RUN_DEFAULT);

    if (st->rc) {
        rc = st->rc;
        memcpy(err->msg, st->err.msg, sizeof err->msg);
        goto out;
    }
    rc = gd_engine_flush(st->eng, err);
    res->bars = st->pos;
    res->seconds = st->t1 > st->t0 ? (double)(st->t1 - st->t0) / 1e9 : 0.0;
    res->interrupted = st->interrupted;
    if (o->summary) {
        gd_engine_summary(st->eng, o->summary);
        fprintf(o->summary, "replay          %llu bars in %.3f s (%.1f M bars/s)%s\n",
                (unsigned long long)res->bars, res->seconds,
                res->seconds > 0 ? (double)res->bars / res->seconds / 1e6 : 0.0,
                st->interrupted ? ", interrupted" : "");
    }
out:
    if (loop_ok) {
        uv_run(&st->loop, UV_RUN_DEFAULT); /* let close callbacks finish */
        uv_loop_close(&st->loop);
    }
    gd_engine_free(st->eng);
    gd_tape_free(&st->tape);
    if (st->series)
        for (size_t i = 0; i < cfg->n_data; i++)
            gd_series_free(&st->series[i]);
    free(st->series);
    free(syms);
    free(st);
    return rc;
}
