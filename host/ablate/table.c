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

void gd_ab_print_table(const gd_ab_result *r, FILE *out)
{
    /* The columns and their widths; headings from the metric table. */
    static const struct {
        int m;
        int w;
    } cols[] = {{GD_M_TRADES, 7}, {GD_M_WIN_RATE, 7}, {GD_M_PROFIT_FACTOR, 6}, {GD_M_NET_PNL, 12}, {GD_M_CAGR, 8},
                {GD_M_MAX_DD, 8}, {GD_M_SHARPE, 7},   {GD_M_SORTINO, 8},       {GD_M_EXPOSURE, 7}};
    size_t *order = malloc((r->n_configs ? r->n_configs : 1) * sizeof *order);
    if (!order)
        return;
    gd_ab_rank(r, order);
    fprintf(out, "walk-forward ablation of %s: %zu windows (%s, train %.0fd, test %.0fd, step %.0fd), "
                 "objective %s, %llu parameter set(s) per window\n",
            r->strategy, r->n_windows, r->mode, (double)r->train_ms / (double)GD_DAY_MS, (double)r->test_ms / (double)GD_DAY_MS,
            (double)r->step_ms / (double)GD_DAY_MS, r->objective, (unsigned long long)r->param_sets);
    fprintf(out, "%-22s", "configuration");
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
        fprintf(out, " %*s", cols[c].w, gd_metric_abbr(cols[c].m));
    fprintf(out, " %6s\n", "DSR");
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[order[i]];
        fprintf(out, "%-22.22s", c->name);
        if (c->failed) {
            fprintf(out, " FAILED: %s\n", c->fail_reason);
            continue;
        }
        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
            cell(out, cols[k].m, c->overall.v[cols[k].m], cols[k].w);
        if (isnan(c->dsr))
            fprintf(out, " %6s\n", "n/a");
        else
            fprintf(out, " %6.2f\n", c->dsr);
    }
    if (r->n_overlays) {
        fprintf(out, "\noverlay effects (paired across windows, mean [95%% bootstrap interval]):\n");
        fprintf(out, "%-16s %-34s %-34s %s\n", "overlay", "Sharpe alone vs baseline", "Sharpe all vs all-but-it",
                "verdict");
        for (size_t i = 0; i < r->n_overlays; i++) {
            const gd_ab_overlay *o = &r->overlays[i];
            char a[64], m[64];
            if (isnan(o->alone[0].lo))
                snprintf(a, sizeof a, "n/a");
            else
                snprintf(a, sizeof a, "%+.3f [%+.3f, %+.3f]", o->alone[0].mean, o->alone[0].lo, o->alone[0].hi);
            if (isnan(o->marginal[0].lo))
                snprintf(m, sizeof m, "n/a");
            else
                snprintf(m, sizeof m, "%+.3f [%+.3f, %+.3f]", o->marginal[0].mean, o->marginal[0].lo,
                         o->marginal[0].hi);
            fprintf(out, "%-16.16s %-34s %-34s %s (%s)\n", o->name, a, m, gd_ab_verdict_name(o->verdict),
                    o->verdict_reason);
        }
    }
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[order[i]];
        if (!c->failed && isnan(c->overall.v[GD_M_SHARPE]) && c->overall.na[GD_M_SHARPE])
            fprintf(out, "note: %s: Sharpe n/a (%s)\n", c->name, c->overall.na[GD_M_SHARPE]);
    }
    free(order);
}
