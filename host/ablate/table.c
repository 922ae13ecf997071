/* The ablation's table on the terminal: configurations ranked, overlay
 * effects and verdicts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ablate/ablate_int.h"
#include "base/dates.h"

static void cell(FILE *out, int metric, double v, int width)
{
    char buf[64];
    gd_ab_format_metric(metric, v, buf, sizeof buf);
    fprintf(out, " %*s", width, buf);
}

/* The columns and their widths; headings from the metric table. */
static const struct {
    int m;
    int w;
} g_cols[] = {{GD_M_TRADES, 7}, {GD_M_WIN_RATE, 7}, {GD_M_PROFIT_FACTOR, 6}, {GD_M_NET_PNL, 12}, {GD_M_CAGR, 8},
              {GD_M_MAX_DD, 8}, {GD_M_SHARPE, 7},   {GD_M_SORTINO, 8},       {GD_M_EXPOSURE, 7}};
#define N_COLS (sizeof g_cols / sizeof g_cols[0])

/* The configurations in ranking order (gd_ab_rank). */
static void print_configs(const gd_ab_result *r, const size_t *order, FILE *out)
{
    fprintf(out, "walk-forward ablation of %s: %zu windows (%s, train %.0fd, test %.0fd, step %.0fd), "
                 "objective %s, %llu parameter set(s) per window\n",
            r->strategy, r->n_windows, r->mode, (double)r->train_ms / (double)GD_DAY_MS, (double)r->test_ms / (double)GD_DAY_MS,
            (double)r->step_ms / (double)GD_DAY_MS, r->objective, (unsigned long long)r->param_sets);
    fprintf(out, "%-22s", "configuration");
    for (size_t c = 0; c < N_COLS; c++)
        fprintf(out, " %*s", g_cols[c].w, gd_metric_abbr(g_cols[c].m));
    fprintf(out, " %6s\n", "DSR");
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[order[i]];
        fprintf(out, "%-22.22s", c->name);
        if (c->failed) {
            fprintf(out, " FAILED: %s\n", c->fail_reason);
            continue;
        }
        for (size_t k = 0; k < N_COLS; k++)
            cell(out, g_cols[k].m, c->overall.v[g_cols[k].m], g_cols[k].w);
        if (isnan(c->dsr))
            fprintf(out, " %6s\n", "n/a");
        else
            fprintf(out, " %6.2f\n", c->dsr);
    }
}

/* "+0.403 [-0.304, +1.102]", or "n/a" without an interval. */
static void effect_text(const gd_ab_effect *e, char *buf, size_t cap)
{
    if (isnan(e->lo))
        snprintf(buf, cap, "n/a");
    else
        snprintf(buf, cap, "%+.3f [%+.3f, %+.3f]", e->mean, e->lo, e->hi);
}

/* Each overlay's Sharpe effects (gd_ab_effect_metrics[0]) and verdict. */
static void print_effects(const gd_ab_result *r, FILE *out)
{
    if (!r->n_overlays)
        return;
    fprintf(out, "\noverlay effects (paired across windows, mean [%g%% bootstrap interval]):\n",
            100.0 * (1.0 - r->alpha));
    fprintf(out, "%-16s %-34s %-34s %s\n", "overlay", "Sharpe alone vs baseline", "Sharpe all vs all-but-it",
            "verdict");
    for (size_t i = 0; i < r->n_overlays; i++) {
        const gd_ab_overlay *o = &r->overlays[i];
        char a[64], m[64];
        effect_text(&o->alone[0], a, sizeof a);
        effect_text(&o->marginal[0], m, sizeof m);
        fprintf(out, "%-16.16s %-34s %-34s %s (%s)\n", o->name, a, m, gd_ab_verdict_name(o->verdict),
                o->verdict_reason);
    }
}

int gd_ab_write_table(const gd_ab_result *r, FILE *out, gd_err *err)
{
    size_t *order = malloc((r->n_configs ? r->n_configs : 1) * sizeof *order);
    if (!order)
        return gd_err_set(err, GD_ENOMEM, "table: out of memory");
    gd_ab_rank(r, order);
    print_configs(r, order, out);
    print_effects(r, out);
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[order[i]];
        if (!c->failed && isnan(c->overall.v[GD_M_SHARPE]) && c->overall.na[GD_M_SHARPE])
            fprintf(out, "note: %s: Sharpe n/a (%s)\n", c->name, c->overall.na[GD_M_SHARPE]);
    }
    free(order);
    if (fflush(out) != 0 || ferror(out))
        return gd_err_set(err, GD_EIO, "table: writing the table failed");
    return 0;
}
