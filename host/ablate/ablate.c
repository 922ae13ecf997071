#include "ablate/ablate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "ablate/ablate_run.h"
#include "base/dates.h"
#include "base/names.h"
#include "engine/engine.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "config/params.h"
#include "data/replay.h"

#define MAX_OVERLAYS 16

const int gd_ab_effect_metrics[GD_AB_N_EFFECT_METRICS] = {GD_M_SHARPE, GD_M_MAX_DD, GD_M_CAGR,
                                                          GD_M_TRADES};

/* ------------------------------------------------------------ settings */

static int parse_duration(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v <= 0)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    double unit;
    if (!strcmp(end, "ms"))
        unit = 1;
    else if (!strcmp(end, "s"))
        unit = 1000;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        unit = 60000;
    else if (!strcmp(end, "h"))
        unit = 3600000;
    else if (!strcmp(end, "d"))
        unit = (double)GD_DAY_MS;
    else if (!strcmp(end, "w"))
        unit = 7.0 * (double)GD_DAY_MS;
    else
        return -1;
    double ms = v * unit;
    if (ms < 1 || ms > 1e15)
        return -1;
    *out = (int64_t)llround(ms);
    return 0;
}

static const char *const objective_names[] = {"sharpe", "sortino", "cagr", "net_pnl", "profit_factor"};
static const int objective_metric[] = {GD_M_SHARPE, GD_M_SORTINO, GD_M_CAGR, GD_M_NET_PNL,
                                       GD_M_PROFIT_FACTOR};

static int kv_err(gd_err *err, int code, const gd_kv *kv, const char *fmt, const char *what)
{
    return gd_err_set(err, code, "%s:%d: [ablate] %s: %s (%s)", kv->file, kv->line, kv->key, what, fmt);
}

int gd_ablate_settings_parse(const gd_config *cfg, gd_ablate_settings *s, gd_err *err)
{
    memset(s, 0, sizeof *s);
    s->train_ms = 180 * GD_DAY_MS;
    s->test_ms = 30 * GD_DAY_MS;
    s->step_ms = 0; /* = test */
    s->anchored = 0;
    s->objective = 0;
    s->max_param_sets = 16;
    s->bootstrap = 2000;
    s->seed = 1;
    s->alpha = 0.05;
    s->periods_per_year = 365;
    s->warmup_ms = -1; /* auto */
    for (size_t i = 0; i < cfg->n_ablate; i++) {
        const gd_kv *kv = &cfg->ablate[i];
        const char *k = kv->key, *v = kv->value;
        char *end;
        if (!strcmp(k, "train") || !strcmp(k, "test") || !strcmp(k, "step")) {
            int64_t d;
            if (parse_duration(v, &d))
                return kv_err(err, GD_EINVAL, kv, "allowed: a positive number with a unit ms, s, m, h, d, w, e.g. 180d",
                              "not a duration");
            if (!strcmp(k, "train"))
                s->train_ms = d;
            else if (!strcmp(k, "test"))
                s->test_ms = d;
            else
                s->step_ms = d;
        } else if (!strcmp(k, "warmup")) {
            int64_t d;
            if (!strcmp(v, "auto"))
                s->warmup_ms = -1;
            else if (!strcmp(v, "0"))
                s->warmup_ms = 0;
            else if (parse_duration(v, &d))
                return kv_err(err, GD_EINVAL, kv, "allowed: auto, 0 or a duration such as 30d", "not a duration");
            else
                s->warmup_ms = d;
        } else if (!strcmp(k, "mode")) {
            if (!strcmp(v, "rolling"))
                s->anchored = 0;
            else if (!strcmp(v, "anchored"))
                s->anchored = 1;
            else
                return kv_err(err, GD_EINVAL, kv, "allowed: rolling, anchored; random splits do not exist",
                              "unknown mode");
        } else if (!strcmp(k, "objective")) {
            size_t j;
            for (j = 0; j < sizeof objective_names / sizeof objective_names[0]; j++)
                if (!strcmp(v, objective_names[j]))
                    break;
            if (j == sizeof objective_names / sizeof objective_names[0])
                return kv_err(err, GD_EINVAL, kv, "allowed: sharpe, sortino, cagr, net_pnl, profit_factor",
                              "unknown objective");
            s->objective = (int)j;
        } else if (!strcmp(k, "strategy")) {
            snprintf(s->strategy, sizeof s->strategy, "%s", v);
        } else if (!strcmp(k, "max_param_sets") || !strcmp(k, "bootstrap") || !strcmp(k, "seed")) {
            errno = 0;
            long long n = strtoll(v, &end, 10);
            long long lo = !strcmp(k, "seed") ? 0 : 1, hi = !strcmp(k, "bootstrap") ? 100000 : 1000000;
            if (end == v || *end || errno || n < lo || n > hi)
                return kv_err(err, GD_ERANGE, kv,
                              !strcmp(k, "bootstrap") ? "allowed: 1..100000" : "allowed: a whole number >= 1",
                              "bad number");
            if (!strcmp(k, "max_param_sets"))
                s->max_param_sets = (uint32_t)n;
            else if (!strcmp(k, "bootstrap"))
                s->bootstrap = (unsigned)n;
            else
                s->seed = (uint64_t)n;
        } else if (!strcmp(k, "periods_per_year") || !strcmp(k, "alpha")) {
            errno = 0;
            double d = strtod(v, &end);
            int isalpha_ = !strcmp(k, "alpha");
            if (end == v || *end || errno || !isfinite(d) || (isalpha_ ? (d <= 0 || d >= 0.5) : (d < 1 || d > 100000)))
                return kv_err(err, GD_ERANGE, kv, isalpha_ ? "allowed: (0, 0.5)" : "allowed: 1..100000", "bad number");
            if (isalpha_)
                s->alpha = d;
            else
                s->periods_per_year = d;
        } else if (!strncmp(k, "range.", 6)) {
            /* range.PARAM = min:max:step */
            double a, b, c;
            char extra;
            if (s->n_ranges >= GD_AB_MAX_TUNE)
                return kv_err(err, GD_EINVAL, kv, "at most 8 ranges", "too many ranges");
            if (sscanf(v, "%lf:%lf:%lf%c", &a, &b, &c, &extra) != 3 || !isfinite(a) || !isfinite(b) ||
                !isfinite(c) || c <= 0)
                return kv_err(err, GD_EINVAL, kv, "allowed: min:max:step with step > 0, e.g. 10:50:10", "bad range");
            if (a > b)
                return kv_err(err, GD_ERANGE, kv, "min must not exceed max", "empty range");
            gd_ab_range *r = &s->ranges[s->n_ranges++];
            snprintf(r->param, sizeof r->param, "%s", k + 6);
            r->min = a;
            r->max = b;
            r->step = c;
            r->file = kv->file;
            r->line = kv->line;
        } else {
            return kv_err(err, GD_EINVAL, kv,
                          "allowed: strategy, train, test, step, mode, objective, max_param_sets, warmup, "
                          "bootstrap, seed, alpha, periods_per_year, range.PARAM",
                          "unknown key");
        }
    }
    if (s->step_ms == 0)
        s->step_ms = s->test_ms;
    if (s->step_ms < s->test_ms)
        return gd_err_set(err, GD_EINVAL,
                          "[ablate] step (%.3g d) is shorter than test (%.3g d): out-of-sample windows would "
                          "overlap and be counted twice",
                          (double)s->step_ms / (double)GD_DAY_MS, (double)s->test_ms / (double)GD_DAY_MS);
    return 0;
}

const char *gd_ablate_objective_name(int objective) { return objective_names[objective]; }

/* ------------------------------------------------------------ windows */

size_t gd_ablate_windows(int64_t data_start, int64_t data_end, const gd_ablate_settings *s,
                         gd_ab_window *out, size_t cap)
{
    size_t n = 0;
    for (int64_t k = 0;; k++) {
        gd_ab_window w;
        int64_t shift = k * s->step_ms;
        w.train_start = s->anchored ? data_start : data_start + shift;
        w.train_end = data_start + s->train_ms + shift;
        w.test_start = w.train_end;
        w.test_end = w.test_start + s->test_ms;
        if (w.test_end > data_end)
            break;
        if (out && n < cap)
            out[n] = w;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------ parameter grid */

/* Values of one tunable parameter, thinned to at most `keep` evenly spaced
 * ones (both ends kept). */
static uint32_t axis_count(const gd_ab_axis *a) { return a->keep; }

static double axis_value(const gd_ab_axis *a, uint32_t i)
{
    if (a->keep <= 1)
        return a->min;
    /* i-th of keep values spread over the full count, ends included */
    uint64_t idx = (uint64_t)llround((double)i * (double)(a->count - 1) / (double)(a->keep - 1));
    double v = a->min + (double)idx * a->step;
    if (a->is_int)
        v = nearbyint(v);
    return v > a->max ? a->max : v;
}

uint64_t gd_ablate_grid_size(const gd_ab_axis *ax, size_t n)
{
    uint64_t p = 1;
    for (size_t i = 0; i < n; i++)
        p *= axis_count(&ax[i]);
    return p;
}

void gd_ablate_grid_thin(gd_ab_axis *ax, size_t n, uint64_t max_sets)
{
    for (size_t i = 0; i < n; i++)
        ax[i].keep = ax[i].count;
    /* Halve the widest axis until the grid fits: deterministic and keeps the
     * extremes of every range. */
    while (gd_ablate_grid_size(ax, n) > max_sets) {
        size_t w = 0;
        for (size_t i = 1; i < n; i++)
            if (ax[i].keep > ax[w].keep)
                w = i;
        if (ax[w].keep <= 1)
            break;
        ax[w].keep = ax[w].keep > 3 ? (ax[w].keep + 1) / 2 : ax[w].keep - 1;
    }
}

void gd_ablate_grid_point(const gd_ab_axis *ax, size_t n, uint64_t k, double *values)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = axis_count(&ax[i]);
        values[i] = axis_value(&ax[i], (uint32_t)(k % c));
        k /= c;
    }
}

/* ------------------------------------------------------------ one run */

typedef struct ab_data {
    gd_series *series;    /* owned */
    size_t n_series;
    gd_tape tape;
    int64_t *close;       /* owned: close time of each tape bar */
    const char **symbols; /* borrowed names, one per series */
} ab_data;

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

typedef struct ab_ctx {
    const gd_config *cfg;
    const gd_ablate_settings *s;
    const char *plugin_dir;
    gd_plugin_set plugins;     /* loaded once, shared read-only by every run */
    ab_data data;
    char strategy_label[96];   /* "strategy.ema" */
    char overlay_names[MAX_OVERLAYS][80];   /* instance names */
    char overlay_labels[MAX_OVERLAYS][96];  /* "overlay.trend" */
    char overlay_error[MAX_OVERLAYS][256];  /* load failure, or "" */
    size_t n_overlays;
    gd_ab_axis axes[GD_AB_MAX_TUNE];
    size_t n_axes;
    uint64_t n_sets;
    int64_t warmup_ms;
} ab_ctx;

/* What one engine run over [start, end) yields. */
typedef struct ab_run {
    int failed;
    char error[200];
    uint64_t bars_fed;
    gd_trade_stats ts;
    int64_t *t;        /* owned: daily samples */
    double *eq;
    size_t n;
    gd_metrics m;
} ab_run;

static int push_sample(ab_run *r, size_t *cap, int64_t t, double eq)
{
    if (r->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        int64_t *nt = realloc(r->t, nc * sizeof *nt);
        if (!nt)
            return -1;
        r->t = nt;
        double *ne = realloc(r->eq, nc * sizeof *ne);
        if (!ne)
            return -1;
        r->eq = ne;
        *cap = nc;
    }
    r->t[r->n] = t;
    r->eq[r->n] = eq;
    r->n++;
    return 0;
}

/* Runs the strategy with the overlays in mask, the given parameter values,
 * trading over [start, end) after warming up on earlier bars. */
static void run_window(const ab_ctx *c, uint32_t mask, const double *values, int64_t start, int64_t end,
                       ab_run *r)
{
    const char *skip[MAX_OVERLAYS];
    uint32_t n_skip = 0;
    gd_param_override ov[GD_AB_MAX_TUNE];
    gd_engine *e = NULL;
    gd_err err;
    size_t cap = 0;
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
    o.plugin_dir = c->plugin_dir;
    o.skip = skip;
    o.n_skip = n_skip;
    o.shared_plugins = &c->plugins;
    o.overrides = ov;
    o.n_overrides = (uint32_t)c->n_axes;
    o.trade_from_ms = start;
    if (gd_engine_new(&o, &e, &err) != 0) {
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "%.190s", err.msg);
        return;
    }
    const gd_book *b = gd_engine_book(e);
    size_t k0 = tape_lower(&c->data, start - c->warmup_ms), k1 = tape_lower(&c->data, end);
    r->bars_fed = k1 > k0 ? k1 - k0 : 0;
    int64_t day = gd_day_floor(start);
    int started = 0;
    for (size_t k = k0; k < k1; k++) {
        uint32_t s = c->data.tape.sym[k];
        const gordon_bar *bar = &c->data.tape.series[s].bars[c->data.tape.idx[k]];
        if (bar->close_time_ms >= start) {
            if (!started) {
                started = 1;
                if (push_sample(r, &cap, start, b->equity))
                    goto oom;
            }
            /* A UTC day ended: record where equity stood at its end. */
            int64_t bd = gd_day_floor(bar->close_time_ms - 1);
            if (bd > day) {
                if (day + GD_DAY_MS > start && push_sample(r, &cap, day + GD_DAY_MS, b->equity))
                    goto oom;
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
    if (!started && push_sample(r, &cap, start, b->equity))
        goto oom;
    if ((r->n == 0 || r->t[r->n - 1] < end) && push_sample(r, &cap, end, b->equity))
        goto oom;
    r->ts.trades = b->trades;
    r->ts.wins = b->wins;
    r->ts.gross_profit = b->gross_profit;
    r->ts.gross_loss = b->gross_loss;
    r->ts.fees = b->fees;
    r->ts.sum_r = b->sum_r;
    r->ts.r_count = b->r_count;
    gd_metrics_compute(r->t, r->eq, r->n, &r->ts, c->s->periods_per_year, &r->m);
    gd_engine_free(e);
    return;
oom:
    gd_engine_free(e);
    r->failed = 1;
    snprintf(r->error, sizeof r->error, "out of memory");
}

static void run_free(ab_run *r)
{
    free(r->t);
    free(r->eq);
    r->t = NULL;
    r->eq = NULL;
    r->n = 0;
}

/* ------------------------------------------------------------ the work */

typedef struct ab_cfg {
    uint32_t mask;
    char name[128];
    int failed;
    char reason[256];
} ab_cfg;

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
    double *score;       /* IS objective (NaN when undefined) */
    ab_run *oos;         /* OOS runs, by cfg * n_wins + win */
    uint64_t *chosen;    /* chosen set, by cfg * n_wins + win */
    size_t n_wins;
    uv_async_t *wake;
} ab_pool;

static void do_task(ab_pool *p, size_t i)
{
    const ab_task *t = &p->tasks[i];
    const gd_ab_window *w = &p->wins[t->win];
    double values[GD_AB_MAX_TUNE];
    if (t->set != UINT64_MAX) {
        ab_run r;
        gd_ablate_grid_point(p->c->axes, p->c->n_axes, t->set, values);
        run_window(p->c, p->cfgs[t->cfg].mask, values, w->train_start, w->train_end, &r);
        int m = objective_metric[p->c->s->objective];
        atomic_fetch_add(&p->bars, r.bars_fed);
        p->score[i] = r.failed ? NAN : r.m.v[m];
        run_free(&r);
    } else {
        size_t slot = (size_t)t->cfg * p->n_wins + t->win;
        gd_ablate_grid_point(p->c->axes, p->c->n_axes, p->chosen[slot], values);
        run_window(p->c, p->cfgs[t->cfg].mask, values, w->test_start, w->test_end, &p->oos[slot]);
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
        if (d == ph->end)
            uv_async_send(p->wake);
    }
}

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
    uv_thread_t th[256];
    ab_phase ph = {p, end};
    if (begin == end)
        return 0;
    if (uv_loop_init(&loop) != 0)
        return gd_err_set(err, GD_EIO, "uv_loop_init failed");
    pr->phase_end = end;
    uv_timer_init(&loop, &pr->timer);
    uv_async_init(&loop, &pr->async, on_wake);
    pr->timer.data = pr->async.data = pr;
    p->wake = &pr->async;
    atomic_store(&p->next, begin);
    uv_timer_start(&pr->timer, on_timer, 200, 200);
    unsigned started = 0;
    if (jobs > 256)
        jobs = 256;
    for (unsigned j = 0; j < jobs; j++)
        if (uv_thread_create(&th[started], worker, &ph) == 0)
            started++;
    if (started == 0)
        worker(&ph); /* no threads to be had: do it here */
    uv_run(&loop, UV_RUN_DEFAULT);
    for (unsigned j = 0; j < started; j++)
        uv_thread_join(&th[j]);
    uv_loop_close(&loop);
    return 0;
}

/* ------------------------------------------------------------ setup */

static int resolve_path(const ab_ctx *c, const gd_plugin_conf *pc, char *buf, size_t cap)
{
    if (pc->plugin_path)
        snprintf(buf, cap, "%s", pc->plugin_path);
    else if (strchr(pc->plugin, '/'))
        snprintf(buf, cap, "%s", pc->plugin);
    else
        snprintf(buf, cap, "%s/%s.so", c->plugin_dir ? c->plugin_dir : ".", pc->plugin);
    return 0;
}

/* Tunable axes: the strategy's tunable parameters, or those given ranges. */
static int build_axes(ab_ctx *c, const gd_plugin_lib *lib, const gd_plugin_conf *pc, gd_err *err)
{
    const gordon_plugin *d = &lib->d;
    gd_params bound;
    int rc = gd_params_bind(d, pc, &bound, err);
    if (rc)
        return rc;
    c->n_axes = 0;
    for (size_t r = 0; r < c->s->n_ranges; r++) {
        const gd_ab_range *rg = &c->s->ranges[r];
        const gd_param_value *pv = gd_params_find(&bound, rg->param);
        if (!pv || (pv->decl.type != GORDON_PARAM_INT && pv->decl.type != GORDON_PARAM_DOUBLE)) {
            gd_params_free(&bound);
            return gd_err_set(err, GD_EINVAL, "%s:%d: [ablate] range.%s: plugin %s has no numeric parameter %s",
                              rg->file, rg->line, rg->param, d->name, rg->param);
        }
        if (rg->min < pv->decl.min || rg->max > pv->decl.max) {
            gd_params_free(&bound);
            return gd_err_set(err, GD_ERANGE, "%s:%d: [ablate] range.%s: %g:%g leaves the declared range [%g, %g]",
                              rg->file, rg->line, rg->param, rg->min, rg->max, pv->decl.min, pv->decl.max);
        }
    }
    for (uint32_t i = 0; i < bound.n && c->n_axes < GD_AB_MAX_TUNE; i++) {
        const gordon_param *p = &bound.v[i].decl;
        const gd_ab_range *rg = NULL;
        for (size_t r = 0; r < c->s->n_ranges; r++)
            if (!strcmp(c->s->ranges[r].param, p->name))
                rg = &c->s->ranges[r];
        /* With explicit ranges only those are searched; otherwise every tunable. */
        if (c->s->n_ranges ? !rg : !p->tunable)
            continue;
        /* A value fixed in the strategy's section is not searched. */
        if (!rg && bound.v[i].from_config)
            continue;
        gd_ab_axis *a = &c->axes[c->n_axes++];
        memset(a, 0, sizeof *a);
        snprintf(a->param, sizeof a->param, "%s", p->name);
        a->is_int = p->type == GORDON_PARAM_INT;
        a->min = rg ? rg->min : p->min;
        a->max = rg ? rg->max : p->max;
        a->step = rg ? rg->step : p->step;
        if (a->is_int && a->step < 1)
            a->step = 1;
        double cnt = floor((a->max - a->min) / a->step + 1e-9) + 1;
        if (!(cnt >= 1)) {
            gd_params_free(&bound);
            return gd_err_set(err, GD_ERANGE, "strategy parameter %s: empty range [%g, %g] step %g", p->name,
                              a->min, a->max, a->step);
        }
        a->count = cnt > 1e6 ? 1000000u : (uint32_t)cnt;
    }
    gd_params_free(&bound);
    gd_ablate_grid_thin(c->axes, c->n_axes, c->s->max_param_sets);
    c->n_sets = gd_ablate_grid_size(c->axes, c->n_axes);
    return 0;
}

static int load_data(ab_ctx *c, gd_ab_result *res, gd_err *err)
{
    const gd_config *cfg = c->cfg;
    ab_data *d = &c->data;
    int rc;
    if (cfg->n_data == 0)
        return gd_err_set(err, GD_EINVAL, "no market data: add [replay] data = SYMBOL:file.csv or --data SYMBOL:file.csv");
    d->series = calloc(cfg->n_data, sizeof *d->series);
    d->symbols = calloc(cfg->n_data, sizeof *d->symbols);
    if (!d->series || !d->symbols)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t i = 0; i < cfg->n_data; i++) {
        rc = gd_csv_load(cfg->data[i].path, cfg->data[i].symbol, &d->series[i], err);
        if (rc)
            return rc;
        d->n_series++;
        d->symbols[i] = d->series[i].symbol;
    }
    rc = gd_tape_build(d->series, d->n_series, &d->tape, err);
    if (rc)
        return rc;
    d->close = malloc((d->tape.n ? d->tape.n : 1) * sizeof *d->close);
    if (!d->close)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t k = 0; k < d->tape.n; k++)
        d->close[k] = d->tape.series[d->tape.sym[k]].bars[d->tape.idx[k]].close_time_ms;
    res->data_bars = d->tape.n;
    res->data_start = d->tape.n ? d->tape.series[d->tape.sym[0]].bars[d->tape.idx[0]].open_time_ms : 0;
    res->data_end = d->tape.n ? d->close[d->tape.n - 1] : 0;
    res->symbols = calloc(d->n_series, sizeof *res->symbols);
    if (!res->symbols)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->n_series; i++)
        if (!(res->symbols[res->n_symbols++] = strdup(d->series[i].symbol)))
            return gd_err_set(err, GD_ENOMEM, "out of memory");
    return 0;
}

static void data_free(ab_data *d)
{
    gd_tape_free(&d->tape);
    for (size_t i = 0; i < d->n_series; i++)
        gd_series_free(&d->series[i]);
    free(d->series);
    free(d->symbols);
    free(d->close);
    memset(d, 0, sizeof *d);
}

/* Plugins load once, in this thread; each enabled instance is recorded. */
static int load_plugins(ab_ctx *c, gd_ab_result *res, const gd_plugin_conf **strategy, gd_err *err)
{
    const gd_config *cfg = c->cfg;
    size_t n_strat = 0;
    *strategy = NULL;
    res->plugins = calloc(cfg->n_plugins ? cfg->n_plugins : 1, sizeof *res->plugins);
    if (!res->plugins)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *pc = &cfg->plugins[i];
        if (!pc->enabled)
            continue;
        if (pc->kind == GORDON_KIND_STRATEGY) {
            n_strat++;
            if (c->s->strategy[0] ? !strcmp(pc->name, c->s->strategy) : !*strategy)
                *strategy = pc;
        }
    }
    if (!*strategy) {
        if (c->s->strategy[0])
            return gd_err_set(err, GD_ENOENT, "[ablate] strategy = %s: no enabled [strategy.%s] section",
                              c->s->strategy, c->s->strategy);
        return gd_err_set(err, GD_EINVAL, "no enabled [strategy.NAME] section to evaluate");
    }
    if (n_strat > 1 && !c->s->strategy[0])
        return gd_err_set(err, GD_EINVAL,
                          "%zu strategies are enabled: name the one to evaluate with [ablate] strategy = NAME",
                          n_strat);
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *pc = &cfg->plugins[i];
        char path[4096];
        gd_plugin_lib *lib = NULL;
        gd_err lerr;
        /* Other strategies stay out: the ablation evaluates one. */
        if (!pc->enabled || (pc->kind == GORDON_KIND_STRATEGY && pc != *strategy))
            continue;
        resolve_path(c, pc, path, sizeof path);
        int rc = gd_plugin_set_add(&c->plugins, path, &lib, &lerr);
        if (pc->kind == GORDON_KIND_OVERLAY) {
            if (c->n_overlays == MAX_OVERLAYS)
                return gd_err_set(err, GD_EINVAL, "more than %d overlays", MAX_OVERLAYS);
            size_t k = c->n_overlays++;
            snprintf(c->overlay_names[k], sizeof c->overlay_names[k], "%s", pc->name);
            snprintf(c->overlay_labels[k], sizeof c->overlay_labels[k], "overlay.%s", pc->name);
            /* An overlay that fails to load fails only the configurations using it. */
            if (rc)
                snprintf(c->overlay_error[k], sizeof c->overlay_error[k], "%.250s", lerr.msg);
        }
        if (rc) {
            if (pc->kind == GORDON_KIND_OVERLAY)
                continue;
            return gd_err_prefix(&lerr, rc, "%s:%d: [%s.%s]: ", pc->file, pc->line, gd_kind_name(pc->kind),
                                 pc->name),
                   memcpy(err, &lerr, sizeof *err), rc;
        }
        gd_ab_plugin *ap = &res->plugins[res->n_plugins++];
        snprintf(ap->instance, sizeof ap->instance, "%s.%s", gd_kind_name(pc->kind), pc->name);
        snprintf(ap->plugin, sizeof ap->plugin, "%s", lib->d.name);
        snprintf(ap->version, sizeof ap->version, "%s", lib->d.version ? lib->d.version : "");
        snprintf(ap->path, sizeof ap->path, "%s", lib->path);
        snprintf(ap->sha256, sizeof ap->sha256, "%s", lib->sha256_hex);
        if (pc == *strategy) {
            int brc = build_axes(c, lib, pc, err);
            if (brc)
                return brc;
        }
    }
    snprintf(c->strategy_label, sizeof c->strategy_label, "strategy.%s", (*strategy)->name);
    return 0;
}

/* The configurations the ablation needs, each overlay set once. */
static size_t build_configs(const ab_ctx *c, ab_cfg *out)
{
    size_t n = 0, k = c->n_overlays;
    uint32_t all = k ? (uint32_t)((1ull << k) - 1) : 0;
    struct {
        uint32_t mask;
        char name[128];
    } want[2 + 2 * MAX_OVERLAYS];
    size_t nw = 0;
    want[nw].mask = 0;
    snprintf(want[nw++].name, 128, "baseline");
    for (size_t i = 0; i < k; i++) {
        want[nw].mask = 1u << i;
        snprintf(want[nw++].name, 128, "+%s", c->overlay_names[i]);
    }
    if (k > 1) {
        want[nw].mask = all;
        snprintf(want[nw++].name, 128, "all");
        for (size_t i = 0; i < k; i++) {
            want[nw].mask = all & ~(1u << i);
            snprintf(want[nw++].name, 128, "all-%s", c->overlay_names[i]);
        }
    }
    for (size_t i = 0; i < nw; i++) {
        size_t j;
        for (j = 0; j < n; j++)
            if (out[j].mask == want[i].mask)
                break;
        if (j < n)
            continue; /* e.g. with two overlays, all-a is +b */
        memset(&out[n], 0, sizeof out[n]);
        out[n].mask = want[i].mask;
        snprintf(out[n].name, sizeof out[n].name, "%s", want[i].name);
        for (size_t o = 0; o < k; o++)
            if ((want[i].mask & (1u << o)) && c->overlay_error[o][0]) {
                out[n].failed = 1;
                snprintf(out[n].reason, sizeof out[n].reason, "overlay %s failed to load: %.200s",
                         c->overlay_names[o], c->overlay_error[o]);
            }
        n++;
    }
    return n;
}

static int find_cfg(const ab_cfg *cfgs, size_t n, uint32_t mask)
{
    for (size_t i = 0; i < n; i++)
        if (cfgs[i].mask == mask)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------ aggregation */

/* Chains the windows' out-of-sample curves: each window's daily returns
 * compound onto where the previous one ended. */
static int concat_curve(const ab_run *runs, size_t n_wins, double equity0, gd_ab_config *out,
                        gd_trade_stats *ts)
{
    size_t total = 0;
    for (size_t w = 0; w < n_wins; w++)
        if (!runs[w].failed)
            total += runs[w].n;
    out->curve_t = malloc((total ? total : 1) * sizeof *out->curve_t);
    out->curve_eq = malloc((total ? total : 1) * sizeof *out->curve_eq);
    if (!out->curve_t || !out->curve_eq)
        return -1;
    double eq = equity0;
    memset(ts, 0, sizeof *ts);
    for (size_t w = 0; w < n_wins; w++) {
        const ab_run *r = &runs[w];
        if (r->failed || r->n == 0)
            continue;
        double base = r->eq[0];
        double start_eq = eq;
        for (size_t i = 0; i < r->n; i++) {
            if (i == 0 && out->curve_n > 0 && out->curve_t[out->curve_n - 1] >= r->t[0])
                continue;
            double v = base > 0 ? start_eq * (r->eq[i] / base) : start_eq;
            out->curve_t[out->curve_n] = r->t[i];
            out->curve_eq[out->curve_n] = v;
            out->curve_n++;
            eq = v;
        }
        ts->trades += r->ts.trades;
        ts->wins += r->ts.wins;
        ts->gross_profit += r->ts.gross_profit;
        ts->gross_loss += r->ts.gross_loss;
        ts->fees += r->ts.fees;
        ts->sum_r += r->ts.sum_r;
        ts->r_count += r->ts.r_count;
        ts->bars += r->ts.bars;
        ts->exposed_bars += r->ts.exposed_bars;
    }
    return 0;
}

/* A window's metric for paired comparisons: a flat window has no Sharpe, and
 * a flat window is worth zero, not "unknown". */
static double pair_value(const gd_metrics *m, int metric)
{
    double v = m->v[metric];
    if (isnan(v) && (metric == GD_M_SHARPE || metric == GD_M_SORTINO) && m->na[metric] &&
        strstr(m->na[metric], "no variance"))
        return 0.0;
    return v;
}

static void effect(const gd_ab_result *res, int a, int b, int metric, double *scratch, gd_ab_effect *out)
{
    out->mean = out->lo = out->hi = NAN;
    out->n = 0;
    if (a < 0 || b < 0 || res->configs[a].failed || res->configs[b].failed)
        return;
    for (size_t w = 0; w < res->n_windows; w++) {
        const gd_ab_config *ca = &res->configs[a], *cb = &res->configs[b];
        if (ca->win_failed[w] || cb->win_failed[w])
            scratch[w] = NAN;
        else
            scratch[w] = pair_value(&ca->win[w], metric) - pair_value(&cb->win[w], metric);
    }
    /* Seeded per comparison so that results do not depend on order. */
    uint64_t seed = res->seed * 1000003u + (uint64_t)a * 7919u + (uint64_t)b * 104729u + (uint64_t)metric;
    out->n = gd_bootstrap_mean_ci(scratch, res->n_windows, res->bootstrap, seed, 0.05, &out->mean, &out->lo,
                                  &out->hi);
}

static void verdicts(gd_ab_result *res, const ab_cfg *cfgs, const ab_ctx *c)
{
    double *scratch = malloc((res->n_windows ? res->n_windows : 1) * sizeof *scratch);
    uint32_t all = c->n_overlays ? (uint32_t)((1ull << c->n_overlays) - 1) : 0;
    if (!scratch)
        return;
    int base = find_cfg(cfgs, res->n_configs, 0), top = find_cfg(cfgs, res->n_configs, all);
    for (size_t i = 0; i < c->n_overlays; i++) {
        gd_ab_overlay *o = &res->overlays[i];
        int alone = find_cfg(cfgs, res->n_configs, 1u << i);
        int but = find_cfg(cfgs, res->n_configs, all & ~(1u << i));
        snprintf(o->name, sizeof o->name, "%s", c->overlay_names[i]);
        for (int m = 0; m < GD_AB_N_EFFECT_METRICS; m++) {
            effect(res, alone, base, gd_ab_effect_metrics[m], scratch, &o->alone[m]);
            effect(res, top, but, gd_ab_effect_metrics[m], scratch, &o->marginal[m]);
        }
        const gd_ab_effect *s = &o->marginal[0];
        if (c->overlay_error[i][0]) {
            o->verdict = GD_AB_INCONCLUSIVE;
            snprintf(o->verdict_reason, sizeof o->verdict_reason, "failed to load");
        } else if (isnan(s->lo)) {
            o->verdict = GD_AB_INCONCLUSIVE;
            snprintf(o->verdict_reason, sizeof o->verdict_reason, "fewer than 2 comparable windows");
        } else if (s->lo > 0) {
            o->verdict = GD_AB_HELPS;
            snprintf(o->verdict_reason, sizeof o->verdict_reason,
                     "removing it lowers Sharpe: %.0f%% interval [%.3f, %.3f] above 0", 95.0, s->lo, s->hi);
        } else if (s->hi < 0) {
            o->verdict = GD_AB_HURTS;
            snprintf(o->verdict_reason, sizeof o->verdict_reason,
                     "removing it raises Sharpe: %.0f%% interval [%.3f, %.3f] below 0", 95.0, s->lo, s->hi);
        } else {
            o->verdict = GD_AB_INCONCLUSIVE;
            snprintf(o->verdict_reason, sizeof o->verdict_reason,
                     "marginal Sharpe interval [%.3f, %.3f] contains 0", s->lo, s->hi);
        }
    }
    free(scratch);
}

/* ------------------------------------------------------------ entry */

int gd_ablate_run(const gd_ablate_opts *o, gd_ab_result *res, gd_err *err)
{
    ab_ctx c;
    gd_ablate_settings s;
    ab_cfg cfgs[2 + 2 * MAX_OVERLAYS];
    ab_pool pool;
    ab_progress pr;
    const gd_plugin_conf *strat = NULL;
    int rc;
    uint64_t t0 = uv_hrtime();

    memset(res, 0, sizeof *res);
    memset(&c, 0, sizeof c);
    memset(&pool, 0, sizeof pool);
    rc = gd_ablate_settings_parse(o->cfg, &s, err);
    if (rc)
        return rc;
    c.cfg = o->cfg;
    c.s = &s;
    c.plugin_dir = o->plugin_dir;
    res->schema = GD_ABLATE_SCHEMA;
    snprintf(res->git_describe, sizeof res->git_describe, "%s", GD_GIT_DESCRIBE);
    snprintf(res->config_path, sizeof res->config_path, "%s", o->config_path ? o->config_path : "");
    snprintf(res->objective, sizeof res->objective, "%s", objective_names[s.objective]);
    snprintf(res->mode, sizeof res->mode, "%s", s.anchored ? "anchored" : "rolling");
    res->train_ms = s.train_ms;
    res->test_ms = s.test_ms;
    res->step_ms = s.step_ms;
    res->periods_per_year = s.periods_per_year;
    res->bootstrap = s.bootstrap;
    res->seed = s.seed;
    res->equity = o->cfg->equity;
    res->jobs = o->jobs ? o->jobs : 1;

    rc = load_plugins(&c, res, &strat, err);
    if (rc)
        goto out;
    snprintf(res->strategy, sizeof res->strategy, "%s", c.strategy_label);
    rc = load_data(&c, res, err);
    if (rc)
        goto out;

    /* Warm-up: enough bars before each window for the slowest indicator. */
    if (s.warmup_ms >= 0) {
        c.warmup_ms = s.warmup_ms;
    } else {
        uint32_t bars = 0;
        int64_t interval = 0;
        for (size_t i = 0; i < c.plugins.n; i++)
            if (c.plugins.libs[i]->d.warmup_bars > bars)
                bars = c.plugins.libs[i]->d.warmup_bars;
        for (size_t i = 0; i < c.n_axes; i++)
            if (c.axes[i].is_int && c.axes[i].max > bars)
                bars = (uint32_t)c.axes[i].max;
        for (size_t i = 0; i < c.data.n_series; i++)
            if (c.data.series[i].interval_ms > interval)
                interval = c.data.series[i].interval_ms;
        c.warmup_ms = (int64_t)(bars + 1) * interval;
    }

    /* Windows. */
    int64_t first_close = c.data.tape.n ? c.data.close[0] : 0;
    size_t nw = gd_ablate_windows(first_close, res->data_end, &s, NULL, 0);
    if (nw == 0) {
        rc = gd_err_set(err, GD_EINVAL,
                        "windows longer than the data: train %.1f d + test %.1f d = %.1f d, but the data spans "
                        "%.1f d",
                        (double)s.train_ms / (double)GD_DAY_MS, (double)s.test_ms / (double)GD_DAY_MS,
                        (double)(s.train_ms + s.test_ms) / (double)GD_DAY_MS, (double)(res->data_end - first_close) / (double)GD_DAY_MS);
        goto out;
    }
    res->windows = calloc(nw, sizeof *res->windows);
    if (!res->windows)
        goto nomem;
    res->n_windows = gd_ablate_windows(first_close, res->data_end, &s, res->windows, nw);

    /* Configurations. */
    res->n_configs = build_configs(&c, cfgs);
    res->configs = calloc(res->n_configs, sizeof *res->configs);
    res->overlays = calloc(c.n_overlays ? c.n_overlays : 1, sizeof *res->overlays);
    res->n_overlays = c.n_overlays;
    if (!res->configs || !res->overlays)
        goto nomem;
    res->param_sets = c.n_sets;
    res->trials = (uint64_t)res->n_configs * c.n_sets;

    /* Tasks: in-sample searches first (when there is a choice), then the
     * out-of-sample runs with the chosen sets. */
    size_t n_is = c.n_sets > 1 ? res->n_configs * res->n_windows * c.n_sets : 0;
    size_t n_oos = res->n_configs * res->n_windows;
    pool.c = &c;
    pool.cfgs = cfgs;
    pool.wins = res->windows;
    pool.n_wins = res->n_windows;
    pool.n_tasks = n_is + n_oos;
    pool.tasks = calloc(pool.n_tasks, sizeof *pool.tasks);
    pool.score = calloc(n_is ? n_is : 1, sizeof *pool.score);
    pool.oos = calloc(n_oos, sizeof *pool.oos);
    pool.chosen = calloc(n_oos, sizeof *pool.chosen);
    if (!pool.tasks || !pool.score || !pool.oos || !pool.chosen)
        goto nomem;
    size_t t = 0;
    for (uint32_t ci = 0; ci < res->n_configs; ci++)
        for (uint32_t w = 0; w < res->n_windows; w++)
            for (uint64_t k = 0; n_is && k < c.n_sets; k++)
                pool.tasks[t++] = (ab_task){ci, w, k};
    for (uint32_t ci = 0; ci < res->n_configs; ci++)
        for (uint32_t w = 0; w < res->n_windows; w++)
            pool.tasks[t++] = (ab_task){ci, w, UINT64_MAX};

    memset(&pr, 0, sizeof pr);
    pr.pool = &pool;
    pr.total = pool.n_tasks;
    pr.tty = o->progress_tty;
    pr.out = o->progress;
    pr.t0 = t0;
    pr.last_decile = -1;
    atomic_store(&pool.done, 0);
    atomic_store(&pool.bars, 0);

    /* A configuration whose overlay failed to load fails in its runs and is
     * reported as failed; the others are unaffected. */
    rc = run_phase(&pool, &pr, 0, n_is, res->jobs, err);
    if (rc)
        goto out;
    for (uint32_t ci = 0; ci < res->n_configs; ci++)
        for (uint32_t w = 0; w < res->n_windows; w++) {
            uint64_t best = 0;
            double bs = -INFINITY;
            for (uint64_t k = 0; n_is && k < c.n_sets; k++) {
                double v = pool.score[((size_t)ci * res->n_windows + w) * c.n_sets + k];
                if (v > bs) { /* strict: ties keep the first set, deterministic */
                    bs = v;
                    best = k;
                }
            }
            pool.chosen[(size_t)ci * res->n_windows + w] = best;
        }
    rc = run_phase(&pool, &pr, n_is, pool.n_tasks, res->jobs, err);
    if (rc)
        goto out;
    progress_print(&pr, 1);
    res->runs = pool.n_tasks;
    res->bars_run = atomic_load(&pool.bars);

    /* Per configuration: windows, the chained curve, overall metrics. */
    /* The Deflated Sharpe needs the spread of Sharpe ratios measured on one
     * sample: the configurations' out-of-sample curves share theirs (the
     * in-sample windows are each too short and would inflate it). */
    double *trial_sr = malloc(res->n_configs * sizeof *trial_sr);
    size_t n_trial_sr = 0;
    if (!trial_sr)
        goto nomem;
    for (uint32_t ci = 0; ci < res->n_configs; ci++) {
        gd_ab_config *rc_ = &res->configs[ci];
        ab_run *runs = &pool.oos[(size_t)ci * res->n_windows];
        snprintf(rc_->name, sizeof rc_->name, "%s", cfgs[ci].name);
        rc_->overlays = calloc(c.n_overlays ? c.n_overlays : 1, sizeof *rc_->overlays);
        rc_->win = calloc(res->n_windows, sizeof *rc_->win);
        rc_->win_failed = calloc(res->n_windows, sizeof *rc_->win_failed);
        rc_->win_params = calloc(res->n_windows, sizeof *rc_->win_params);
        if (!rc_->overlays || !rc_->win || !rc_->win_failed || !rc_->win_params) {
            free(trial_sr);
            goto nomem;
        }
        for (size_t i = 0; i < c.n_overlays; i++)
            if (cfgs[ci].mask & (1u << i))
                rc_->overlays[rc_->n_overlays++] = strdup(c.overlay_names[i]);
        size_t ok = 0;
        for (size_t w = 0; w < res->n_windows; w++) {
            char buf[512] = "";
            double values[GD_AB_MAX_TUNE];
            size_t len = 0;
            gd_ablate_grid_point(c.axes, c.n_axes, pool.chosen[(size_t)ci * res->n_windows + w], values);
            for (size_t a = 0; a < c.n_axes; a++)
                len += (size_t)snprintf(buf + len, len < sizeof buf ? sizeof buf - len : 0, "%s%s=%g",
                                        a ? " " : "", c.axes[a].param, values[a]);
            rc_->win_params[w] = strdup(buf);
            rc_->win_failed[w] = runs[w].failed;
            if (!runs[w].failed) {
                rc_->win[w] = runs[w].m;
                ok++;
            } else {
                for (int m = 0; m < GD_M__COUNT; m++) {
                    rc_->win[w].v[m] = NAN;
                    rc_->win[w].na[m] = "window failed";
                }
                if (!cfgs[ci].failed && !rc_->fail_reason[0])
                    snprintf(rc_->fail_reason, sizeof rc_->fail_reason, "window %zu: %.200s", w, runs[w].error);
            }
        }
        if (cfgs[ci].failed || ok == 0) {
            rc_->failed = 1;
            if (cfgs[ci].failed)
                snprintf(rc_->fail_reason, sizeof rc_->fail_reason, "%s", cfgs[ci].reason);
        }
        gd_trade_stats ts;
        if (concat_curve(runs, res->n_windows, res->equity, rc_, &ts) != 0) {
            free(trial_sr);
            goto nomem;
        }
        gd_metrics_compute(rc_->curve_t, rc_->curve_eq, rc_->curve_n, &ts, s.periods_per_year, &rc_->overall);
        if (rc_->failed)
            for (int m = 0; m < GD_M__COUNT; m++) {
                rc_->overall.v[m] = NAN;
                rc_->overall.na[m] = "configuration failed";
            }
        if (!rc_->failed && isfinite(rc_->overall.sr_period))
            trial_sr[n_trial_sr++] = rc_->overall.sr_period;
    }
    /* Deflated Sharpe: how likely the best is skill, given every trial. */
    double sr_var = n_trial_sr >= 2 ? pow(gd_stddev(trial_sr, n_trial_sr), 2) : NAN;
    free(trial_sr);
    for (uint32_t ci = 0; ci < res->n_configs; ci++) {
        gd_ab_config *rc_ = &res->configs[ci];
        const gd_metrics *m = &rc_->overall;
        rc_->dsr = NAN;
        if (rc_->failed)
            rc_->dsr_na = "configuration failed";
        else if (!isfinite(m->sr_period))
            rc_->dsr_na = "no Sharpe ratio";
        else if (!isfinite(sr_var))
            rc_->dsr_na = "fewer than 2 trials with a Sharpe ratio";
        else {
            rc_->dsr = gd_deflated_sharpe(m->sr_period, sr_var, (double)res->trials, (double)m->n_returns,
                                          m->skew, m->kurt);
            if (isnan(rc_->dsr))
                rc_->dsr_na = "undefined for these returns";
        }
    }
    verdicts(res, cfgs, &c);
    res->seconds = (double)(uv_hrtime() - t0) / 1e9;
    rc = 0;
    goto out;
nomem:
    rc = gd_err_set(err, GD_ENOMEM, "out of memory");
out:
    if (pool.oos)
        for (size_t i = 0; i < res->n_configs * res->n_windows; i++)
            run_free(&pool.oos[i]);
    free(pool.oos);
    free(pool.tasks);
    free(pool.score);
    free(pool.chosen);
    data_free(&c.data);
    gd_plugin_set_free(&c.plugins);
    if (rc)
        gd_ab_result_free(res);
    return rc;
}

void gd_ab_result_free(gd_ab_result *r)
{
    for (size_t i = 0; i < r->n_symbols; i++)
        free(r->symbols[i]);
    free(r->symbols);
    free(r->plugins);
    free(r->windows);
    for (size_t i = 0; r->configs && i < r->n_configs; i++) {
        gd_ab_config *c = &r->configs[i];
        for (size_t k = 0; k < c->n_overlays; k++)
            free(c->overlays[k]);
        free(c->overlays);
        free(c->win);
        free(c->win_failed);
        for (size_t w = 0; c->win_params && w < r->n_windows; w++)
            free(c->win_params[w]);
        free(c->win_params);
        free(c->curve_t);
        free(c->curve_eq);
    }
    free(r->configs);
    free(r->overlays);
    memset(r, 0, sizeof *r);
}
