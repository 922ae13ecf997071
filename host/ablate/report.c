/* report.html: a walk-forward ablation result as one self-contained HTML5 page
 * (inline CSS and inline SVG; no script, no font, no image, no link), for a
 * trader to read offline. Every number goes through a fixed printf format and
 * nothing time- or machine-dependent (wall time, job count) is printed, so one
 * result always renders to the same bytes. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate_int.h"
#include "risk/pipeline.h"

#ifndef GD_VERSION
#define GD_VERSION "unknown"
#endif

/* -------------------------------------------------------------- notes --- */

/* Footnotes for n/a cells: distinct reasons, numbered by first use. */
#define MAX_NOTES 32
typedef struct notes {
    const char *txt[MAX_NOTES];
    size_t n;
} notes;

static int note_id(notes *ns, const char *reason)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->txt[i], reason) == 0)
            return (int)i + 1;
    if (ns->n == MAX_NOTES)
        return 0;
    ns->txt[ns->n++] = reason;
    return (int)ns->n;
}

static void put_na(FILE *f, notes *ns, const char *reason)
{
    if (!reason || !*reason)
        reason = "not computable";
    int id = note_id(ns, reason);
    fputs("<span class=\"na\" title=\"", f);
    gd_ab_esc(f, reason);
    fputs("\">n/a", f);
    if (id)
        fprintf(f, "<sup>%d</sup>", id);
    fputs("</span>", f);
}

static void put_notes(FILE *f, const notes *ns)
{
    if (!ns->n)
        return;
    fputs("<p class=\"notes\">", f);
    for (size_t i = 0; i < ns->n; i++) {
        fprintf(f, "%s<sup>%zu</sup>&nbsp;", i ? " &middot; " : "", i + 1);
        gd_ab_esc(f, ns->txt[i]);
    }
    fputs("</p>\n", f);
}

/* ----------------------------------------------------------- ranking --- */

/* The ranking's columns, in order; the metric table (stats.c) gives their
 * headings, tooltips, units and directions. nowrap: a short heading whose
 * words stay on one line. */
static const struct {
    int metric;
    int nowrap;
} g_cols[] = {
    {GD_M_TRADES, 0},  {GD_M_WIN_RATE, 0},    {GD_M_PROFIT_FACTOR, 0}, {GD_M_NET_PNL, 1},
    {GD_M_CAGR, 0},    {GD_M_MAX_DD, 1},      {GD_M_MAX_DD_DAYS, 1},   {GD_M_SHARPE, 0},
    {GD_M_SORTINO, 0}, {GD_M_EXPOSURE, 0},    {GD_M_AVG_R, 1},         {GD_M_FEES, 0},
};
#define N_COLS (sizeof g_cols / sizeof g_cols[0])

static void put_overlays(FILE *f, const gd_ab_config *c)
{
    if (!c->n_overlays || !c->overlays) {
        fputs("<span class=\"muted\">none</span>", f);
        return;
    }
    for (size_t k = 0; k < c->n_overlays; k++) {
        if (k)
            fputs(", ", f);
        gd_ab_esc(f, c->overlays[k]);
    }
}

static void put_heading(FILE *f, const char *s, int nowrap)
{
    for (; *s; s++) {
        if (*s == ' ' && nowrap)
            fputs("&nbsp;", f);
        else
            gd_ab_esc_n(f, s, 1);
    }
}

/* A negative value where larger is better (a loss, a negative Sharpe) is red. */
static int neg_red(int m, double v)
{
    return gd_metric_direction(m) > 0 && v < 0;
}

/* The ranking's header row: headings, what each measures as a tooltip. */
static void ranking_head(FILE *f)
{
    fputs("<div class=\"tw\"><table class=\"rank\">\n<thead><tr><th>#</th><th class=\"l\">Configuration"
          "</th><th class=\"l\">Overlays</th>",
          f);
    for (size_t k = 0; k < N_COLS; k++) {
        int m = g_cols[k].metric;
        fputs("<th title=\"", f);
        gd_ab_esc(f, gd_metric_help(m));
        fprintf(f, "\"%s>", m == GD_M_SHARPE ? " class=\"sorted\"" : "");
        put_heading(f, gd_metric_head(m), g_cols[k].nowrap);
        fprintf(f, "%s</th>", m == GD_M_SHARPE ? "&nbsp;&#9662;" : "");
    }
    fputs("<th title=\"Deflated Sharpe Ratio\">DSR</th></tr></thead>\n<tbody>\n", f);
}

/* Configuration ci's row of the ranking; rank is unused for a failed one. */
static void ranking_row(FILE *f, notes *ns, const gd_ab_config *c, size_t ci, size_t rank)
{
    char b[128];
    if (c->failed)
        fputs("<tr class=\"failed\"><td class=\"rk\">&ndash;</td>", f);
    else
        fprintf(f, "<tr><td class=\"rk\">%zu</td>", rank);
    fputs("<td class=\"l name\">", f);
    gd_ab_svg_swatch(f, ci);
    GD_AB_ESC_ARR(f, c->name);
    fputs("</td><td class=\"l ovl\">", f);
    put_overlays(f, c);
    fputs("</td>", f);
    if (c->failed) {
        fprintf(f, "<td class=\"l fail\" colspan=\"%zu\">failed: ", N_COLS + 1);
        if (c->fail_reason[0])
            GD_AB_ESC_ARR(f, c->fail_reason);
        else
            fputs("no reason given", f);
        fputs("</td></tr>\n", f);
        return;
    }
    for (size_t k = 0; k < N_COLS; k++) {
        int m = g_cols[k].metric;
        double v = c->overall.v[m];
        if (isnan(v)) {
            fputs("<td>", f);
            put_na(f, ns, c->overall.na[m]);
            fputs("</td>", f);
            continue;
        }
        gd_ab_format_metric(m, v, b, sizeof b);
        fprintf(f, "<td%s>%s</td>",
                m == GD_M_SHARPE ? (neg_red(m, v) ? " class=\"neg sorted\"" : " class=\"sorted\"")
                                 : (neg_red(m, v) ? " class=\"neg\"" : ""),
                b);
    }
    if (isnan(c->dsr)) {
        fputs("<td>", f);
        put_na(f, ns, c->dsr_na);
        fputs("</td>", f);
    } else {
        gd_ab_fmt_num(b, sizeof b, c->dsr, 3, 0, 0);
        fprintf(f, "<td%s>%s</td>", c->dsr >= 0.95 ? " class=\"pos\"" : "", b);
    }
    fputs("</tr>\n", f);
}

/* The configurations in the one ranking (gd_ab_rank). */
static int write_ranking(const gd_ab_result *r, FILE *f, gd_err *err)
{
    notes ns = {{0}, 0};
    size_t *idx = NULL, rank = 0;
    char b[128];

    fputs("<section id=\"ranking\">\n<h2>Configurations</h2>\n<p class=\"hint\">Ranked by Sharpe of "
          "the concatenated out-of-sample equity curve; failed configurations last. DSR: Deflated "
          "Sharpe Ratio, the probability that the true Sharpe beats the best of ",
          f);
    gd_ab_fmt_u64(b, sizeof b, r->trials);
    fprintf(f, "%s unskilled trials.</p>\n", b);

    if (r->n_configs && r->configs) {
        idx = malloc(r->n_configs * sizeof *idx);
        if (!idx)
            return gd_err_set(err, GD_ENOMEM, "report: out of memory");
        gd_ab_rank(r, idx);
    }
    ranking_head(f);
    for (size_t n = 0; idx && n < r->n_configs; n++) {
        const gd_ab_config *c = &r->configs[idx[n]];
        ranking_row(f, &ns, c, idx[n], c->failed ? 0 : ++rank);
    }
    if (!r->n_configs || !r->configs)
        fprintf(f, "<tr><td class=\"l muted\" colspan=\"%zu\">no configurations</td></tr>\n", N_COLS + 4);
    fputs("</tbody></table></div>\n", f);
    put_notes(f, &ns);
    fputs("</section>\n", f);
    free(idx);
    return 0;
}

/* ----------------------------------------------------------- verdicts --- */

static void put_effect(FILE *f, notes *ns, const gd_ab_effect *e, int m)
{
    char mean[48], lo[48], hi[48];
    int u = gd_metric_unit(m);
    int dec = u == GD_MU_COUNT ? 1 : 2;
    int sep = u == GD_MU_MONEY;
    const char *unit = u == GD_MU_PCT ? "&nbsp;pp" : ""; /* a difference of percentages */

    if (isnan(e->mean)) {
        fputs("<td>", f);
        put_na(f, ns, e->n < 2 ? "fewer than 2 paired windows" : "difference not computable");
        fprintf(f, " <span class=\"cnt\">(n=%zu)</span></td>", e->n);
        return;
    }
    const char *cls = "";
    if (isfinite(e->lo) && isfinite(e->hi) && (e->lo > 0 || e->hi < 0)) {
        int dir = gd_metric_direction(m) * (e->lo > 0 ? 1 : -1);
        cls = dir > 0 ? " class=\"good\"" : dir < 0 ? " class=\"bad\"" : " class=\"sig\"";
    }
    gd_ab_fmt_num(mean, sizeof mean, e->mean, dec, sep, 1);
    gd_ab_fmt_num(lo, sizeof lo, e->lo, dec, sep, 1);
    gd_ab_fmt_num(hi, sizeof hi, e->hi, dec, sep, 1);
    fprintf(f, "<td%s><b>%s%s</b> <span class=\"ci\">[%s, %s]</span> <span class=\"cnt\">(n=%zu)</span></td>",
            cls, mean, unit, lo, hi, e->n);
}

static void write_verdicts(const gd_ab_result *r, FILE *f)
{
    notes ns = {{0}, 0};
    char b[32];

    fputs("<section id=\"overlays\">\n<h2>Overlay verdicts</h2>\n<p class=\"hint\">Paired differences "
          "per window, out of sample: mean [bootstrap interval] (n = paired windows; ",
          f);
    gd_ab_fmt_u64(b, sizeof b, r->bootstrap);
    fprintf(f, "%s resamples). <i>Alone</i>: +overlay minus baseline. <i>Marginal</i>: all overlays "
               "minus all but this one. pp: percentage points. Green or red: the interval excludes "
               "zero in the better or worse direction. The verdict follows the marginal Sharpe "
               "interval.</p>\n",
            b);
    if (!r->n_overlays || !r->overlays) {
        fputs("<p class=\"muted\">No overlays were ablated.</p>\n</section>\n", f);
        return;
    }
    fputs("<div class=\"tw\"><table class=\"verdict\">\n<thead><tr><th class=\"l\">Overlay</th><th "
          "class=\"l\">Metric</th><th>Alone vs baseline</th><th>All vs all-but-it</th><th "
          "class=\"l\">Verdict</th></tr></thead>\n",
          f);
    for (size_t i = 0; i < r->n_overlays; i++) {
        const gd_ab_overlay *o = &r->overlays[i];
        const char *v = gd_ab_verdict_name(o->verdict);
        fputs("<tbody class=\"grp\">", f);
        for (int k = 0; k < GD_AB_N_EFFECT_METRICS; k++) {
            int m = gd_ab_effect_metrics[k];
            fputs("<tr>", f);
            if (k == 0) {
                fprintf(f, "<td class=\"l name\" rowspan=\"%d\">", GD_AB_N_EFFECT_METRICS);
                GD_AB_ESC_ARR(f, o->name);
                fputs("</td>", f);
            }
            fputs("<td class=\"l muted\">", f);
            gd_ab_esc(f, gd_metric_head(m));
            fputs("</td>", f);
            put_effect(f, &ns, &o->alone[k], m);
            put_effect(f, &ns, &o->marginal[k], m);
            if (k == 0) {
                fprintf(f, "<td class=\"l vd\" rowspan=\"%d\"><span class=\"badge %s\">%s</span><div "
                           "class=\"why\">",
                        GD_AB_N_EFFECT_METRICS, v, v);
                GD_AB_ESC_ARR(f, o->verdict_reason);
                fputs("</div></td>", f);
            }
            fputs("</tr>\n", f);
        }
        fputs("</tbody>\n", f);
    }
    fputs("</table></div>\n", f);
    put_notes(f, &ns);
    fputs("</section>\n", f);
}

/* ------------------------------------------------------ window table --- */

/* Configuration c's net PnL in window w; its chosen parameters and a few
 * more metrics as the tooltip. best: the row's best, in bold. */
static void window_cell(FILE *f, notes *ns, const gd_ab_config *c, size_t w, double best)
{
    char b[64];
    const char *params = c->win_params && c->win_params[w] && c->win_params[w][0] ? c->win_params[w] : NULL;
    double v = gd_ab_win_metric(c, w, GD_M_NET_PNL);
    fputs("<td class=\"tip", f);
    if (isfinite(v) && v < 0)
        fputs(" neg", f);
    if (isfinite(v) && v == best)
        fputs(" best", f);
    fputs("\" title=\"", f);
    if (params) {
        fputs("params: ", f);
        gd_ab_esc(f, params);
    } else {
        fputs("params: (none)", f);
    }
    if (c->win && !(c->win_failed && c->win_failed[w])) {
        gd_ab_format_metric(GD_M_SHARPE, c->win[w].v[GD_M_SHARPE], b, sizeof b);
        fprintf(f, "&#10;Sharpe %s", b);
        gd_ab_format_metric(GD_M_TRADES, c->win[w].v[GD_M_TRADES], b, sizeof b);
        fprintf(f, ", trades %s", b);
        gd_ab_format_metric(GD_M_MAX_DD, c->win[w].v[GD_M_MAX_DD], b, sizeof b);
        fprintf(f, ", max DD %s", b);
    }
    fputs("\">", f);
    if (c->win_failed && c->win_failed[w]) {
        fputs("<span class=\"fail\">failed</span>", f);
    } else if (isnan(v)) {
        put_na(f, ns, gd_ab_win_na(c, w, GD_M_NET_PNL));
    } else {
        gd_ab_format_metric(GD_M_NET_PNL, v, b, sizeof b);
        fputs(b, f);
    }
    fputs("</td>", f);
}

static void write_window_table(const gd_ab_result *r, FILE *f)
{
    size_t nw = r->windows ? r->n_windows : 0, nfail = 0;
    notes ns = {{0}, 0};
    char d0[16], d1[16];

    fputs("<section id=\"windows\">\n<h2>Net PnL per window</h2>\n<p class=\"hint\">Out-of-sample net "
          "PnL of each configuration in each window; the best of a row in bold. Hover a cell for the "
          "parameters chosen in sample. Windows are [start, end).</p>\n",
          f);
    if (!nw) {
        fputs("<p class=\"muted\">No windows.</p>\n</section>\n", f);
        return;
    }
    fputs("<div class=\"tw\"><table class=\"win\">\n<thead><tr><th>#</th><th class=\"l\">Test window"
          "<br><span class=\"trn\">train window</span></th>",
          f);
    for (size_t i = 0; i < r->n_configs; i++) {
        if (r->configs[i].failed) {
            nfail++;
            continue;
        }
        fputs("<th>", f);
        gd_ab_svg_swatch(f, i);
        GD_AB_ESC_ARR(f, r->configs[i].name);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t w = 0; w < nw; w++) {
        const gd_ab_window *win = &r->windows[w];
        double best = -INFINITY;
        for (size_t i = 0; i < r->n_configs; i++) {
            double v = r->configs[i].failed ? NAN : gd_ab_win_metric(&r->configs[i], w, GD_M_NET_PNL);
            if (isfinite(v) && v > best)
                best = v;
        }
        gd_ab_fmt_date(d0, sizeof d0, win->test_start);
        gd_ab_fmt_date(d1, sizeof d1, win->test_end);
        fprintf(f, "<tr><td class=\"rk\">%zu</td><td class=\"l dt\">%s &rarr; %s", w + 1, d0, d1);
        gd_ab_fmt_date(d0, sizeof d0, win->train_start);
        gd_ab_fmt_date(d1, sizeof d1, win->train_end);
        fprintf(f, "<br><span class=\"trn\">%s &rarr; %s</span></td>", d0, d1);
        for (size_t i = 0; i < r->n_configs; i++)
            if (!r->configs[i].failed)
                window_cell(f, &ns, &r->configs[i], w, best);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
    put_notes(f, &ns);
    if (nfail) {
        fputs("<p class=\"hint\">Failed configurations omitted: ", f);
        size_t k = 0;
        for (size_t i = 0; i < r->n_configs; i++)
            if (r->configs[i].failed) {
                if (k++)
                    fputs(", ", f);
                GD_AB_ESC_ARR(f, r->configs[i].name);
            }
        fputs(".</p>\n", f);
    }
    fputs("</section>\n", f);
}

/* ---------------------------------------------------------- by symbol --- */

/* One symbol's contribution: net PnL, and its round trips beneath. */
static void symbol_cell(FILE *f, const gd_ab_symbol *y)
{
    char b[64], t[40];
    gd_ab_fmt_num(b, sizeof b, y->net_pnl, 2, 1, 1);
    gd_ab_fmt_u64(t, sizeof t, y->trades);
    fprintf(f, "<td%s>%s<br><span class=\"trn\">%s trade%s", y->net_pnl < 0 ? " class=\"neg\"" : "", b, t,
            y->trades == 1 ? "" : "s");
    if (y->trades) {
        gd_ab_fmt_num(b, sizeof b, 100.0 * (double)y->wins / (double)y->trades, 1, 0, 0);
        fprintf(f, ", %s%% won", b);
    }
    fputs("</span></td>", f);
}

/* Each symbol's share of each configuration's out-of-sample net PnL, in
 * the ranking's order: where a portfolio's result comes from. */
static int write_by_symbol(const gd_ab_result *r, FILE *f, gd_err *err)
{
    size_t *idx = NULL;
    if (!r->n_configs || !r->configs || !r->n_symbols)
        return 0;
    fputs("<section id=\"symbols\">\n<h2>Contribution by symbol</h2>\n<p class=\"hint\">Out-of-sample net "
          "PnL of each symbol (realised net of fees, plus what was open at each window's end, at its last "
          "close), summed over the windows as the chained curve compounds them, so a row's symbols sum to "
          "the configuration's net PnL; round trips and the share won beneath.</p>\n<div class=\"tw\"><table class=\"sym\">\n<thead><tr><th class=\"l\">Configuration</th>",
          f);
    for (size_t k = 0; k < r->n_symbols; k++) {
        fputs("<th>", f);
        gd_ab_esc(f, r->symbols[k]);
        fputs("</th>", f);
    }
    fputs("<th>Total</th><th class=\"l\" title=\"The host's decisions on the configuration's signals: where the "
          "caps and breakers bit\">Pipeline</th></tr></thead>\n<tbody>\n",
          f);
    idx = malloc(r->n_configs * sizeof *idx);
    if (!idx)
        return gd_err_set(err, GD_ENOMEM, "report: out of memory");
    gd_ab_rank(r, idx);
    for (size_t n = 0; n < r->n_configs; n++) {
        const gd_ab_config *c = &r->configs[idx[n]];
        gd_ab_symbol tot = {0, 0, 0.0, 0.0};
        if (c->failed || !c->by_symbol)
            continue;
        fputs("<tr><td class=\"l name\">", f);
        gd_ab_svg_swatch(f, idx[n]);
        GD_AB_ESC_ARR(f, c->name);
        fputs("</td>", f);
        for (size_t k = 0; k < r->n_symbols; k++) {
            symbol_cell(f, &c->by_symbol[k]);
            tot.trades += c->by_symbol[k].trades;
            tot.wins += c->by_symbol[k].wins;
            tot.net_pnl += c->by_symbol[k].net_pnl;
        }
        symbol_cell(f, &tot);
        char why[400];
        gd_reject_explain(why, sizeof why, c->signals, c->by_result, 4);
        fputs("<td class=\"l path\">", f);
        gd_ab_esc(f, why);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n</section>\n", f);
    free(idx);
    return 0;
}

/* ------------------------------------------------------ header/footer --- */

/* Opens one key/value tile of the header grid; wide tiles span two columns. */
static void meta(FILE *f, const char *key, int wide)
{
    fprintf(f, "<div%s><dt>%s</dt><dd>", wide ? " class=\"wide\"" : "", key);
}

static void meta_end(FILE *f)
{
    fputs("</dd></div>\n", f);
}

static void meta_u64(FILE *f, const char *key, uint64_t v)
{
    char b[40];
    gd_ab_fmt_u64(b, sizeof b, v);
    meta(f, key, 0);
    fputs(b, f);
    meta_end(f);
}

static void write_header(const gd_ab_result *r, FILE *f)
{
    char a[64], b[64];

    fputs("<header>\n<div class=\"kicker\">gordon " GD_VERSION " &middot; walk-forward ablation report</div>\n"
          "<h1>Walk-forward ablation: ",
          f);
    GD_AB_ESC_ARR(f, r->strategy);
    fputs("</h1>\n<p class=\"sub\">git <code>", f);
    GD_AB_ESC_ARR(f, r->git_describe);
    fputs("</code> &middot; config <code>", f);
    GD_AB_ESC_ARR(f, r->config_path);
    fputs("</code></p>\n<dl class=\"meta\">\n", f);

    meta(f, "Symbols", 1);
    if (!r->n_symbols || !r->symbols)
        fputs("<span class=\"muted\">none</span>", f);
    for (size_t i = 0; r->symbols && i < r->n_symbols; i++) {
        if (i)
            fputs(", ", f);
        gd_ab_esc(f, r->symbols[i]);
    }
    meta_end(f);
    meta(f, "Data (UTC)", 1);
    gd_ab_fmt_date(a, sizeof a, r->data_start);
    gd_ab_fmt_date(b, sizeof b, r->data_end);
    fprintf(f, "%s &rarr; %s", a, b);
    gd_ab_fmt_u64(a, sizeof a, r->data_bars);
    fprintf(f, " <span class=\"muted\">&middot; %s bars</span>", a);
    meta_end(f);
    meta(f, "Windows", 0);
    fprintf(f, "%zu", r->n_windows);
    meta_end(f);
    meta(f, "Mode", 0);
    GD_AB_ESC_ARR(f, r->mode);
    meta_end(f);

    meta(f, "Train / test / step", 1);
    gd_ab_fmt_days(a, sizeof a, r->train_ms);
    fprintf(f, "%s / ", a);
    gd_ab_fmt_days(a, sizeof a, r->test_ms);
    fprintf(f, "%s / ", a);
    gd_ab_fmt_days(a, sizeof a, r->step_ms);
    fprintf(f, "%s", a);
    meta_end(f);
    meta(f, "Objective (in sample)", 0);
    GD_AB_ESC_ARR(f, r->objective);
    meta_end(f);
    meta_u64(f, "Param sets / window", r->param_sets);
    meta_u64(f, "Trials (DSR)", r->trials);
    meta_u64(f, "Engine runs", r->runs);

    meta(f, "Starting equity", 0);
    gd_ab_fmt_num(a, sizeof a, r->equity, 2, 1, 0);
    fputs(a, f);
    meta_end(f);
    meta(f, "Periods / year", 0);
    gd_ab_fmt_num(b, sizeof b, r->periods_per_year, fabs(r->periods_per_year - round(r->periods_per_year)) < 1e-9 ? 0 : 2,
            0, 0);
    fputs(b, f);
    meta_end(f);
    meta_u64(f, "Bootstrap resamples", r->bootstrap);
    meta(f, "Seed", 0);
    fprintf(f, "%" PRIu64, r->seed);
    meta_end(f);
    fputs("</dl>\n</header>\n", f);
}

static void write_footer(const gd_ab_result *r, FILE *f)
{
    fputs("<footer>\n<h2>Plugins</h2>\n", f);
    if (!r->n_plugins || !r->plugins) {
        fputs("<p class=\"muted\">No plugins recorded.</p>\n", f);
    } else {
        fputs("<div class=\"tw\"><table class=\"plugins\">\n<thead><tr><th class=\"l\">Instance</th><th "
              "class=\"l\">Plugin</th><th class=\"l\">Version</th><th class=\"l\">SHA-256</th><th "
              "class=\"l\">Path</th></tr></thead>\n<tbody>\n",
              f);
        for (size_t i = 0; i < r->n_plugins; i++) {
            const gd_ab_plugin *p = &r->plugins[i];
            fputs("<tr><td class=\"l\">", f);
            GD_AB_ESC_ARR(f, p->instance);
            fputs("</td><td class=\"l\">", f);
            GD_AB_ESC_ARR(f, p->plugin);
            fputs("</td><td class=\"l\">", f);
            GD_AB_ESC_ARR(f, p->version);
            fputs("</td><td class=\"l\"><code title=\"", f);
            GD_AB_ESC_ARR(f, p->sha256);
            fputs("\">", f);
            gd_ab_esc_n(f, p->sha256, 12);
            fputs("</code></td><td class=\"l path\">", f);
            GD_AB_ESC_ARR(f, p->path);
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody></table></div>\n", f);
    }
    fprintf(f, "<p class=\"fine\">Report schema %d. All figures are out of sample unless stated; parameters "
               "were chosen in sample per window. Generated offline by gordon " GD_VERSION ".</p>\n",
            r->schema);
    fputs("</footer>\n", f);
}

static const char g_css[] =
    ":root{--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--soft:#eef1f4;--bg:#f5f7f9;--card:#fff;"
    "--green:#1a7f37;--red:#cf222e}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,\"Noto Sans\",sans-serif;-webkit-text-size-adjust:100%}\n"
    "main{max-width:1100px;margin:0 auto;padding:28px 20px 48px}\n"
    "header{margin-bottom:8px}\n"
    ".kicker{font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}\n"
    "h1{font-size:24px;font-weight:650;margin:2px 0 4px}\n"
    "h2{font-size:16px;font-weight:650;margin:0 0 4px}\n"
    ".sub{margin:0 0 14px;color:var(--muted)}\n"
    "code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,\"Liberation Mono\",monospace;"
    "background:var(--soft);padding:1px 5px;border-radius:4px;color:var(--fg)}\n"
    "dl.meta{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:12px 16px;margin:0;"
    "padding:14px 18px;background:var(--card);border:1px solid var(--line);border-radius:8px}\n"
    "dl.meta>div{min-width:0}dl.meta>div.wide{grid-column:span 2}\n"
    "dl.meta dt{color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.04em}\n"
    "dl.meta dd{margin:1px 0 0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}\n"
    "section,footer{background:var(--card);border:1px solid var(--line);border-radius:8px;"
    "padding:16px 18px;margin:16px 0}\n"
    ".hint{margin:0 0 10px;color:var(--muted);font-size:12.5px}\n"
    ".muted{color:var(--muted)}\n"
    ".tw{overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:5px 8px;text-align:right;white-space:nowrap;border-bottom:1px solid var(--soft)}\n"
    "table.rank{font-size:12.5px}table.rank th,table.rank td{padding:5px 4px}\n"
    "table.rank th{white-space:normal;min-width:2.8em}\n"
    "th{font-weight:600;color:var(--muted);font-size:12px;background:#f8fafb;"
    "border-bottom:1px solid var(--line);vertical-align:bottom}\n"
    "th[title]{cursor:help}\n"
    "tbody tr:hover td{background:#f6f9fc}\n"
    ".l{text-align:left}\n"
    "td.rk{color:var(--muted);width:1%}\n"
    "td.name{font-weight:600}\n"
    "td.ovl{white-space:normal;color:var(--muted);min-width:90px}\n"
    "th.sorted{color:var(--fg)}td.sorted{font-weight:600;background:#fafbfd}\n"
    ".neg{color:var(--red)}.pos{color:var(--green)}\n"
    "tr.failed td{color:var(--muted)}td.fail,.fail{color:var(--red);white-space:normal}\n"
    ".na{color:#8c959f;cursor:help;border-bottom:1px dotted #afb8c1}\n"
    "sup{font-size:9px;line-height:0;margin-left:1px}\n"
    ".notes{margin:8px 0 0;font-size:12px;color:var(--muted)}\n"
    ".sw{vertical-align:-1px;margin-right:6px}\n"
    "table.verdict td{vertical-align:top}\n"
    "table.verdict tbody.grp{border-top:2px solid var(--line)}\n"
    "table.verdict td.vd{white-space:normal;min-width:200px;max-width:320px}\n"
    ".ci{color:var(--muted)}.cnt{color:#8c959f;font-size:11.5px}\n"
    "td.good b,td.good .ci{color:var(--green)}td.bad b,td.bad .ci{color:var(--red)}\n"
    ".badge{display:inline-block;padding:1px 10px;border-radius:999px;font-size:12px;font-weight:600;"
    "border:1px solid}\n"
    ".badge.helps{color:var(--green);background:#dafbe1;border-color:#aceebb}\n"
    ".badge.hurts{color:var(--red);background:#ffebe9;border-color:#ffcecb}\n"
    ".badge.inconclusive{color:var(--muted);background:#f1f3f5;border-color:var(--line)}\n"
    ".why{margin-top:6px;font-size:12px;color:var(--muted)}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:4px 0 8px;font-size:12.5px}\n"
    ".legend>span{white-space:nowrap}\n"
    "svg.chart{display:block;width:100%;height:auto}\n"
    ".chart text{font-size:11px;fill:var(--muted);font-variant-numeric:tabular-nums}\n"
    ".chart .pl{font-weight:600;fill:var(--fg);font-size:12px}\n"
    ".chart .yl{text-anchor:end}.chart .xl{text-anchor:middle}\n"
    ".chart .g{stroke:#e6eaef;stroke-width:1}.chart .z{stroke:#8c959f;stroke-width:1}\n"
    ".chart .wl{stroke:#c4ccd4;stroke-width:1;stroke-dasharray:3 3}\n"
    ".chart .frame{fill:none;stroke:var(--line)}.chart .band{fill:#f7f9fb}\n"
    ".chart .hollow{fill:#fff;stroke-width:1.5}\n"
    "table.win td.tip{cursor:help}td.best{font-weight:700}\n"
    "table.win th{white-space:normal}table.win th .sw{display:block;margin:0 0 3px auto}"
    "table.win td{vertical-align:top}\n"
    "td.dt{font-size:12.5px;line-height:1.35}.trn{color:#8c959f;font-size:11.5px;font-weight:400}\n"
    "td.path{white-space:normal;word-break:break-all;color:var(--muted)}\n"
    ".fine{margin:12px 0 0;font-size:12px;color:var(--muted)}\n";

int gd_ab_write_html(const gd_ab_result *r, FILE *out, gd_err *err)
{
    if (!r || !out)
        return gd_err_set(err, GD_EINVAL, "report: no result or no output stream");

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
          "content=\"width=device-width, initial-scale=1\">\n<title>Walk-forward ablation: ",
          out);
    GD_AB_ESC_ARR(out, r->strategy);
    fputs(" &middot; gordon</title>\n<style>\n", out);
    fputs(g_css, out);
    fputs("</style>\n</head>\n<body>\n<main>\n", out);

    write_header(r, out);
    int rc = write_ranking(r, out, err);
    if (rc)
        return rc;
    write_verdicts(r, out);
    gd_ab_html_curves(r, out);
    gd_ab_html_bars(r, out);
    if ((rc = write_by_symbol(r, out, err)) != 0)
        return rc;
    write_window_table(r, out);
    write_footer(r, out);
    fputs("</main>\n</body>\n</html>\n", out);

    if (fflush(out) != 0 || ferror(out))
        return gd_err_set(err, GD_EIO, "report: writing the HTML report failed");
    return 0;
}
