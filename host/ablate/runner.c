/* The engine runs of an ablation: one run of the strategy over a window, the
 * in-sample search and the out-of-sample runs as tasks on a thread pool, and
 * the progress shown meanwhile. Runs share the loaded plugins and the data
 * read-only; each writes only its own result slot, so the outcome does not
 * depend on the number of threads or their timing. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ablate/ablate_int.h"
#include "base/dates.h"
#include "config/params.h"
#include "engine/engine.h"
#include "engine/trades.h"

/* More threads than this gain nothing on one machine. */
#define MAX_JOBS 256

/* ------------------------------------------------------------ one run */

/* First tape index with close time >= t. */
static size_t tape_lower(const ab_data *d, int64_t t)
{
    size_t lo = 0, hi = d->tape.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->close[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int push_sample(ab_run *r, size_t *cap, int64_t t, double eq)
{
    if (r->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        int64_t *nt = realloc(r->t, nc * sizeof *nt);
        if (!nt)
            return GD_ENOMEM;
        r->t = nt;
        double *ne = realloc(r->eq, nc * sizeof *ne);
        if (!ne)
            return GD_ENOMEM;
        r->eq = ne;
        *cap = nc;
    }
    r->t[r->n] = t;
    r->eq[r->n] = eq;
    r->n++;
    return 0;
}

static void book_stats(const gd_book *b, gd_trade_stats *ts)
{
    ts->trades = b->trades;
    ts->wins = b->wins;
    ts->gross_profit = b->gross_profit;
    ts->gross_loss = b->gross_loss;
    ts->fees = b->fees;
    ts->sum_r = b->sum_r;
    ts->r_count = b->r_count;
}

/* Feeds bars [k0, k1) of the tape; from `start` on, samples the equity at
 * every UTC day end and counts the bars traded. */
static int feed(const ab_ctx *c, gd_engine *e, size_t k0, size_t k1, int64_t start, ab_run *r, size_t *cap)
{
    const gd_book *b = gd_engine_book(e);
    int64_t day = gd_day_floor(start);
    int started = 0, rc;
    for (size_t k = k0; k < k1; k++) {
        uint32_t s = c->data.tape.sym[k];
        const gordon_bar *bar = &c->data.tape.series[s].bars[c->data.tape.idx[k]];
        if (bar->close_time_ms >= start) {
            if (!started) {
                started = 1;
                if ((rc = push_sample(r, cap, start, b->equity)))
                    return rc;
            }
            /* A UTC day ended: record where equity stood at its end. */
            int64_t bd = gd_day_floor(bar->close_time_ms - 1);
            if (bd > day) {
                if (day + GD_DAY_MS > start && (rc = push_sample(r, cap, day + GD_DAY_MS, b->equity)))
                    return rc;
                day = bd;
            }
        }
        gd_engine_on_bar(e, s, bar);
        if (bar->close_time_ms >= start) {
            r->ts.bars++;
            if (b->open_count)
                r->ts.exposed_bars++;
        }
    }
    if (!started)
        return push_sample(r, cap, start, b->equity);
    return 0;
}

/* Runs the strategy with the overlays in mask, the given parameter values,
 * trading over [start, end) after warming up on earlier bars. A run that
 * cannot be done is recorded in r (failed, error) and its code returned. */
static int run_window(const ab_ctx *c, uint32_t mask, const double *values, int64_t start, int64_t end,
                      int want_trades, ab_run *r)
{
    gd_trades *tl = NULL;
    const char *skip[MAX_OVERLAYS];
    uint32_t n_skip = 0;
    gd_param_override ov[GD_AB_MAX_TUNE];
    gd_engine *e = NULL;
    gd_err err;
    size_t cap = 0;
    int rc;
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < c->n_overlays; i++)
        if (!(mask & (1u << i)))
            skip[n_skip++] = c->overlay_labels[i];
    for (size_t i = 0; i < c->n_axes; i++)
        ov[i] = (gd_param_override){c->strategy_label, c->axes[i].param, values[i]};

    gd_engine_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = c->cfg;
    o.symbols = c->data.symbols;
    o.n_symbols = (uint32_t)c->data.n_series;
    o.plugin_dirs = c->plugin_dirs;
    o.skip = skip;
    o.n_skip = n_skip;
    o.plugin_cache = c->cache;
    o.overrides = ov;
    o.n_overrides = (uint32_t)c->n_axes;
    o.trade_from_ms = start;
    rc = gd_engine_new(&o, &e, &err);
    if (rc) {
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "%.190s", err.msg);
        return rc;
    }
    if (want_trades) {
        rc = gd_trades_open_mem(o.n_symbols, c->cfg->slippage_bps, &tl, &err);
        if (rc) {
            gd_engine_free(e);
            r->failed = 1;
            snprintf(r->error, sizeof r->error, "%.190s", err.msg);
            return rc;
        }
        gd_engine_set_trades(e, tl); /* the engine's from now on */
    }
    const gd_book *b = gd_engine_book(e);
    size_t k0 = tape_lower(&c->data, start - c->warmup_ms), k1 = tape_lower(&c->data, end);
    r->bars_fed = k1 > k0 ? k1 - k0 : 0;
    rc = feed(c, e, k0, k1, start, r, &cap);
    if (!rc && (r->n == 0 || r->t[r->n - 1] < end))
        rc = push_sample(r, &cap, end, b->equity);
    if (rc)
        goto fail;
    book_stats(b, &r->ts);
    r->signals = gd_engine_counters_get(e)->signals;
    memcpy(r->by_result, gd_engine_pipeline(e)->by_result, sizeof r->by_result);
    gd_metrics_compute(r->t, r->eq, r->n, &r->ts, c->s->periods_per_year, &r->m);
    if (want_trades) {
        r->trades = gd_trades_take(tl);
        if (!(r->sym = calloc(c->data.n_series ? c->data.n_series : 1, sizeof *r->sym)))
            goto fail;
        for (size_t s = 0; s < c->data.n_series; s++) {
            r->sym[s].trades = b->sym[s].trades;
            r->sym[s].wins = b->sym[s].wins;
            r->sym[s].fees = b->sym[s].fees;
            r->sym[s].net_pnl = b->sym[s].cash + b->sym_unreal[s];
        }
    }
    gd_engine_free(e);
    return 0;
fail:
    gd_engine_free(e);
    r->failed = 1;
    snprintf(r->error, sizeof r->error, "out of memory");
    return rc;
}


/* ------------------------------------------------------------ the pool */

typedef struct ab_task {
    uint32_t cfg;
    uint32_t win;
    uint64_t set;    /* parameter set; UINT64_MAX for the out-of-sample run */
} ab_task;

typedef struct ab_pool {
    const ab_ctx *c;
    const ab_cfg *cfgs;
    const gd_ab_window *wins;
    ab_task *tasks;
    size_t n_tasks;
    atomic_size_t next;
    atomic_size_t done;
    atomic_uint_fast64_t bars;
    /* results, by task index */
    double *score;       /* IS objective (NaN when undefined), by (cfg * n_wins + win) * n_sets + set */
    ab_run *oos;         /* OOS runs, by cfg * n_wins + win */
    uint64_t *chosen;    /* chosen set, by cfg * n_wins + win */
    size_t n_wins;
    uv_async_t *wake;
} ab_pool;

/* A task's failure is its run's result (a failed window), not the pool's. */
static void do_task(ab_pool *p, size_t i)
{
    const ab_task *t = &p->tasks[i];
    const gd_ab_window *w = &p->wins[t->win];
    double values[GD_AB_MAX_TUNE];
    if (t->set != UINT64_MAX) {
        ab_run r;
        gd_ablate_grid_point(p->c->axes, p->c->n_axes, t->set, values);
        run_window(p->c, p->cfgs[t->cfg].mask, values, w->train_start, w->train_end, 0, &r);
        int m = gd_ab_objective_metric(p->c->s->objective);
        atomic_fetch_add(&p->bars, r.bars_fed);
        p->score[((size_t)t->cfg * p->n_wins + t->win) * p->c->n_sets + t->set] = r.failed ? NAN : r.m.v[m];
        gd_ab_run_free(&r);
    } else {
        size_t slot = (size_t)t->cfg * p->n_wins + t->win;
        gd_ablate_grid_point(p->c->axes, p->c->n_axes, p->chosen[slot], values);
        run_window(p->c, p->cfgs[t->cfg].mask, values, w->test_start, w->test_end, 1, &p->oos[slot]);
        atomic_fetch_add(&p->bars, p->oos[slot].bars_fed);
    }
}

typedef struct ab_phase {
    ab_pool *pool;
    size_t end;          /* tasks run up to here; p->next starts at the phase's first */
} ab_phase;

static void worker(void *arg)
{
    ab_phase *ph = arg;
    ab_pool *p = ph->pool;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= ph->end)
            break;
        do_task(p, i);
        size_t d = atomic_fetch_add(&p->done, 1) + 1;
        /* Cannot fail: the handle is closed only after this wake-up. */
        if (d == ph->end)
            (void)uv_async_send(p->wake);
    }
}

/* ------------------------------------------------------------ progress */

typedef struct ab_progress {
    ab_pool *pool;
    size_t total;
    int tty;
    FILE *out;
    uint64_t t0;
    int last_decile;
    uv_timer_t timer;
    uv_async_t async;
    size_t phase_end;
} ab_progress;

static void progress_print(ab_progress *pr, int final)
{
    size_t d = atomic_load(&pr->pool->done);
    double frac = pr->total ? (double)d / (double)pr->total : 1.0;
    double el = (double)(uv_hrtime() - pr->t0) / 1e9;
    if (!pr->out)
        return;
    if (pr->tty) {
        char bar[41];
        int fill = (int)(frac * 40.0);
        for (int i = 0; i < 40; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[40] = '\0';
        double eta = frac > 0 ? el / frac - el : 0;
        fprintf(pr->out, "\r[%s] %3.0f%% %zu/%zu runs %.1fs%s", bar, frac * 100.0, d, pr->total, el,
                final ? "\n" : "");
        if (!final)
            fprintf(pr->out, " eta %.1fs  ", eta);
        fflush(pr->out);
    } else {
        int dec = (int)(frac * 10.0);
        if (dec > pr->last_decile || final) {
            if (dec > pr->last_decile)
                fprintf(pr->out, "ablate: %zu/%zu runs (%d%%) %.1fs\n", d, pr->total, dec * 10, el);
            pr->last_decile = dec;
        }
    }
}

static void on_timer(uv_timer_t *h) { progress_print(h->data, 0); }

static void on_wake(uv_async_t *h)
{
    ab_progress *pr = h->data;
    if (atomic_load(&pr->pool->done) >= pr->phase_end) {
        uv_timer_stop(&pr->timer);
        uv_close((uv_handle_t *)&pr->timer, NULL);
        uv_close((uv_handle_t *)&pr->async, NULL);
    }
}

/* Runs tasks [begin, end) on `jobs` threads; the loop shows progress. */
static int run_phase(ab_pool *p, ab_progress *pr, size_t begin, size_t end, unsigned jobs, gd_err *err)
{
    uv_loop_t loop;
    uv_thread_t th[MAX_JOBS];
    ab_phase ph = {p, end};
    unsigned started = 0;
    int uvrc, rc = 0, have_timer = 0, have_async = 0;
    const char *what;
    if (begin == end)
        return 0;
    if ((uvrc = uv_loop_init(&loop)) != 0)
        return gd_err_set(err, GD_EIO, "ablate: uv_loop_init: %s", uv_strerror(uvrc));
    pr->phase_end = end;
    what = "uv_timer_init";
    if ((uvrc = uv_timer_init(&loop, &pr->timer)) != 0)
        goto fail;
    have_timer = 1;
    what = "uv_async_init";
    if ((uvrc = uv_async_init(&loop, &pr->async, on_wake)) != 0)
        goto fail;
    have_async = 1;
    pr->timer.data = pr->async.data = pr;
    p->wake = &pr->async;
    atomic_store(&p->next, begin);
    what = "uv_timer_start";
    if ((uvrc = uv_timer_start(&pr->timer, on_timer, 200, 200)) != 0)
        goto fail;
    if (jobs > MAX_JOBS)
        jobs = MAX_JOBS;
    /* A thread that cannot be had is one worker fewer, not a failure. */
    for (unsigned j = 0; j < jobs; j++)
        if (uv_thread_create(&th[started], worker, &ph) == 0)
            started++;
    if (started == 0)
        worker(&ph); /* no threads to be had: do it here */
    uv_run(&loop, UV_RUN_DEFAULT);
    for (unsigned j = 0; j < started; j++)
        if ((uvrc = uv_thread_join(&th[j])) != 0 && !rc)
            rc = gd_err_set(err, GD_EIO, "ablate: uv_thread_join: %s", uv_strerror(uvrc));
    if ((uvrc = uv_loop_close(&loop)) != 0 && !rc)
        rc = gd_err_set(err, GD_EIO, "ablate: uv_loop_close: %s", uv_strerror(uvrc));
    return rc;
fail:
    rc = gd_err_set(err, GD_EIO, "ablate: %s: %s", what, uv_strerror(uvrc));
    if (have_timer)
        uv_close((uv_handle_t *)&pr->timer, NULL);
    if (have_async)
        uv_close((uv_handle_t *)&pr->async, NULL);
    uv_run(&loop, UV_RUN_DEFAULT); /* let the closes complete */
    uv_loop_close(&loop);
    return rc;
}

/* ------------------------------------------------------------ the runs */

/* Whether this process runs the pair (configuration, window) numbered
 * pair = cfg * n_wins + win: every pair, or a shard's share. */
static int owns(const ab_plan *p, size_t pair)
{
    return p->shard_n == 0 || pair % p->shard_n == p->shard_k;
}

/* Tasks: in-sample searches first (when there is a choice), then the
 * out-of-sample runs with the chosen sets; of a shard, its pairs only. */
static int plan_tasks(ab_pool *pool, const ab_plan *p, size_t *n_is, gd_err *err)
{
    uint64_t n_sets = p->c->n_sets;
    size_t n_oos = p->n_cfgs * p->n_wins, n_mine = 0;
    for (size_t i = 0; i < n_oos; i++)
        n_mine += (size_t)owns(p, i);
    *n_is = n_sets > 1 ? n_mine * n_sets : 0;
    pool->c = p->c;
    pool->cfgs = p->cfgs;
    pool->wins = p->wins;
    pool->n_wins = p->n_wins;
    pool->n_tasks = *n_is + n_mine;
    pool->tasks = calloc(pool->n_tasks ? pool->n_tasks : 1, sizeof *pool->tasks);
    pool->score = calloc(*n_is ? n_oos * n_sets : 1, sizeof *pool->score);
    pool->oos = calloc(n_oos, sizeof *pool->oos);
    pool->chosen = calloc(n_oos, sizeof *pool->chosen);
    if (!pool->tasks || !pool->score || !pool->oos || !pool->chosen)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    size_t t = 0;
    for (uint32_t ci = 0; ci < p->n_cfgs; ci++)
        for (uint32_t w = 0; w < p->n_wins; w++)
            for (uint64_t k = 0; *n_is && owns(p, (size_t)ci * p->n_wins + w) && k < n_sets; k++)
                pool->tasks[t++] = (ab_task){ci, w, k};
    for (uint32_t ci = 0; ci < p->n_cfgs; ci++)
        for (uint32_t w = 0; w < p->n_wins; w++)
            if (owns(p, (size_t)ci * p->n_wins + w))
                pool->tasks[t++] = (ab_task){ci, w, UINT64_MAX};
    return 0;
}

/* Per configuration and window, the set with the best in-sample objective;
 * strict: ties keep the first set, deterministic. */
static void choose_sets(ab_pool *pool, size_t n_cfgs, uint64_t n_sets, size_t n_is)
{
    for (size_t ci = 0; ci < n_cfgs; ci++)
        for (size_t w = 0; w < pool->n_wins; w++) {
            uint64_t best = 0;
            double bs = -INFINITY;
            for (uint64_t k = 0; n_is && k < n_sets; k++) {
                double v = pool->score[(ci * pool->n_wins + w) * n_sets + k];
                if (v > bs) {
                    bs = v;
                    best = k;
                }
            }
            pool->chosen[ci * pool->n_wins + w] = best;
        }
}

int gd_ab_run_all(const ab_plan *p, ab_runs *out, gd_err *err)
{
    ab_pool pool;
    ab_progress pr;
    size_t n_is = 0;
    int rc;
    memset(out, 0, sizeof *out);
    memset(&pool, 0, sizeof pool);
    rc = plan_tasks(&pool, p, &n_is, err);
    if (rc)
        goto fail;
    memset(&pr, 0, sizeof pr);
    pr.pool = &pool;
    pr.total = pool.n_tasks;
    pr.tty = p->progress_tty;
    pr.out = p->progress;
    pr.t0 = p->t0;
    pr.last_decile = -1;
    atomic_store(&pool.done, 0);
    atomic_store(&pool.bars, 0);

    /* A configuration whose overlay failed to load fails in its runs and is
     * reported as failed; the others are unaffected. */
    rc = run_phase(&pool, &pr, 0, n_is, p->jobs, err);
    if (rc)
        goto fail;
    choose_sets(&pool, p->n_cfgs, p->c->n_sets, n_is);
    rc = run_phase(&pool, &pr, n_is, pool.n_tasks, p->jobs, err);
    if (rc)
        goto fail;
    progress_print(&pr, 1);
    out->oos = pool.oos;
    out->chosen = pool.chosen;
    out->n = p->n_cfgs * p->n_wins;
    out->runs = pool.n_tasks;
    out->bars = atomic_load(&pool.bars);
    free(pool.tasks);
    free(pool.score);
    return 0;
fail:
    out->oos = pool.oos;
    out->chosen = pool.chosen;
    out->n = pool.oos ? p->n_cfgs * p->n_wins : 0;
    gd_ab_runs_free(out);
    free(pool.tasks);
    free(pool.score);
    return rc;
}
