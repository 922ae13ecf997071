#include "daemon/run.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cjson/cJSON.h>

#include "base/dates.h"
#include "base/file.h"
#include "daemon/api.h"
#include "daemon/console.h"
#include "daemon/dbrun.h"
#include "daemon/fred.h"
#include "daemon/http.h"
#include "base/log.h"
#include "base/rt.h"
#include "daemon/notify.h"
#include "daemon/views.h"
#include "data/replay.h"
#include "engine/trades.h"
#include "risk/stage.h"
#include "risk/state.h"
#include "venue/exec.h"
#include "venue/market.h"

/* Bars per loop turn: big enough to amortise the turn, small enough that
 * signals and HTTP requests wait at most a millisecond or so. */
#define GD_REPLAY_BATCH 65536
#define GD_PACE_TICK_MS 10
/* External series one run may fetch (the engine allows no more). */
#define GD_SERIES_IDS_MAX 32

typedef struct run_state {
    uv_loop_t loop;
    uv_thread_t loader;   /* reads the market data; see load_thread */
    int loader_running;   /* started and not yet joined */
    uv_async_t loaded_async; /* the loader is done */
    int loaded_init;      /* loaded_async was initialised (closed by on_loaded or run_free) */
    uv_timer_t kick;      /* stopping during a load: interrupts a blocked read */
    int kick_init;
    volatile int load_cancel; /* set by the loop when it stops during a load */
    uv_idle_t idle;
    uv_timer_t pace;      /* paced replay (bars_per_sec) */
    uv_timer_t lag;       /* loop lag probe */
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_signal_t sighup;
    uv_timer_t reload_timer; /* SIGHUPs between two loop turns make one reload */
    uv_timer_t house;     /* housekeeping: latch write retries, store probes */
    uv_timer_t watchdog;  /* WATCHDOG=1 to systemd while the loop turns */
    uv_timer_t drain;     /* the replay is over: the database catches up, then we stop */
    int64_t drain_until_ms;
    gd_dbrun db;
    gd_vexec *vexec;      /* the venue executor (owned by the engine once set), NULL: simulated */
    int venue_ready;      /* its start-up is done: trading may start */
    gd_vmarket *market;   /* [market] source = venue: live bars (owned), NULL: replay */
    int market_stale;
    uint64_t watchdog_failures;
    int64_t watchdog_warned_ms; /* last "cannot ping" log line */
    uint64_t house_ticks;
    int64_t latch_warned_ms; /* last "latch still not durable" log line */
    uv_work_t probe;      /* the state store's probe, on the threadpool */
    int probe_busy, probe_ok;
    gd_err probe_err;
    const gd_config *cfg;
    const gd_run_opts *opts;
    gd_engine *eng;
    gd_series *series;    /* owned, cfg->n_data */
    gd_tape tape;
    size_t pos;
    double pace_credit;   /* bars owed to the paced replay */
    int rc;
    gd_err err;
    int load_rc;          /* written by the loader thread only, read in on_loaded */
    gd_err load_err;
    int interrupted;
    int stopped_early; /* SIGTERM before the data ended: said in the summary, exit 0 */
    int closing;
    int loaded;           /* market data is in memory */
    int fred_first_done;  /* the first round of series fetches came back */
    int replay_done;
    gd_state state;
    int have_state;
    gd_http_server *http;
    struct gd_console *console;
    gd_fred *fred;
    gd_api api;
    const char **syms;    /* owned: symbol names, borrowed from cfg */
    int loop_ok;          /* uv_loop_init succeeded */
    uv_handle_t *handles[12]; /* initialised handles, closed by stop_all */
    uv_timer_t duration;      /* opts->duration_ms */
    uv_work_t rt_warm;        /* creates the thread pool before the loop thread goes real-time */
    int duration_reached;
    uint64_t trading_t0;      /* uv_hrtime when trading started */
    /* Hourly equity returns in bar time, for a soak's Sharpe (Welford). */
    int64_t eq_hour;
    double eq_last;
    uint64_t eq_n;
    double eq_mean, eq_m2;
    int n_handles;
    uint64_t lag_expected;
    uint64_t lag_held, lag_warned; /* times the loop was held 100 ms or more; the last said (uv_hrtime) */
    uint64_t t0;
    uint64_t t1;
} run_state;

static void on_loaded(uv_async_t *h);
static int uv_fail(gd_err *err, const char *what, int uvrc);

static void on_kick_signal(int sig) { (void)sig; }

/* A thread of its own, not libuv's pool: a read blocked on a stalled FIFO
 * can then be interrupted (SIGUSR2, installed without SA_RESTART, so read
 * returns EINTR and sees load_cancel) when the daemon is asked to stop.
 * Touches only the series, the tape and load_rc/load_err. */
static void load_thread(void *arg)
{
    run_state *st = arg;
    sigset_t block;
    gd_rt_normal(); /* loading is not the hot path: it must not compete with the loop as real-time */
    /* The loop's signals are the loop's; this thread only takes SIGUSR2. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    gd_csv_opts opts = {(size_t)st->cfg->replay_max_file_mb << 20, &st->load_cancel, NULL};
    for (size_t i = 0; i < st->cfg->n_data && !st->load_rc; i++)
        if (!(st->load_rc = gd_csv_load_opts(st->cfg->data[i].path, st->cfg->data[i].symbol, &opts,
                                             &st->series[i], &st->load_err)))
            st->load_rc = gd_series_conform(&st->series[i], &st->cfg->data[i], st->cfg->market_interval_ms,
                                            gd_config_skip_irregular(st->cfg), NULL, &st->load_err);
    if (!st->load_rc)
        st->load_rc = gd_tape_build(st->series, st->cfg->n_data, &st->tape, &st->load_err);
    uv_async_send(&st->loaded_async);
}

static void kick_loader(uv_timer_t *h)
{
    run_state *st = h->data;
    if (st->loader_running)
        pthread_kill((pthread_t)st->loader, SIGUSR2);
}

static int start_loader(run_state *st, gd_err *err)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_kick_signal; /* no SA_RESTART: a blocked read returns EINTR */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR2, &sa, NULL) != 0)
        return gd_err_set(err, GD_EIO, "installing the SIGUSR2 handler: %s", strerror(errno));
    int rc = uv_async_init(&st->loop, &st->loaded_async, on_loaded);
    if (rc)
        return uv_fail(err, "initialising the loader's notification", rc);
    st->loaded_init = 1;
    st->loaded_async.data = st;
    if ((rc = uv_timer_init(&st->loop, &st->kick)) != 0)
        return uv_fail(err, "initialising the loader's timer", rc);
    st->kick_init = 1;
    st->kick.data = st;
    gd_rt_mask m;
    gd_rt_helpers_begin(&m);
    rc = uv_thread_create(&st->loader, load_thread, st);
    gd_rt_helpers_end(&m);
    if (rc != 0)
        return uv_fail(err, "starting the market-data loader", rc);
    st->loader_running = 1;
    return 0;
}

/* Stopping while the loader runs: ask it to stop, and keep interrupting a
 * read that may be blocked until it has (on_loaded joins it). */
static void cancel_loader(run_state *st)
{
    if (!st->loader_running)
        return;
    st->load_cancel = 1;
    int rc = uv_timer_start(&st->kick, kick_loader, 0, 20);
    if (rc)
        gd_log(GD_LOG_ERROR, "run", NULL, "cannot interrupt the market-data loader: %s", uv_strerror(rc));
}

static void closed_nothing(void *arg) { (void)arg; }

static void stop_all(run_state *st)
{
    if (st->closing)
        return;
    st->closing = 1;
    if (!st->t1)
        st->t1 = uv_hrtime();
    for (int i = 0; i < st->n_handles; i++)
        uv_close(st->handles[i], NULL);
    cancel_loader(st);
    gd_notify("STOPPING=1");
    gd_dbrun_stop(&st->db);
    gd_vexec_stop(st->vexec);
    gd_vmarket_stop(st->market);
    if (st->http) {
        gd_http_stop(st->http, closed_nothing, NULL);
        st->http = NULL;
    }
    gd_console_stop(st->console);
    st->console = NULL;
    if (st->fred) {
        gd_fred_stop(st->fred, closed_nothing, NULL);
        st->fred = NULL;
    }
}

#define GD_DRAIN_POLL_MS 20

static void drain_step(uv_timer_t *h)
{
    run_state *st = h->data;
    gd_dbrun_flush(&st->db);
    if (gd_dbrun_caught_up(&st->db))
        stop_all(st);
    else if (gd_mono_ms() >= st->drain_until_ms) {
        gd_log(GD_LOG_WARN, "db", NULL, "the database has not caught up after %.0f ms ([db] drain_ms): the rest "
               "stays in the journal and is applied on the next start", st->cfg->db_drain_ms);
        stop_all(st);
    }
}

/* A run that ends: what is journaled would reach the database on the
 * next start anyway; it waits a little so it is there now. */
static void drain_then_stop(run_state *st)
{
    gd_dbrun_finish(&st->db);
    if (gd_dbrun_caught_up(&st->db) || uv_timer_start(&st->drain, drain_step, GD_DRAIN_POLL_MS, GD_DRAIN_POLL_MS) != 0)
        stop_all(st);
    else
        st->drain_until_ms = (int64_t)(gd_mono_ms() + st->cfg->db_drain_ms);
}

/* The replay is over: leave, or keep serving the API until a signal. */
static void replay_finished(run_state *st)
{
    if (st->replay_done)
        return;
    st->replay_done = 1;
    st->t1 = uv_hrtime();
    st->api.replay_done = 1;
    uv_idle_stop(&st->idle);
    uv_timer_stop(&st->pace);
    if (st->rc) {
        stop_all(st);
    } else if (st->cfg->exit_when_done) {
        drain_then_stop(st);
    } else {
        gd_err e;
        gd_engine_flush(st->eng, &e);
        gd_log(GD_LOG_INFO, "replay", NULL, "replay done (%zu bars); serving until SIGTERM", st->pos);
        gd_notify("STATUS=replay done; serving the operator API");
    }
}

/* opts->duration_ms after trading started (gordon soak): the run ends as
 * at the data's end, whatever exit_when_done says. */
static void duration_over(uv_timer_t *h)
{
    run_state *st = h->data;
    gd_log(GD_LOG_INFO, "run", NULL, "the run's duration (%.0f s) has passed: stopping", st->opts->duration_ms / 1e3);
    st->duration_reached = 1;
    if (!st->replay_done) {
        st->replay_done = 1;
        st->t1 = uv_hrtime();
        st->api.replay_done = 1;
        uv_idle_stop(&st->idle);
        uv_timer_stop(&st->pace);
    }
    drain_then_stop(st);
}

/* A soak's equity, sampled at the first bar of every hour (bar time: live,
 * the wall clock; replayed at speed, the data's). */
static inline void hour_sample(run_state *st, int64_t t)
{
    int64_t h = t / 3600000;
    if (h == st->eq_hour)
        return;
    double eq = gd_engine_book(st->eng)->equity;
    if (st->eq_hour && st->eq_last > 0) {
        double r = eq / st->eq_last - 1.0, d = r - st->eq_mean;
        st->eq_n++;
        st->eq_mean += d / (double)st->eq_n;
        st->eq_m2 += d * (r - st->eq_mean);
    }
    st->eq_hour = h;
    st->eq_last = eq;
}

static void feed(run_state *st, size_t count)
{
    const gd_tape *t = &st->tape;
    size_t end = st->pos + count;
    if (end > t->n)
        end = t->n;
    for (size_t k = st->pos; k < end; k++) {
        const gordon_bar *bar = gd_tape_bar(t, k);
        if (k + GD_FEED_AHEAD < t->n)
            __builtin_prefetch(gd_tape_bar(t, k + GD_FEED_AHEAD));
        gd_engine_on_bar(st->eng, t->sym[k], bar);
        if (st->opts->duration_ms > 0)
            hour_sample(st, bar->close_time_ms);
    }
    st->pos = end;
    st->api.bars_replayed = end;
    int rc = gd_engine_flush(st->eng, &st->err);
    gd_dbrun_flush(&st->db);
    if (rc) {
        st->rc = rc;
        end = t->n;
    }
    if (end == t->n)
        replay_finished(st);
}

static void replay_step(uv_idle_t *h) { feed(h->data, GD_REPLAY_BATCH); }

static void pace_step(uv_timer_t *h)
{
    run_state *st = h->data;
    st->pace_credit += st->cfg->bars_per_sec * GD_PACE_TICK_MS / 1000.0;
    size_t n = (size_t)st->pace_credit;
    st->pace_credit -= (double)n;
    if (n)
        feed(st, n);
}

/* ------------------------------------------------------------ live bars */

static void market_bar(void *arg, uint32_t s, const gordon_bar *bar, int backfilled)
{
    run_state *st = arg;
    if (st->closing)
        return;
    /* A backfilled bar older than this is history: seen, not entered on. */
    int64_t max_age = st->cfg->market_backfill_max_age_ms > 0 ? (int64_t)st->cfg->market_backfill_max_age_ms
                                                               : st->cfg->market_interval_ms;
    int stale = backfilled && gd_vmarket_now(st->market) - bar->close_time_ms > max_age;
    gd_engine_on_bar_live(st->eng, s, bar, stale);
    if (st->opts->duration_ms > 0)
        hour_sample(st, bar->close_time_ms);
    st->pos++;
    st->api.bars_replayed = st->pos;
    int rc = gd_engine_flush(st->eng, &st->err);
    gd_dbrun_flush(&st->db);
    if (rc) {
        st->rc = rc;
        stop_all(st);
    }
}

static void market_mark(void *arg, uint32_t s, double mark, int64_t time_ms)
{
    run_state *st = arg;
    gd_engine_set_mark(st->eng, s, mark, time_ms);
    if (st->vexec)
        gd_vexec_mark(st->vexec, s, mark);
}

static void market_stale(void *arg, int stale, const char *why)
{
    run_state *st = arg;
    st->market_stale = stale;
    st->api.market_stale = stale;
    gd_engine_set_market_stale(st->eng, stale, why);
}

static void market_ready(void *arg, int rc, const gd_err *err)
{
    run_state *st = arg;
    if (st->closing)
        return;
    if (rc) {
        if (!st->rc) {
            st->rc = rc;
            st->err = *err;
        }
        stop_all(st);
        return;
    }
    st->api.replay_started = 1; /* bars flow: /readyz judges their freshness */
    gd_notify("STATUS=trading on live market data");
}

/* [market] source = venue: the warm-up, then the stream. */
static void start_market(run_state *st)
{
    gd_vmarket_opts mo;
    gd_err err;
    memset(&mo, 0, sizeof mo);
    mo.loop = &st->loop;
    mo.cfg = st->cfg;
    mo.symbols = st->syms;
    mo.n_symbols = (uint32_t)st->cfg->n_data;
    mo.warmup_bars = gd_engine_warmup_bars(st->eng);
    mo.hooks = (gd_vmarket_hooks){st, market_bar, market_mark, market_stale, market_ready};
    st->t0 = uv_hrtime();
    int rc = gd_vmarket_new(&mo, &st->market, &err);
    if (!rc)
        rc = gd_vmarket_start(st->market, &err);
    if (rc) {
        st->rc = rc;
        st->err = err;
        stop_all(st);
        return;
    }
    st->api.market = st->market;
    gd_log(GD_LOG_INFO, "market", NULL, "live market data: %zu symbol(s), %s bars, warm-up %u", st->cfg->n_data,
           st->cfg->market_interval, mo.warmup_bars);
}

static void start_replay(run_state *st)
{
    int rc = 0;
    if (st->closing || !st->loaded || !st->fred_first_done || st->t0 || (st->vexec && !st->venue_ready))
        return;
    if (!st->trading_t0) {
        st->trading_t0 = uv_hrtime();
        if (st->opts->duration_ms > 0 &&
            uv_timer_start(&st->duration, duration_over, (uint64_t)st->opts->duration_ms, 0) != 0) {
            st->rc = gd_err_set(&st->err, GD_EIO, "starting the run's duration timer");
            stop_all(st);
            return;
        }
    }
    if (gd_config_live_market(st->cfg)) {
        start_market(st);
        return;
    }
    gd_log(GD_LOG_INFO, "replay", NULL, "replaying %zu bars in %zu series%s", st->tape.n, st->cfg->n_data,
           st->cfg->bars_per_sec > 0 ? " (paced)" : "");
    if (st->opts->summary && st->opts->banner) {
        fputs(st->opts->banner, st->opts->summary);
        fflush(st->opts->summary);
    }
    st->t0 = uv_hrtime();
    st->api.replay_started = 1;
    gd_notify("STATUS=replaying market data");
    if (st->tape.n == 0)
        replay_finished(st);
    else if (st->cfg->bars_per_sec > 0)
        rc = uv_timer_start(&st->pace, pace_step, GD_PACE_TICK_MS, GD_PACE_TICK_MS);
    else
        rc = uv_idle_start(&st->idle, replay_step);
    if (rc) {
        st->rc = gd_err_set(&st->err, GD_EIO, "starting the replay: %s", uv_strerror(rc));
        stop_all(st);
    }
}

/* The intent log opens once the data is in: a run that cannot start never
 * touches the record of the last one (a backtest truncates its log). */
static int open_intent_log(run_state *st)
{
    const char *ilog = st->opts->intent_log ? st->opts->intent_log : st->cfg->intent_log;
    if (!ilog || !*ilog)
        return 0;
    /* Its folder is made as needed (gordon check tests that it can be). */
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", ilog) < (int)sizeof dir) {
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            int mrc = gd_mkdirs(dir, 0750, &st->err);
            if (mrc)
                return gd_err_prefix(&st->err, mrc, "intent log %s", ilog);
        }
    }
    gd_intentlog log;
    int rc = gd_intentlog_jsonl_open(ilog, st->cfg->mode != GD_MODE_BACKTEST, &st->loop, &log, &st->err);
    if (rc)
        return rc;
    gd_engine_set_intentlog(st->eng, log);
    return 0;
}

/* --trades FILE.csv: a backtest writes it afresh, a daemon appends. */
static int open_trades(run_state *st, gd_err *err)
{
    gd_trades *t;
    if (!st->opts->trades)
        return 0;
    int rc = gd_trades_open(st->opts->trades, st->cfg->mode != GD_MODE_BACKTEST, gd_engine_book(st->eng)->n_symbols,
                            st->cfg->slippage_bps, &t, err);
    if (rc)
        return rc;
    gd_engine_set_trades(st->eng, t);
    return 0;
}

static void on_loaded(uv_async_t *h)
{
    run_state *st = h->data;
    if (!st->loader_running)
        return;
    uv_thread_join(&st->loader);
    st->loader_running = 0;
    uv_close((uv_handle_t *)&st->loaded_async, NULL);
    uv_close((uv_handle_t *)&st->kick, NULL);
    /* Cancelled because we are stopping: not an error of the run. */
    if (st->load_rc && !(st->load_rc == GD_ECANCELED && st->closing) && !st->rc) {
        st->rc = st->load_rc;
        st->err = st->load_err;
    }
    if (!st->rc && !st->closing)
        st->rc = open_intent_log(st);
    if (st->rc || st->closing) {
        stop_all(st);
        return;
    }
    st->loaded = 1;
    gd_log(GD_LOG_INFO, "replay", NULL, "loaded %zu bars in %zu series", st->tape.n, st->cfg->n_data);
    start_replay(st);
}

static void on_signal(uv_signal_t *h, int signum)
{
    run_state *st = h->data;
    gd_log(GD_LOG_WARN, "run", NULL, "signal %d: stopping", signum);
    /* SIGTERM is how a service is stopped: a clean exit. SIGINT is a person
     * interrupting a replay: say so in the exit status. */
    if (!st->replay_done && signum == SIGINT)
        st->interrupted = 1;
    else if (!st->replay_done && st->t0)
        st->stopped_early = 1;
    if (st->t0 == 0)
        st->t0 = uv_hrtime();
    stop_all(st);
}

/* A reload is one transaction: the whole new config and plugin set, or
 * nothing. It runs between two events of the loop. 0, or the error (the
 * running set keeps trading); summary says what changed. */
static int reload_now(run_state *st, char *summary, size_t cap, gd_err *err)
{
    uint64_t t0 = uv_hrtime();
    gd_notify("RELOADING=1");
    gd_config *cfg = calloc(1, sizeof *cfg);
    int rc = cfg ? gd_config_load(st->opts->config_path, st->opts->confd, cfg, err)
                 : gd_err_set(err, GD_ENOMEM, "out of memory");
    if (rc) {
        free(cfg);
        gd_engine_reload_failed(st->eng);
        gd_log(GD_LOG_ERROR, "reload", "\"result\":\"error\"", "reload refused, the running set keeps trading: %s",
               err->msg);
    } else if ((rc = gd_engine_reload(st->eng, cfg, summary, cap, err)) != 0) {
        gd_log(GD_LOG_ERROR, "reload", "\"result\":\"error\"", "reload refused, the running set keeps trading: %s",
               err->msg);
    } else {
        char f[128];
        const gd_config *now = gd_engine_config(st->eng);
        int level = now->log_level ? gd_log_level_parse(now->log_level) : -1;
        if (level >= 0 && !st->opts->quiet)
            gd_log_set_level(level);
        /* Operator tokens may rotate with a reload. */
        gd_api_free(&st->api);
        st->api.cfg = now;
        gd_err terr;
        if (gd_api_init(&st->api, &terr) != 0)
            gd_log(GD_LOG_ERROR, "reload", NULL, "operator tokens: %s", terr.msg);
        snprintf(f, sizeof f, "\"result\":\"ok\",\"ms\":%.3f", (double)(uv_hrtime() - t0) / 1e6);
        gd_log(GD_LOG_INFO, "reload", f, "reload: %s", summary);
    }
    gd_notify("READY=1");
    return rc;
}

static void do_reload(uv_timer_t *h)
{
    run_state *st = h->data;
    if (!st->closing) {
        gd_err err;
        char summary[2048];
        (void)reload_now(st, summary, sizeof summary, &err);
    }
}

/* The console places a bot: text becomes <conf.d>/90-console-NAME.ini and
 * the configuration is reloaded as a transaction; refused, the file goes
 * again and msg says why (the loader names file:line). GD_EEXIST when one
 * of that name was placed before. */
static int place_bot(void *arg, const char *name, const char *text, char *msg, size_t cap)
{
    run_state *st = arg;
    char dir[4096], path[4352];
    gd_err err;
    if (st->closing)
        return snprintf(msg, cap, "the daemon is stopping"), GD_ESTATE;
    char *d = gd_config_confd_dir(st->opts->config_path, st->opts->confd);
    if (!d)
        return snprintf(msg, cap, "no configuration file, so no conf.d directory to place a bot in"), GD_EINVAL;
    snprintf(dir, sizeof dir, "%s", d);
    free(d);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return snprintf(msg, cap, "%s: %s", dir, strerror(errno)), GD_EIO;
    snprintf(path, sizeof path, "%s/90-console-%s.ini", dir, name);
    if (access(path, F_OK) == 0)
        return snprintf(msg, cap, "%s exists: a bot of that name was placed already", path), GD_EEXIST;
    int rc = gd_file_write_durable(path, text, strlen(text), &err);
    if (rc)
        return snprintf(msg, cap, "%s", err.msg), rc;
    char summary[2048];
    rc = reload_now(st, summary, sizeof summary, &err);
    if (rc) {
        /* Nothing of it stays: the next reload must not meet it. */
        if (unlink(path) != 0)
            gd_log(GD_LOG_ERROR, "console", NULL, "%s: could not remove the refused bot: %s", path, strerror(errno));
        snprintf(msg, cap, "%s", err.msg);
        return rc;
    }
    snprintf(msg, cap, "%s: %s", path, summary);
    return 0;
}

static void on_sighup(uv_signal_t *h, int signum)
{
    run_state *st = h->data;
    (void)signum;
    if (!st->closing && !uv_is_active((uv_handle_t *)&st->reload_timer)) {
        int rc = uv_timer_start(&st->reload_timer, do_reload, 0, 0);
        if (rc)
            gd_log(GD_LOG_ERROR, "reload", NULL, "SIGHUP: cannot schedule the reload: %s", uv_strerror(rc));
    }
}

/* The store's probe writes and fsyncs a file: on the threadpool, since
 * under write load that takes longer than the operator API may wait. It
 * reads only st->state.dir, which the loop never changes. */
static void probe_work(uv_work_t *w)
{
    run_state *st = w->data;
    st->probe_ok = gd_state_probe(&st->state, &st->probe_err) == 0;
}

static void probe_done(uv_work_t *w, int status)
{
    run_state *st = w->data;
    st->probe_busy = 0;
    if (status != 0)
        return; /* cancelled: the loop is closing */
    int ok = st->probe_ok;
    if (ok != st->api.store_writable)
        gd_log(ok ? GD_LOG_WARN : GD_LOG_ERROR, "state", NULL, "state store %s: %s",
               ok ? "writable again" : "cannot be written", ok ? st->state.dir : st->probe_err.msg);
    st->api.store_writable = ok;
    st->api.store_failures_seen = gd_engine_halt_state(st->eng)->write_failures;
    snprintf(st->api.store_error, sizeof st->api.store_error, "%s", ok ? "" : st->probe_err.msg);
}

/* Every second: a latch the store fell behind on is written again, and
 * every few seconds the store is probed with a real write, so a full or
 * read-only disk shows in /readyz and the metrics before it matters. */
static void housekeeping(uv_timer_t *h)
{
    run_state *st = h->data;
    gd_err err;
    /* Breakers on a timer too, not only on bars and fills (a backtest's
     * results must not depend on the wall clock: it has no timer turn). */
    if (st->cfg->mode != GD_MODE_BACKTEST && st->loaded)
        gd_engine_tick(st->eng, gd_wall_ms());
    gd_dbrun_tick(&st->db, gd_wall_ms());
    if (!st->have_state)
        return;
    if (gd_engine_sync_latch(st->eng, &err) != 0) {
        int64_t now = (int64_t)(uv_now(&st->loop));
        if (now - st->latch_warned_ms >= 60000) {
            st->latch_warned_ms = now;
            gd_log(GD_LOG_ERROR, "state", NULL, "halt latch still NOT persisted (retrying every second): %s",
                   err.msg);
        }
    }
    int failed_since = gd_engine_halt_state(st->eng)->write_failures != st->api.store_failures_seen;
    if ((st->house_ticks++ % 5 == 0 || !st->api.store_writable || failed_since) && !st->probe_busy) {
        st->probe.data = st;
        int rc = uv_queue_work(&st->loop, &st->probe, probe_work, probe_done);
        if (rc == 0)
            st->probe_busy = 1;
        else
            gd_log(GD_LOG_ERROR, "state", NULL, "the state store's probe cannot be queued: %s", uv_strerror(rc));
    }
}

/* The systemd watchdog is fed from the loop itself, so a loop that stops
 * turning stops the pings and systemd replaces the process. */
static void watchdog_ping(uv_timer_t *h)
{
    run_state *st = h->data;
    int rc = gd_notify("WATCHDOG=1");
    if (rc >= 0)
        return;
    st->watchdog_failures++;
    int64_t now = (int64_t)uv_now(&st->loop);
    if (st->watchdog_failures == 1 || now - st->watchdog_warned_ms >= 60000) {
        st->watchdog_warned_ms = now;
        gd_log(GD_LOG_ERROR, "systemd", NULL,
               "watchdog ping not sent (%s; %llu so far): systemd will restart the daemon if this goes on",
               gd_strerror(rc), (unsigned long long)st->watchdog_failures);
    }
}

static int start_watchdog(run_state *st, gd_err *err)
{
    uint64_t ms;
    gd_err werr;
    if (gd_watchdog_interval(&ms, &werr) != 0) {
        gd_log(GD_LOG_WARN, "systemd", NULL, "watchdog not armed: %s", werr.msg);
        return 0;
    }
    if (!ms)
        return 0;
    int rc = uv_timer_start(&st->watchdog, watchdog_ping, ms, ms);
    if (rc)
        return uv_fail(err, "starting the watchdog timer", rc);
    gd_log(GD_LOG_INFO, "systemd", NULL, "watchdog: WATCHDOG=1 every %llu ms", (unsigned long long)ms);
    return 0;
}

/* Loop lag: how late a 100 ms timer fires, as a gauge. */
static void lag_probe(uv_timer_t *h)
{
    run_state *st = h->data;
    uint64_t now = uv_hrtime();
    if (st->lag_expected && now > st->lag_expected) {
        st->api.loop_lag_s = (double)(now - st->lag_expected) / 1e9;
        /* Held as long as the operator API may take: said, with what came
         * just before it in the log (at most one line in 10 s). */
        if (st->api.loop_lag_s >= 0.1) {
            st->lag_held++;
            if (now - st->lag_warned >= 10000000000ull) {
                gd_log(GD_LOG_WARN, "run", NULL, "the event loop was held %.0f ms (%llu time(s) over 100 ms so far)",
                       st->api.loop_lag_s * 1e3, (unsigned long long)st->lag_held);
                st->lag_warned = now;
            }
        }
    }
    st->lag_expected = now + 100 * 1000000ull;
}

static void on_series(void *user, const gd_fred_result *r)
{
    run_state *st = user;
    if (r->ok) {
        int64_t *t = malloc((r->n ? r->n : 1) * sizeof *t);
        double *v = malloc((r->n ? r->n : 1) * sizeof *v);
        if (t && v) {
            for (size_t i = 0; i < r->n; i++) {
                t[i] = r->obs[i].t_ms;
                v[i] = r->obs[i].value;
            }
            gd_engine_series_update(st->eng, r->series, t, v, r->n, 1);
        }
        free(t);
        free(v);
        gd_log(GD_LOG_INFO, "fred", NULL, "series %s: %zu observations", r->series, r->n);
    } else {
        gd_engine_series_update(st->eng, r->series, NULL, NULL, 0, 0);
        gd_log(GD_LOG_WARN, "fred", NULL, "series %s: fetch failed (HTTP %ld): %s; marked stale", r->series,
               r->http_status, r->error ? r->error : "?");
        /* A rejected key is a configuration error: refuse to trade blind. */
        if (r->auth && !st->fred_first_done) {
            st->rc = gd_err_set(&st->err, GD_EINVAL, "[fred] api_key: FRED rejected the key: %s",
                                r->error ? r->error : "");
            stop_all(st);
            return;
        }
    }
    st->api.series_rounds++;
    if (!st->fred_first_done && st->api.series_rounds >= gd_engine_series_count(st->eng)) {
        st->fred_first_done = 1;
        start_replay(st);
    }
}

/* Plugins are checked before any data is read: fail fast on bad plugins. */
static int open_engine(run_state *st, const gd_run_opts *o, gd_err *err)
{
    const gd_config *cfg = st->cfg;
    if (cfg->n_data == 0)
        return gd_err_set(err, GD_EINVAL,
                          "no market data: add [replay] data = SYMBOL:file.csv (live data arrives with the "
                          "venue client)");
    st->syms = calloc(cfg->n_data, sizeof *st->syms);
    st->series = calloc(cfg->n_data, sizeof *st->series);
    if (!st->syms || !st->series)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t i = 0; i < cfg->n_data; i++)
        st->syms[i] = cfg->data[i].symbol;
    gd_engine_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.cfg = cfg;
    eo.symbols = st->syms;
    eo.n_symbols = (uint32_t)cfg->n_data;
    eo.plugin_dirs = o->plugin_dirs;
    eo.skip = o->skip;
    eo.n_skip = o->n_skip;
    eo.series_source = cfg->fred_api_key != NULL && cfg->fred_api_key[0] != '\0';
    eo.trade_from_ms = (int64_t)cfg->replay_trade_from_ms;
    int rc = gd_engine_new(&eo, &st->eng, err);
    if (rc)
        return rc;
    st->api.plugins_loaded = 1;
    return 0;
}

/* What opening the store found in the audit trail. A broken chain has
 * already halted the store (gd_state_open), so the latch restored below
 * halts the engine before anything can trade; this says why, once. The
 * head is logged so that a copy of the logs kept elsewhere anchors it. */
static void log_audit_trail(const gd_state *s)
{
    const gd_audit_tail *t = &s->audit;
    char f[256];
    snprintf(f, sizeof f, "\"audit_lines\":%llu,\"audit_seq\":%llu,\"audit_sha256\":\"%s\",\"audit_break_line\":%llu",
             (unsigned long long)t->lines, (unsigned long long)t->seq, t->prev, (unsigned long long)t->break_line);
    if (t->break_line)
        gd_log(GD_LOG_ERROR, "state", f,
               "audit trail %s/audit.jsonl is broken at line %llu: %s; starting HALTED (the break is recorded in "
               "the trail; check it with `gordon audit verify %s`, then resume)",
               s->dir, (unsigned long long)t->break_line, t->break_what, s->dir);
    else
        gd_log(GD_LOG_INFO, "state", f, "audit trail verified: %llu line(s), chain intact%s",
               (unsigned long long)t->lines, t->breaks ? " after the break(s) recorded in it" : "");
}

/* The persisted latch, which comes back before anything can trade, and the
 * intent-id sequence. (The intent log opens once the data is in.) */
static int open_records(run_state *st, gd_err *err)
{
    const gd_config *cfg = st->cfg;
    if (cfg->state_dir) {
        int rc = gd_state_open(cfg->state_dir, GD_STATE_OWN, &st->state, err);
        if (rc)
            return rc;
        st->have_state = 1;
        log_audit_trail(&st->state);
        /* A stage above the one on record trades nothing (backtests trade
         * no money: their stage only bounds their sizing). */
        if (cfg->mode != GD_MODE_BACKTEST) {
            gd_stage_rec sr;
            rc = gd_stage_load(cfg->state_dir, &sr, err);
            if (!rc)
                rc = gd_stage_allows(&sr, cfg->stage_rank, cfg->state_dir, err);
            if (rc)
                return rc;
            char alloc[64] = "the account's equity";
            if (cfg->allocation_usd > 0)
                snprintf(alloc, sizeof alloc, "min(the account's equity, %.2f)", cfg->allocation_usd);
            gd_log(GD_LOG_INFO, "risk", NULL, "stage %s (on record: %s%s); sizing on %s", gd_stage_name(cfg->stage_rank),
                   gd_stage_name(sr.cur.rank), sr.on_record ? "" : ", nothing promoted", alloc);
        }
        rc = gd_engine_set_state(st->eng, &st->state, err);
        if (rc)
            return rc;
        gd_err perr;
        st->api.store_writable = gd_state_probe(&st->state, &perr) == 0;
        if (!st->api.store_writable)
            return gd_err_set(err, GD_EIO, "state store cannot be written: %s", perr.msg);
        st->api.store_failures_seen = gd_engine_halt_state(st->eng)->write_failures;
        if (gd_engine_halted(st->eng))
            gd_log(GD_LOG_WARN, "risk", NULL, "halt latch restored from %s: %s", cfg->state_dir,
                   st->state.latch.why);
    }
    return 0;
}

static int uv_fail(gd_err *err, const char *what, int uvrc)
{
    return gd_err_set(err, GD_EIO, "%s: %s", what, uv_strerror(uvrc));
}

/* The thread pool's first job: it only makes the pool start. */
static void rt_noop(uv_work_t *w) { (void)w; }

/* [gordon] realtime_priority and lock_memory, on the loop thread. The
 * thread pool is created first (on its first job), so its threads keep the
 * normal policy; processes this thread starts reset to it (rt.h). */
static int apply_rt(run_state *st, gd_err *err)
{
    const gd_config *cfg = st->cfg;
    if (!(cfg->rt_priority > 0) && !cfg->lock_memory)
        return 0;
    gd_rt_mask m;
    gd_rt_helpers_begin(&m);
    int rc = uv_queue_work(&st->loop, &st->rt_warm, rt_noop, NULL);
    gd_rt_helpers_end(&m);
    if (rc)
        return uv_fail(err, "starting the thread pool", rc);
    if ((rc = gd_rt_apply((int)cfg->rt_priority, cfg->lock_memory, err)) != 0)
        return rc;
    if (cfg->rt_priority > 0)
        gd_log(GD_LOG_INFO, "gordon", NULL, "loop thread: SCHED_FIFO priority %d%s", (int)cfg->rt_priority,
               cfg->lock_memory ? ", memory locked" : "");
    else
        gd_log(GD_LOG_INFO, "gordon", NULL, "loop thread: memory locked");
    return 0;
}

/* The loop and its own handles: replay drivers, signals, the reload
 * coalescer, the lag probe, housekeeping and the systemd watchdog. Only
 * handles that were initialised are closed later (n_handles). */
static int start_loop(run_state *st, gd_err *err)
{
    int rc = uv_loop_init(&st->loop);
    if (rc)
        return uv_fail(err, "uv_loop_init", rc);
    st->loop_ok = 1;
    struct {
        uv_handle_t *h;
        int rc;
    } inits[] = {
        {(uv_handle_t *)&st->idle, uv_idle_init(&st->loop, &st->idle)},
        {(uv_handle_t *)&st->pace, uv_timer_init(&st->loop, &st->pace)},
        {(uv_handle_t *)&st->lag, uv_timer_init(&st->loop, &st->lag)},
        {(uv_handle_t *)&st->sigint, uv_signal_init(&st->loop, &st->sigint)},
        {(uv_handle_t *)&st->sigterm, uv_signal_init(&st->loop, &st->sigterm)},
        {(uv_handle_t *)&st->sighup, uv_signal_init(&st->loop, &st->sighup)},
        {(uv_handle_t *)&st->reload_timer, uv_timer_init(&st->loop, &st->reload_timer)},
        {(uv_handle_t *)&st->house, uv_timer_init(&st->loop, &st->house)},
        {(uv_handle_t *)&st->watchdog, uv_timer_init(&st->loop, &st->watchdog)},
        {(uv_handle_t *)&st->drain, uv_timer_init(&st->loop, &st->drain)},
        {(uv_handle_t *)&st->duration, uv_timer_init(&st->loop, &st->duration)},
    };
    for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
        if (inits[i].rc)
            return uv_fail(err, "initialising the event loop's handles", inits[i].rc);
        inits[i].h->data = st;
        st->handles[st->n_handles++] = inits[i].h;
    }
    if ((rc = uv_signal_start(&st->sigint, on_signal, SIGINT)) != 0 ||
        (rc = uv_signal_start(&st->sigterm, on_signal, SIGTERM)) != 0 ||
        (rc = uv_signal_start(&st->sighup, on_sighup, SIGHUP)) != 0)
        return uv_fail(err, "installing signal handlers", rc);
    if ((rc = uv_timer_start(&st->lag, lag_probe, 100, 100)) != 0)
        return uv_fail(err, "starting the loop-lag probe", rc);
    if ((rc = uv_timer_start(&st->house, housekeeping, 1000, 1000)) != 0)
        return uv_fail(err, "starting the housekeeping timer", rc);
    return start_watchdog(st, err);
}

static int start_console(run_state *st, gd_err *err)
{
    gd_console_hooks h = {st, place_bot, &st->opts->plugin_dirs};
    return gd_console_start(&st->loop, st->cfg, &st->api, &h, &st->console, err);
}

static int start_http(run_state *st, const gd_run_opts *o, gd_err *err)
{
    const gd_config *cfg = st->cfg;
    char host[256];
    int port, rc;
    st->api.eng = st->eng;
    st->api.cfg = cfg;
    st->api.state = st->have_state ? &st->state : NULL;
    st->api.db = &st->db;
    if (!cfg->http_listen) {
        /* The console alone: it acts through the API's routes. */
        if (!cfg->console_listen)
            return 0;
        rc = gd_api_init(&st->api, err);
        return rc ? rc : start_console(st, err);
    }
    /* The token hashes are read where the API keeps them, so a reload that
     * rotates them also changes which requests the server treats as the
     * operator's (never evicted when full). */
    gd_http_limits lim = {
        .max_body_bytes = (size_t)cfg->http_max_body,
        .max_connections = (unsigned)cfg->http_max_conns,
        .max_connections_per_peer = (unsigned)cfg->http_max_conns_peer,
        .header_timeout_ms = (uint64_t)cfg->http_header_ms,
        .idle_timeout_ms = (uint64_t)cfg->http_idle_ms,
        .allowed_hosts = cfg->http_allowed_hosts,
        .operator_hashes = &st->api.hashes,
        .n_operator_hashes = &st->api.n_hashes,
        .status_counts = st->api.http_by_code,
    };
    if (gd_http_split_listen(cfg->http_listen, host, sizeof host, &port) != 0)
        return gd_err_set(err, GD_EINVAL, "[http] listen = %s: expected HOST:PORT", cfg->http_listen);
    rc = gd_api_init(&st->api, err);
    if (rc)
        return rc;
    rc = gd_http_start(&st->loop, host, port, &lim, gd_api_handle, &st->api, &st->http, err);
    if (rc)
        return rc;
    gd_log(GD_LOG_INFO, "http", NULL, "operator API on %s (port %d)", cfg->http_listen, gd_http_port(st->http));
    if (o->port_out)
        *o->port_out = gd_http_port(st->http);
    return start_console(st, err);
}

/* The take-up of what an earlier run left on the venue is over: trading
 * starts, or nothing trades on a venue that did not check out. */
static void venue_settled(void *arg, int rc, const gd_err *err)
{
    run_state *st = arg;
    if (st->closing)
        return;
    if (rc) {
        if (!st->rc) {
            st->rc = rc;
            st->err = *err;
        }
        stop_all(st);
        return;
    }
    st->venue_ready = 1;
    st->api.venue_ready = 1;
    start_replay(st);
}

static void venue_ready(void *arg, int rc, const gd_err *verr)
{
    run_state *st = arg;
    if (st->closing)
        return;
    gd_err err;
    if (!rc)
        rc = gd_engine_set_venue_rules(st->eng, gd_vexec_instruments(st->vexec), gd_vexec_equity(st->vexec), &err);
    else
        err = *verr;
    /* What an earlier run left on the venue, taken up before any bar. */
    if (!rc)
        rc = gd_vexec_recover(st->vexec, venue_settled, st, &err);
    if (rc)
        venue_settled(st, rc, &err);
}

static void venue_incident(void *arg, uint32_t owner, const char *why)
{
    run_state *st = arg;
    gd_err err;
    if (gd_engine_halt(st->eng, "breaker:venue", why, &err) != 0)
        gd_log(GD_LOG_ERROR, "venue", NULL, "halt after a venue incident: %s", err.msg);
    /* The strategy whose position it was stays out until an operator
     * releases it, whatever a resume of the halt does. */
    const char *name = owner != UINT32_MAX ? gd_engine_slot_name(st->eng, owner) : NULL;
    if (name && gd_engine_quarantine(st->eng, name, 1, "host", why, &err) != 0)
        gd_log(GD_LOG_ERROR, "venue", NULL, "quarantine after a venue incident: %s", err.msg);
}

static void venue_order_event(void *arg, uint32_t owner, uint32_t symbol, uint64_t intent, char kind,
                              const char *status, const char *detail)
{
    run_state *st = arg;
    gd_engine_order_event(st->eng, owner, symbol, intent, kind, status, detail);
}

static const char *venue_owner_name(void *arg, uint32_t owner)
{
    run_state *st = arg;
    return gd_engine_slot_name(st->eng, owner);
}

static int venue_owner_index(void *arg, const char *name, uint32_t *owner)
{
    run_state *st = arg;
    return gd_engine_slot_index(st->eng, name, owner);
}

static void venue_adopt(void *arg, uint32_t owner, const gordon_fill *entry, double stop, double tp)
{
    run_state *st = arg;
    gd_engine_adopt(st->eng, owner, entry, stop, tp);
}

static void venue_fee(void *arg, uint32_t owner, uint32_t symbol, const gd_vexec_fee *f)
{
    run_state *st = arg;
    gd_engine_fee(st->eng, owner, symbol, f->client_id, f->intent_id, f->position_id, f->asset, f->estimated,
                  f->charged, f->apply);
}

static int venue_adopt_new(void *arg, uint32_t owner, gordon_fill *entry, double stop, double ref_price,
                           uint64_t *intent_id, gd_err *err)
{
    run_state *st = arg;
    return gd_engine_adopt_new(st->eng, owner, entry, stop, ref_price, intent_id, err);
}

/* [executor] kind = venue: orders go to Binance (or the loopback venue);
 * trading waits for its start-up checks. */
static int start_venue(run_state *st, gd_err *err)
{
    if (!gd_config_venue_executor(st->cfg))
        return 0;
    gd_vexec_opts vo;
    memset(&vo, 0, sizeof vo);
    vo.loop = &st->loop;
    vo.cfg = st->cfg;
    vo.symbols = st->syms;
    vo.n_symbols = (uint32_t)st->cfg->n_data;
    vo.n_owners = 1;
    vo.sink = gd_engine_fill_sink(st->eng);
    vo.hooks = (gd_vexec_hooks){st,           venue_ready,       venue_incident, venue_order_event,
                                venue_owner_name, venue_owner_index, venue_adopt, venue_adopt_new, venue_fee};
    char ledger[4096];
    if (st->cfg->state_dir) {
        if (snprintf(ledger, sizeof ledger, "%s/venue.ledger", st->cfg->state_dir) >= (int)sizeof ledger)
            return gd_err_set(err, GD_ERANGE, "[gordon] state_dir is too long");
        vo.ledger_path = ledger;
    } else {
        gd_log(GD_LOG_WARN, "venue", NULL,
               "no [gordon] state_dir: the venue executor keeps no ledger, and a restart will meet gordon's own "
               "positions as unknown ones");
    }
    gd_vexec *vx;
    int rc = gd_vexec_new(&vo, &vx, err);
    if (rc)
        return rc;
    rc = gd_engine_set_executor(st->eng, gd_vexec_executor(vx), err);
    if (rc) {
        gd_vexec_executor(vx).ops->destroy(vx);
        return rc;
    }
    st->vexec = vx;
    st->api.vexec = vx;
    return gd_vexec_start(vx, err);
}

static int start_series(run_state *st, gd_err *err)
{
    const gd_config *cfg = st->cfg;
    uint32_t n = gd_engine_series_count(st->eng);
    if (n == 0) {
        st->fred_first_done = 1;
        return 0;
    }
    const char *ids[GD_SERIES_IDS_MAX];
    if (n > GD_SERIES_IDS_MAX)
        return gd_err_set(err, GD_ERANGE, "%u external series subscribed; at most %d", n, GD_SERIES_IDS_MAX);
    for (uint32_t i = 0; i < n; i++)
        ids[i] = gd_engine_series_id(st->eng, i);
    gd_fred_conf fc;
    memset(&fc, 0, sizeof fc);
    fc.base_url = cfg->fred_base_url;
    fc.api_key = cfg->fred_api_key;
    fc.poll_ms = (uint64_t)cfg->fred_poll_ms;
    fc.timeout_ms = (uint64_t)cfg->fred_timeout_ms;
    fc.observation_start = cfg->fred_observation_start;
    return gd_fred_start(&st->loop, &fc, ids, n, on_series, st, &st->fred, err);
}

/* {"ema": {"trades": N, "wins": N, "avg_r": R}, ...}: each strategy slot's
 * closed round trips (NULL when out of memory). */
static char *strategies_json(const gd_engine *e)
{
    const gd_book *b = gd_engine_book(e);
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    for (uint32_t k = 0; ok && k < gd_engine_slot_count(e) && k < b->n_owners; k++) {
        const gd_owner_stats *os = &b->own[k];
        cJSON *x = cJSON_AddObjectToObject(o, gd_engine_slot_name(e, k));
        ok = x && cJSON_AddNumberToObject(x, "trades", (double)os->trades) &&
             cJSON_AddNumberToObject(x, "wins", (double)os->wins) &&
             cJSON_AddNumberToObject(x, "avg_r", os->r_count ? os->sum_r / (double)os->r_count : 0.0);
    }
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

static int finish_run(run_state *st, const gd_run_opts *o, gd_run_result *res, gd_err *err)
{
    if (st->rc) {
        memcpy(err->msg, st->err.msg, sizeof err->msg);
        return st->rc;
    }
    int rc = gd_engine_flush(st->eng, err);
    res->bars = st->pos;
    res->seconds = st->t0 && st->t1 > st->t0 ? (double)(st->t1 - st->t0) / 1e9 : 0.0;
    res->interrupted = st->interrupted;
    res->duration_reached = st->duration_reached;
    res->trading_seconds = st->trading_t0 ? (double)((st->t1 ? st->t1 : uv_hrtime()) - st->trading_t0) / 1e9 : 0.0;
    const gd_engine_counters *c = gd_engine_counters_get(st->eng);
    res->trades = gd_engine_book(st->eng)->trades;
    res->halts = c->halts;
    res->breaker_trips = c->breaker_trips;
    res->quarantines = c->quarantines;
    res->tolerance_breaches = c->slip_breaches;
    if (st->vexec) {
        gd_vexec_stats vs;
        gd_vexec_stats_get(st->vexec, &vs);
        res->mismatches = vs.mismatches;
        res->incidents = vs.incidents;
    }
    res->plugins_json = gd_engine_plugins_json(st->eng);
    const gd_book *b = gd_engine_book(st->eng);
    res->wins = b->wins;
    res->avg_r = b->r_count ? b->sum_r / (double)b->r_count : 0.0;
    res->max_dd_pct = b->max_dd_pct;
    res->hourly_returns = st->eq_n;
    double sd = st->eq_n > 1 ? sqrt(st->eq_m2 / (double)(st->eq_n - 1)) : 0.0;
    res->sharpe = st->eq_n >= GD_RUN_MIN_HOURS_SHARPE && sd > 0 ? st->eq_mean / sd * sqrt(24.0 * 365.0) : NAN;
    res->strategies_json = strategies_json(st->eng);
    if (o->summary) {
        gd_view_summary(st->eng, o->summary);
        /* A paced replay runs at bars_per_sec: a unit that shows it. */
        double rate = res->seconds > 0 ? (double)res->bars / res->seconds : 0.0;
        const char *unit = rate >= 1e6 ? "M bars/s" : rate >= 1e3 ? "k bars/s" : "bars/s";
        double shown = rate >= 1e6 ? rate / 1e6 : rate >= 1e3 ? rate / 1e3 : rate;
        fprintf(o->summary, "replay          %llu bars in %.3f s (%.1f %s)%s\n", (unsigned long long)res->bars,
                res->seconds, shown, unit,
                st->interrupted ? ", interrupted" : st->stopped_early ? ", stopped by SIGTERM before the data ended" : "");
    }
    return rc;
}

static void run_free(run_state *st)
{
    if (st->loop_ok) {
        stop_all(st);
        /* Handles the loader path never got to close (a failed start). */
        if (st->loader_running) {
            uv_run(&st->loop, UV_RUN_DEFAULT); /* on_loaded joins and closes them */
        } else {
            if (st->loaded_init && !uv_is_closing((uv_handle_t *)&st->loaded_async))
                uv_close((uv_handle_t *)&st->loaded_async, NULL);
            if (st->kick_init && !uv_is_closing((uv_handle_t *)&st->kick))
                uv_close((uv_handle_t *)&st->kick, NULL);
        }
        uv_run(&st->loop, UV_RUN_DEFAULT); /* let close callbacks finish */
        if (uv_loop_close(&st->loop) != 0)
            gd_log(GD_LOG_ERROR, "run", NULL, "event loop closed with handles still open");
    }
    gd_dbrun_close(&st->db);
    gd_vmarket_free(st->market);
    gd_api_free(&st->api);
    gd_engine_free(st->eng);
    if (st->have_state)
        gd_state_close(&st->state);
    gd_tape_free(&st->tape);
    if (st->series)
        for (size_t i = 0; i < st->cfg->n_data; i++)
            gd_series_free(&st->series[i]);
    free(st->series);
    free(st->syms);
    free(st);
}

int gd_run_replay(const gd_run_opts *o, gd_run_result *res, gd_err *err)
{
    run_state *st = calloc(1, sizeof *st);
    int rc;
    memset(res, 0, sizeof *res);
    if (!st)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    st->cfg = o->cfg;
    st->opts = o;
    if ((rc = open_engine(st, o, err)) != 0 || (rc = open_records(st, err)) != 0 || (rc = open_trades(st, err)) != 0 ||
        (rc = start_loop(st, err)) != 0 || (rc = apply_rt(st, err)) != 0 ||
        (st->have_state && (rc = gd_state_sync_on_loop(&st->state, &st->loop, err)) != 0) || (rc = gd_dbrun_open(&st->db, &st->loop, st->cfg, st->eng, err)) != 0 ||
        (rc = start_http(st, o, err)) != 0 || (rc = start_series(st, err)) != 0 || (rc = start_venue(st, err)) != 0)
        goto out;
    /* Config, plugins, state store and listeners are up: tell systemd. */
    gd_notify("READY=1\nSTATUS=loading market data");
    if (o->ready)
        o->ready(o->ready_arg, st->http ? gd_http_port(st->http) : 0);
    if (gd_config_live_market(st->cfg)) {
        /* Nothing to load: the bars come from the venue. */
        if ((rc = open_intent_log(st)) != 0) {
            *err = st->err;
            goto out;
        }
        st->loaded = 1;
        start_replay(st);
    } else if ((rc = start_loader(st, err)) != 0) {
        goto out;
    }
    uv_run(&st->loop, UV_RUN_DEFAULT);
    rc = finish_run(st, o, res, err);
out:
    run_free(st);
    return rc;
}
