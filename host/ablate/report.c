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

#include "ablate/ablate.h"

#include "base/dates.h"

#ifndef GD_VERSION
#define GD_VERSION "unknown"
#endif


/* Chart geometry (SVG user units; the SVG scales to the page width). */
enum { CW = 1060, ML = 84, MR = 18, PW = CW - ML - MR };

/* ---------------------------------------------------------------- text --- */

/* Writes at most max bytes of s (stops at NUL), escaped for HTML text and
 * attribute values. Control characters become spaces. */
static void esc_n(FILE *f, const char *s, size_t max)
{
    if (!s)
        return;
    for (size_t i = 0; i < max && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
        }
    }
}

static void esc(FILE *f, const char *s)
{
    esc_n(f, s, SIZE_MAX);
}

/* A fixed char array member: never read past its end. */
#define ESC_ARR(f, a) esc_n((f), (a), sizeof(a))

/* v with `decimals` decimals, optional thousands separators and explicit
 * plus sign. "-0.00" is printed "0.00"; NaN "n/a". */
static void fmt_num(char *buf, size_t cap, double v, int decimals, int sep, int plus)
{
    char tmp[64], out[112];
    size_t o = 0;

    if (!buf || !cap)
        return;
    if (isnan(v)) {
        snprintf(buf, cap, "n/a");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, "%s", v < 0 ? "-inf" : plus ? "+inf" : "inf");
        return;
    }
    if (fabs(v) >= 1e15) {
        if (plus)
            snprintf(buf, cap, "%+.3e", v);
        else
            snprintf(buf, cap, "%.3e", v);
        return;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    snprintf(tmp, sizeof tmp, "%.*f", decimals, fabs(v));
    int nonzero = strpbrk(tmp, "123456789") != NULL;
    if (nonzero && v < 0)
        out[o++] = '-';
    else if (nonzero && plus)
        out[o++] = '+';
    const char *dot = strchr(tmp, '.');
    size_t ilen = dot ? (size_t)(dot - tmp) : strlen(tmp);
    for (size_t i = 0; i < ilen; i++) {
        size_t left = ilen - i - 1;
        out[o++] = tmp[i];
        if (sep && left && left % 3 == 0)
            out[o++] = ',';
    }
    snprintf(out + o, sizeof out - o, "%s", tmp + ilen);
    snprintf(buf, cap, "%s", out);
}

static void fmt_u64(char *buf, size_t cap, uint64_t v)
{
    char tmp[32], out[40];
    size_t o = 0, len;

    snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    len = strlen(tmp);
    for (size_t i = 0; i < len; i++) {
        size_t left = len - i - 1;
        out[o++] = tmp[i];
        if (left && left % 3 == 0)
            out[o++] = ',';
    }
    out[o] = '\0';
    snprintf(buf, cap, "%s", out);
}

void gd_ab_format_metric(int metric, double v, char *buf, size_t cap)
{
    char tmp[128];

    if (!buf || !cap)
        return;
    if (isnan(v)) {
        snprintf(buf, cap, "n/a");
        return;
    }
    switch (metric) {
    case GD_M_TRADES:
        fmt_num(buf, cap, v, 0, 0, 0);
        break;
    case GD_M_WIN_RATE:
    case GD_M_CAGR:
    case GD_M_MAX_DD:
    case GD_M_EXPOSURE:
        fmt_num(tmp, sizeof tmp, v, 2, 0, 0);
        snprintf(buf, cap, "%s%%", tmp);
        break;
    case GD_M_PROFIT_FACTOR:
    case GD_M_SHARPE:
    case GD_M_SORTINO:
    case GD_M_AVG_R:
        fmt_num(buf, cap, v, 2, 0, 0);
        break;
    case GD_M_NET_PNL:
    case GD_M_FEES:
        fmt_num(buf, cap, v, 2, 1, 0);
        break;
    case GD_M_MAX_DD_DAYS:
        fmt_num(buf, cap, v, 1, 0, 0);
        break;
    default:
        snprintf(buf, cap, "%.4g", v);
        break;
    }
}

/* --------------------------------------------------------------- dates --- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static void fmt_date(char *buf, size_t cap, int64_t ms)
{
    int64_t y;
    unsigned m, d;
    gd_civil_from_days(gd_day_index(ms), &y, &m, &d);
    snprintf(buf, cap, "%04" PRId64 "-%02u-%02u", y, m, d);
}

static void fmt_days(char *buf, size_t cap, int64_t ms)
{
    if (ms % GD_DAY_MS == 0)
        snprintf(buf, cap, "%" PRId64 " days", ms / GD_DAY_MS);
    else
        snprintf(buf, cap, "%.1f days", (double)ms / (double)GD_DAY_MS);
}

typedef struct dtick {
    int64_t t;
    char label[24];
} dtick;

/* Date ticks in [t0, t1]: month starts (every 1..n months, labelled YYYY-MM or
 * YYYY) for spans of two months or more, else days. At most cap ticks. */
static size_t date_ticks(int64_t t0, int64_t t1, dtick *out, size_t cap)
{
    double span_days = ((double)t1 - (double)t0) / (double)GD_DAY_MS;
    size_t n = 0;

    if (span_days >= 60) {
        static const int steps[] = {1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 6000};
        double months = span_days / 30.44;
        int step = steps[sizeof steps / sizeof steps[0] - 1];
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            if (months / steps[i] <= 9.0) {
                step = steps[i];
                break;
            }
        }
        int64_t y;
        unsigned m, d;
        gd_civil_from_days(gd_day_index(t0), &y, &m, &d);
        int64_t mi = y * 12 + (int64_t)(m - 1);
        if (gd_days_from_civil(y, m, 1) * GD_DAY_MS < t0)
            mi++;
        mi = -floor_div(-mi, step) * step; /* round up to a multiple of step */
        for (; n < cap; mi += step) {
            int64_t yy = floor_div(mi, 12);
            unsigned mm = (unsigned)(mi - yy * 12) + 1;
            int64_t t = gd_days_from_civil(yy, mm, 1) * GD_DAY_MS;
            if (t > t1)
                break;
            out[n].t = t;
            if (step >= 12)
                snprintf(out[n].label, sizeof out[n].label, "%04" PRId64, yy);
            else
                snprintf(out[n].label, sizeof out[n].label, "%04" PRId64 "-%02u", yy, mm);
            n++;
        }
    } else {
        static const int steps[] = {1, 2, 7, 14};
        int step = 14;
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            if (span_days / steps[i] <= 8.0) {
                step = steps[i];
                break;
            }
        }
        int64_t day = -gd_day_index(-t0);
        day = -floor_div(-day, step) * step;
        for (; n < cap; day += step) {
            int64_t t = day * GD_DAY_MS;
            if (t > t1)
                break;
            out[n].t = t;
            fmt_date(out[n].label, sizeof out[n].label, t);
            n++;
        }
    }
    return n;
}

/* ---------------------------------------------------------------- axes --- */

typedef struct axis {
    double lo, hi, step;
    int n;        /* intervals */
    int decimals; /* for the tick labels */
} axis;

static double nice_step(double raw)
{
    double p = pow(10.0, floor(log10(raw)));
    double f = raw / p;
    double s = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
    return s * p;
}

/* A "nice" axis over [lo, hi] with about `target` intervals. pad is the
 * fraction of the range added at each end; a flat or empty range is widened. */
static void axis_fit(axis *a, double lo, double hi, int target, double pad)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0.0;
        hi = 1.0;
    }
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    double range = hi - lo;
    if (!(range > fmax(fabs(lo), fabs(hi)) * 1e-9)) {
        double w = fmax(fabs(hi), fabs(lo)) * 0.01;
        if (!(w > 0.0))
            w = 1.0;
        lo -= w;
        hi += w;
    } else {
        lo -= range * pad;
        hi += range * pad;
    }
    a->step = nice_step((hi - lo) / target);
    a->lo = floor(lo / a->step) * a->step;
    a->hi = ceil(hi / a->step) * a->step;
    if (!(a->hi > a->lo))
        a->hi = a->lo + a->step;
    a->n = (int)lround((a->hi - a->lo) / a->step);
    if (a->n < 1)
        a->n = 1;
    if (a->n > 40)
        a->n = 40;
    a->decimals = 0;
    for (int d = 0; d <= 8; d++) {
        double s = a->step * pow(10.0, d);
        if (fabs(s - round(s)) < 1e-6 * fmax(1.0, s)) {
            a->decimals = d;
            break;
        }
        a->decimals = d;
    }
}

static double ymap(const axis *a, double top, double h, double v)
{
    return top + (a->hi - v) / (a->hi - a->lo) * h;
}

typedef struct xscale {
    int64_t t0, t1;
} xscale;

static double xmap(const xscale *s, int64_t t)
{
    return ML + ((double)t - (double)s->t0) / ((double)s->t1 - (double)s->t0) * PW;
}

/* Horizontal grid lines and labels of a value axis. */
static void svg_yaxis(FILE *f, const axis *a, double top, double h, const char *suffix, int zero_line)
{
    char b[64];
    for (int i = 0; i <= a->n; i++) {
        double v = a->lo + a->step * i;
        double y = top + h - (double)i / a->n * h;
        int zero = zero_line && fabs(v) < a->step * 1e-6;
        fprintf(f, "<line class=\"%s\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", zero ? "z" : "g",
                ML, y, CW - MR, y);
        fmt_num(b, sizeof b, v, a->decimals, 1, 0);
        fprintf(f, "<text class=\"yl\" x=\"%d\" y=\"%.1f\">%s%s</text>\n", ML - 8, y + 3.5, b, suffix);
    }
}

/* ------------------------------------------------------------- colours --- */

static const char *const g_palette[] = {"#2563eb", "#ea7317", "#0d9488", "#dc2626", "#7c3aed",
                                         "#65a30d", "#8b5e34", "#c026d3", "#0891b2", "#ca8a04"};
#define N_PALETTE (sizeof g_palette / sizeof g_palette[0])

/* configs[0] (the baseline) is slate; the others cycle the palette, dashed
 * once it repeats. Used by the table swatches, the legend and every chart. */
static const char *cfg_colour(size_t i)
{
    return i == 0 ? "#475569" : g_palette[(i - 1) % N_PALETTE];
}

static const char *cfg_dash(size_t i)
{
    if (i == 0 || (i - 1) / N_PALETTE == 0)
        return NULL;
    return ((i - 1) / N_PALETTE) % 2 ? "6 3" : "2 2";
}

static void put_swatch(FILE *f, size_t i)
{
    const char *dash = cfg_dash(i);
    fprintf(f,
            "<svg class=\"sw\" width=\"22\" height=\"10\" aria-hidden=\"true\"><line x1=\"1\" y1=\"5\" "
            "x2=\"21\" y2=\"5\" stroke=\"%s\" stroke-width=\"3\"",
            cfg_colour(i));
    if (dash)
        fprintf(f, " stroke-dasharray=\"%s\"", dash);
    fputs("/></svg>", f);
}

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
    esc(f, reason);
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
        esc(f, ns->txt[i]);
    }
    fputs("</p>\n", f);
}

/* ----------------------------------------------------------- ranking --- */

static int cfg_ok(const gd_ab_config *c)
{
    return !c->failed;
}

/* a before b: not failed, then Sharpe descending with NaN last, then index. */
static int rank_before(const gd_ab_result *r, size_t a, size_t b)
{
    const gd_ab_config *ca = &r->configs[a], *cb = &r->configs[b];
    if (!cfg_ok(ca) != !cfg_ok(cb))
        return cfg_ok(ca);
    double sa = ca->overall.v[GD_M_SHARPE], sb = cb->overall.v[GD_M_SHARPE];
    if (cfg_ok(ca) && isnan(sa) != isnan(sb))
        return !isnan(sa);
    if (cfg_ok(ca) && !isnan(sa) && sa != sb)
        return sa > sb;
    return a < b;
}

static const struct {
    int metric;
    const char *label;
    const char *title;
    int neg_red; /* negative values in red */
} g_cols[] = {
    {GD_M_TRADES, "Trades", "closed round trips", 0},
    {GD_M_WIN_RATE, "Win rate", "percent of round trips with positive net PnL", 0},
    {GD_M_PROFIT_FACTOR, "Profit factor", "gross profit / gross loss, net of fees", 0},
    {GD_M_NET_PNL, "Net&nbsp;PnL", "final minus initial equity", 1},
    {GD_M_CAGR, "CAGR", "compounded annual growth rate", 1},
    {GD_M_MAX_DD, "Max&nbsp;DD", "peak-to-trough drawdown of the daily curve", 0},
    {GD_M_MAX_DD_DAYS, "DD&nbsp;days", "longest time below a previous peak", 0},
    {GD_M_SHARPE, "Sharpe", "annualised Sharpe ratio of daily returns", 1},
    {GD_M_SORTINO, "Sortino", "annualised Sortino ratio of daily returns", 1},
    {GD_M_EXPOSURE, "Exposure", "percent of bars with a position open", 0},
    {GD_M_AVG_R, "Avg&nbsp;R", "mean net PnL per round trip in units of initial risk", 1},
    {GD_M_FEES, "Fees", "fees paid", 0},
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
        esc(f, c->overlays[k]);
    }
}

static int write_ranking(const gd_ab_result *r, FILE *f, gd_err *err)
{
    notes ns = {{0}, 0};
    size_t *idx = NULL;
    char b[128];

    fputs("<section id=\"ranking\">\n<h2>Configurations</h2>\n<p class=\"hint\">Ranked by Sharpe of "
          "the concatenated out-of-sample equity curve; failed configurations last. DSR: Deflated "
          "Sharpe Ratio, the probability that the true Sharpe beats the best of ",
          f);
    fmt_u64(b, sizeof b, r->trials);
    fprintf(f, "%s unskilled trials.</p>\n", b);

    if (r->n_configs && r->configs) {
        idx = malloc(r->n_configs * sizeof *idx);
        if (!idx)
            return gd_err_set(err, GD_ENOMEM, "report: out of memory");
        for (size_t i = 0; i < r->n_configs; i++) {
            size_t j = i;
            for (; j > 0 && rank_before(r, i, idx[j - 1]); j--)
                idx[j] = idx[j - 1];
            idx[j] = i;
        }
    }

    fputs("<div class=\"tw\"><table class=\"rank\">\n<thead><tr><th>#</th><th class=\"l\">Configuration"
          "</th><th class=\"l\">Overlays</th>",
          f);
    for (size_t k = 0; k < N_COLS; k++)
        fprintf(f, "<th title=\"%s\"%s>%s%s</th>", g_cols[k].title,
                g_cols[k].metric == GD_M_SHARPE ? " class=\"sorted\"" : "", g_cols[k].label,
                g_cols[k].metric == GD_M_SHARPE ? "&nbsp;&#9662;" : "");
    fputs("<th title=\"Deflated Sharpe Ratio\">DSR</th></tr></thead>\n<tbody>\n", f);

    size_t rank = 0;
    for (size_t n = 0; idx && n < r->n_configs; n++) {
        const gd_ab_config *c = &r->configs[idx[n]];
        if (c->failed)
            fputs("<tr class=\"failed\"><td class=\"rk\">&ndash;</td>", f);
        else
            fprintf(f, "<tr><td class=\"rk\">%zu</td>", ++rank);
        fputs("<td class=\"l name\">", f);
        put_swatch(f, idx[n]);
        ESC_ARR(f, c->name);
        fputs("</td><td class=\"l ovl\">", f);
        put_overlays(f, c);
        fputs("</td>", f);
        if (c->failed) {
            fprintf(f, "<td class=\"l fail\" colspan=\"%zu\">failed: ", N_COLS + 1);
            if (c->fail_reason[0])
                ESC_ARR(f, c->fail_reason);
            else
                fputs("no reason given", f);
            fputs("</td></tr>\n", f);
            continue;
        }
        for (size_t k = 0; k < N_COLS; k++) {
            int m = g_cols[k].metric;
            double v = c->overall.v[m];
            if (isnan(v)) {
                fputs("<td>", f);
                put_na(f, &ns, c->overall.na[m]);
                fputs("</td>", f);
                continue;
            }
            gd_ab_format_metric(m, v, b, sizeof b);
            fprintf(f, "<td%s>%s</td>",
                    m == GD_M_SHARPE ? (g_cols[k].neg_red && v < 0 ? " class=\"neg sorted\"" : " class=\"sorted\"")
                                     : (g_cols[k].neg_red && v < 0 ? " class=\"neg\"" : ""),
                    b);
        }
        if (isnan(c->dsr)) {
            fputs("<td>", f);
            put_na(f, &ns, c->dsr_na);
            fputs("</td>", f);
        } else {
            fmt_num(b, sizeof b, c->dsr, 3, 0, 0);
            fprintf(f, "<td%s>%s</td>", c->dsr >= 0.95 ? " class=\"pos\"" : "", b);
        }
        fputs("</tr>\n", f);
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

static int metric_direction(int m)
{
    switch (m) {
    case GD_M_MAX_DD:
    case GD_M_MAX_DD_DAYS:
    case GD_M_FEES:
        return -1;
    case GD_M_TRADES:
    case GD_M_EXPOSURE:
        return 0;
    default:
        return 1;
    }
}

static const char *effect_label(int m)
{
    switch (m) {
    case GD_M_SHARPE: return "Sharpe";
    case GD_M_MAX_DD: return "Max DD";
    case GD_M_CAGR: return "CAGR";
    case GD_M_TRADES: return "Trades";
    case GD_M_SORTINO: return "Sortino";
    case GD_M_NET_PNL: return "Net PnL";
    case GD_M_WIN_RATE: return "Win rate";
    case GD_M_PROFIT_FACTOR: return "Profit factor";
    case GD_M_EXPOSURE: return "Exposure";
    case GD_M_AVG_R: return "Avg R";
    case GD_M_FEES: return "Fees";
    case GD_M_MAX_DD_DAYS: return "DD days";
    default: return "metric";
    }
}

static int is_pct(int m)
{
    return m == GD_M_MAX_DD || m == GD_M_CAGR || m == GD_M_WIN_RATE || m == GD_M_EXPOSURE;
}

static void put_effect(FILE *f, notes *ns, const gd_ab_effect *e, int m)
{
    char mean[48], lo[48], hi[48];
    int dec = m == GD_M_TRADES ? 1 : 2;
    int sep = m == GD_M_NET_PNL || m == GD_M_FEES;
    const char *unit = is_pct(m) ? "&nbsp;pp" : "";

    if (isnan(e->mean)) {
        fputs("<td>", f);
        put_na(f, ns, e->n < 2 ? "fewer than 2 paired windows" : "difference not computable");
        fprintf(f, " <span class=\"cnt\">(n=%zu)</span></td>", e->n);
        return;
    }
    const char *cls = "";
    if (isfinite(e->lo) && isfinite(e->hi) && (e->lo > 0 || e->hi < 0)) {
        int dir = metric_direction(m) * (e->lo > 0 ? 1 : -1);
        cls = dir > 0 ? " class=\"good\"" : dir < 0 ? " class=\"bad\"" : " class=\"sig\"";
    }
    fmt_num(mean, sizeof mean, e->mean, dec, sep, 1);
    fmt_num(lo, sizeof lo, e->lo, dec, sep, 1);
    fmt_num(hi, sizeof hi, e->hi, dec, sep, 1);
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
    fmt_u64(b, sizeof b, r->bootstrap);
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
        const char *v = o->verdict == GD_AB_HELPS ? "helps" : o->verdict == GD_AB_HURTS ? "hurts" : "inconclusive";
        fputs("<tbody class=\"grp\">", f);
        for (int k = 0; k < GD_AB_N_EFFECT_METRICS; k++) {
            int m = gd_ab_effect_metrics[k];
            fputs("<tr>", f);
            if (k == 0) {
                fprintf(f, "<td class=\"l name\" rowspan=\"%d\">", GD_AB_N_EFFECT_METRICS);
                ESC_ARR(f, o->name);
                fputs("</td>", f);
            }
            fprintf(f, "<td class=\"l muted\">%s</td>", effect_label(m));
            put_effect(f, &ns, &o->alone[k], m);
            put_effect(f, &ns, &o->marginal[k], m);
            if (k == 0) {
                fprintf(f, "<td class=\"l vd\" rowspan=\"%d\"><span class=\"badge %s\">%s</span><div "
                           "class=\"why\">",
                        GD_AB_N_EFFECT_METRICS, v, v);
                ESC_ARR(f, o->verdict_reason);
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

/* ------------------------------------------------------------- curves --- */

/* A polyline writer that keeps, per half-pixel column, the first, lowest,
 * highest and last point: the same picture with bounded size. */
typedef struct pt {
    double x, y;
    size_t i;
} pt;

typedef struct pathw {
    FILE *f;
    int pen, have;
    long bin;
    pt first, lo, hi, last;
} pathw;

static void pw_put(pathw *p, const pt *q)
{
    if (p->pen)
        fprintf(p->f, " L%.1f %.1f", q->x, q->y);
    else
        fprintf(p->f, "M%.1f %.1f", q->x, q->y);
    p->pen = 1;
}

static void pw_flush(pathw *p)
{
    pt v[4];
    if (!p->have)
        return;
    v[0] = p->first;
    v[1] = p->lo;
    v[2] = p->hi;
    v[3] = p->last;
    for (int a = 1; a < 4; a++)
        for (int b = a; b > 0 && v[b - 1].i > v[b].i; b--) {
            pt t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
        }
    for (int a = 0; a < 4; a++)
        if (a == 0 || v[a].i != v[a - 1].i)
            pw_put(p, &v[a]);
    p->have = 0;
}

static void pw_add(pathw *p, double x, double y, size_t i)
{
    if (!isfinite(x) || !isfinite(y)) {
        pw_flush(p);
        p->pen = 0;
        return;
    }
    long bin = (long)floor(x * 2.0);
    if (p->have && bin != p->bin)
        pw_flush(p);
    pt q = {x, y, i};
    if (!p->have) {
        p->have = 1;
        p->bin = bin;
        p->first = p->lo = p->hi = p->last = q;
        return;
    }
    p->last = q;
    if (y < p->lo.y)
        p->lo = q;
    if (y > p->hi.y)
        p->hi = q;
}

/* Drawdown in percent below the running peak; NaN where undefined. */
typedef struct ddstate {
    double peak;
} ddstate;

static double dd_next(ddstate *s, double eq)
{
    if (!isfinite(eq))
        return NAN;
    if (!(s->peak >= eq))
        s->peak = eq;
    return s->peak > 0.0 ? (eq / s->peak - 1.0) * 100.0 : NAN;
}

static int curve_usable(const gd_ab_config *c)
{
    return !c->failed && c->curve_n && c->curve_t && c->curve_eq;
}

/* One config's curve (dd = 0: equity, 1: drawdown) in a panel. */
static void svg_curve(FILE *f, const gd_ab_config *c, size_t ci, const xscale *xs, const axis *ya,
                      double top, double h, int dd)
{
    ddstate s = {-INFINITY};
    size_t finite = 0, last = 0;

    for (size_t i = 0; i < c->curve_n; i++) {
        double v = dd ? dd_next(&s, c->curve_eq[i]) : c->curve_eq[i];
        if (isfinite(v)) {
            finite++;
            last = i;
        }
    }
    if (!finite)
        return;
    if (finite == 1) {
        double v = c->curve_eq[last];
        if (dd) {
            ddstate s1 = {-INFINITY};
            for (size_t i = 0; i <= last; i++)
                v = dd_next(&s1, c->curve_eq[i]);
        }
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>", xmap(xs, c->curve_t[last]),
                ymap(ya, top, h, v), cfg_colour(ci));
        ESC_ARR(f, c->name);
        fputs("</title></circle>\n", f);
        return;
    }
    const char *dash = cfg_dash(ci);
    fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" stroke-linejoin=\"round\"", cfg_colour(ci),
            dd ? "1.3" : "1.7");
    if (dash)
        fprintf(f, " stroke-dasharray=\"%s\"", dash);
    fputs(" d=\"", f);
    pathw p = {f, 0, 0, 0, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    s.peak = -INFINITY;
    for (size_t i = 0; i < c->curve_n; i++) {
        double v = dd ? dd_next(&s, c->curve_eq[i]) : c->curve_eq[i];
        pw_add(&p, xmap(xs, c->curve_t[i]), isfinite(v) ? ymap(ya, top, h, v) : NAN, i);
    }
    pw_flush(&p);
    fputs("\"><title>", f);
    ESC_ARR(f, c->name);
    fputs("</title></path>\n", f);
}

static void put_legend(const gd_ab_result *r, FILE *f)
{
    fputs("<div class=\"legend\">", f);
    for (size_t i = 0; i < r->n_configs; i++) {
        if (r->configs[i].failed)
            continue;
        fputs("<span>", f);
        put_swatch(f, i);
        ESC_ARR(f, r->configs[i].name);
        if (!curve_usable(&r->configs[i]))
            fputs(" <span class=\"muted\">(no curve)</span>", f);
        fputs("</span>", f);
    }
    fputs("</div>\n", f);
}

/* Beyond this many windows their boundary lines are clutter. */
#define MAX_WINDOW_LINES 30

static void write_curves(const gd_ab_result *r, FILE *f)
{
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    double lo = INFINITY, hi = -INFINITY, ddlo = 0.0;
    size_t ncurves = 0;

    fputs("<section id=\"equity\">\n<h2>Out-of-sample equity and drawdown</h2>\n<p class=\"hint\">Each "
          "configuration's out-of-sample windows, concatenated; one point per UTC day. Drawdown is the "
          "percentage below the running peak of the same curve.",
          f);
    if (r->windows && r->n_windows > 1 && r->n_windows <= MAX_WINDOW_LINES)
        fputs(" Dashed verticals: starts of the test windows.", f);
    fputs("</p>\n", f);
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[i];
        ddstate s = {-INFINITY};
        if (!curve_usable(c))
            continue;
        ncurves++;
        for (size_t k = 0; k < c->curve_n; k++) {
            double v = c->curve_eq[k];
            double d = dd_next(&s, v);
            if (!isfinite(v))
                continue;
            if (c->curve_t[k] < t0)
                t0 = c->curve_t[k];
            if (c->curve_t[k] > t1)
                t1 = c->curve_t[k];
            lo = fmin(lo, v);
            hi = fmax(hi, v);
            if (isfinite(d))
                ddlo = fmin(ddlo, d);
        }
    }
    if (!ncurves || t0 > t1) {
        fputs("<p class=\"muted\">No out-of-sample equity curve to draw.</p>\n</section>\n", f);
        return;
    }
    put_legend(r, f);
    if (t1 - t0 < GD_DAY_MS) {
        t0 -= GD_DAY_MS;
        t1 += GD_DAY_MS;
    }
    xscale xs = {t0, t1};
    axis ya, da;
    axis_fit(&ya, lo, hi, 6, 0.04);
    axis_fit(&da, ddlo < -1e-9 ? ddlo : -1.0, 0.0, 3, 0.0);
    if (da.hi > 0.0) { /* keep 0 on top */
        da.hi = 0.0;
        da.n = (int)lround((da.hi - da.lo) / da.step);
        if (da.n < 1) {
            da.lo = -da.step;
            da.n = 1;
        }
    }

    const double etop = 24, eh = 270, dtop = etop + eh + 40, dh = 120;
    const int H = (int)(dtop + dh + 30);
    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Equity and drawdown\">\n", CW, H);
    fprintf(f, "<text class=\"pl\" x=\"%d\" y=\"%.0f\">Equity</text>\n", ML, etop - 9);
    fprintf(f, "<text class=\"pl\" x=\"%d\" y=\"%.0f\">Drawdown %%</text>\n", ML, dtop - 9);

    /* vertical date grid across both panels, labels under the drawdown panel */
    dtick ticks[16];
    size_t nt = date_ticks(t0, t1, ticks, 16);
    for (size_t i = 0; i < nt; i++) {
        double x = xmap(&xs, ticks[i].t);
        fprintf(f, "<line class=\"g\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>", x, etop, x, etop + eh);
        fprintf(f, "<line class=\"g\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>", x, dtop, x, dtop + dh);
        /* labels near an edge are anchored inwards so they are not clipped */
        const char *anchor = x > CW - MR - 30 ? " style=\"text-anchor:end\"" : x < ML + 30 ? " style=\"text-anchor:start\"" : "";
        fprintf(f, "<text class=\"xl\" x=\"%.1f\" y=\"%.0f\"%s>%s</text>\n", x, dtop + dh + 18, anchor,
                ticks[i].label);
    }
    if (r->windows && r->n_windows <= MAX_WINDOW_LINES)
        for (size_t w = 1; w < r->n_windows; w++) {
            int64_t t = r->windows[w].test_start;
            if (t <= t0 || t >= t1)
                continue;
            double x = xmap(&xs, t);
            fprintf(f, "<line class=\"wl\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>", x, etop, x,
                    etop + eh);
            fprintf(f, "<line class=\"wl\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>\n", x, dtop, x,
                    dtop + dh);
        }
    svg_yaxis(f, &ya, etop, eh, "", 0);
    svg_yaxis(f, &da, dtop, dh, "%", 1);
    fprintf(f, "<rect class=\"frame\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%.0f\"/>", ML, etop, PW, eh);
    fprintf(f, "<rect class=\"frame\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%.0f\"/>\n", ML, dtop, PW, dh);
    /* the baseline last, on top of the others */
    for (size_t n = 0; n < r->n_configs; n++) {
        size_t i = (n + 1) % r->n_configs;
        if (curve_usable(&r->configs[i]))
            svg_curve(f, &r->configs[i], i, &xs, &ya, etop, eh, 0);
    }
    for (size_t n = 0; n < r->n_configs; n++) {
        size_t i = (n + 1) % r->n_configs;
        if (curve_usable(&r->configs[i]))
            svg_curve(f, &r->configs[i], i, &xs, &da, dtop, dh, 1);
    }
    fputs("</svg>\n</section>\n", f);
}

/* --------------------------------------------------------------- bars --- */

static double win_metric(const gd_ab_config *c, size_t w, int m)
{
    if (!c->win || (c->win_failed && c->win_failed[w]))
        return NAN;
    return c->win[w].v[m];
}

static const char *win_na(const gd_ab_config *c, size_t w, int m)
{
    if (!c->win)
        return "no per-window metrics";
    if (c->win_failed && c->win_failed[w])
        return "window failed";
    return c->win[w].na[m] ? c->win[w].na[m] : "not computable";
}

static void write_bars(const gd_ab_result *r, FILE *f)
{
    size_t nc = 0, nw = r->windows ? r->n_windows : 0, nnan = 0;
    double lo = 0.0, hi = 0.0;
    char b[64], d[16];

    fputs("<section id=\"sharpe\">\n<h2>Out-of-sample Sharpe per window</h2>\n", f);
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[i];
        if (c->failed)
            continue;
        nc++;
        for (size_t w = 0; w < nw; w++) {
            double v = win_metric(c, w, GD_M_SHARPE);
            if (isfinite(v)) {
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            } else {
                nnan++;
            }
        }
    }
    if (!nc || !nw) {
        fputs("<p class=\"muted\">No windows to draw.</p>\n</section>\n", f);
        return;
    }
    put_legend(r, f);
    axis ya;
    axis_fit(&ya, lo, hi, 5, 0.05);

    const double top = 12, h = 240;
    const int H = (int)(top + h + 34);
    const double gw = (double)PW / (double)nw;
    double bw = gw * 0.8 / (double)nc;
    if (bw > 26.0)
        bw = 26.0;
    const double inner = bw * (double)nc;
    const double y0 = ymap(&ya, top, h, 0.0);
    size_t every = (size_t)ceil(78.0 / gw);
    if (every < 1)
        every = 1;

    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Sharpe per window\">\n", CW, H);
    for (size_t w = 0; w < nw; w++)
        if (w % 2 == 1)
            fprintf(f, "<rect class=\"band\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"/>", ML + gw * (double)w,
                    top, gw, h);
    svg_yaxis(f, &ya, top, h, "", 1);
    for (size_t w = 0; w < nw; w++) {
        double gx = ML + gw * (double)w + (gw - inner) / 2.0;
        size_t j = 0;
        fmt_date(d, sizeof d, r->windows[w].test_start);
        for (size_t i = 0; i < r->n_configs; i++) {
            const gd_ab_config *c = &r->configs[i];
            if (c->failed)
                continue;
            double v = win_metric(c, w, GD_M_SHARPE);
            double x = gx + bw * (double)j++;
            if (isfinite(v)) {
                double y = ymap(&ya, top, h, v);
                double yt = fmin(y, y0), hh = fabs(y - y0);
                if (hh < 1.0) {
                    hh = 1.0;
                    if (v < 0)
                        yt = y0;
                    else
                        yt = y0 - 1.0;
                }
                gd_ab_format_metric(GD_M_SHARPE, v, b, sizeof b);
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                        x + bw * 0.06, yt, bw * 0.88, hh, cfg_colour(i));
                ESC_ARR(f, c->name);
                fprintf(f, ", window %zu (%s): Sharpe %s</title></rect>", w + 1, d, b);
            } else {
                double rr = fmin(bw * 0.32, 4.5);
                fprintf(f, "<circle class=\"hollow\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" stroke=\"%s\"><title>",
                        x + bw * 0.5, y0, rr < 1.5 ? 1.5 : rr, cfg_colour(i));
                ESC_ARR(f, c->name);
                fprintf(f, ", window %zu (%s): Sharpe n/a, ", w + 1, d);
                esc(f, win_na(c, w, GD_M_SHARPE));
                fputs("</title></circle>", f);
            }
        }
        if (w % every == 0)
            fprintf(f, "<text class=\"xl\" x=\"%.1f\" y=\"%.0f\">%s</text>", ML + gw * ((double)w + 0.5),
                    top + h + 18, d);
        fputc('\n', f);
    }
    fprintf(f, "<rect class=\"frame\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%.0f\"/>\n", ML, top, PW, h);
    fputs("</svg>\n<p class=\"hint\">Labels: first day of each test window", f);
    if (every > 1)
        fprintf(f, " (every %zu%s window)", every, every == 2 ? "nd" : every == 3 ? "rd" : "th");
    fputs(".", f);
    if (nnan)
        fprintf(f, " Hollow circles on the zero line: Sharpe not computable in that window (%zu "
                   "case%s; hover for the reason).",
                nnan, nnan == 1 ? "" : "s");
    fputs("</p>\n</section>\n", f);
}

/* ------------------------------------------------------ window table --- */

static void write_window_table(const gd_ab_result *r, FILE *f)
{
    size_t nw = r->windows ? r->n_windows : 0, nfail = 0;
    notes ns = {{0}, 0};
    char b[64], d0[16], d1[16];

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
        put_swatch(f, i);
        ESC_ARR(f, r->configs[i].name);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t w = 0; w < nw; w++) {
        const gd_ab_window *win = &r->windows[w];
        double best = -INFINITY;
        for (size_t i = 0; i < r->n_configs; i++) {
            double v = r->configs[i].failed ? NAN : win_metric(&r->configs[i], w, GD_M_NET_PNL);
            if (isfinite(v) && v > best)
                best = v;
        }
        fmt_date(d0, sizeof d0, win->test_start);
        fmt_date(d1, sizeof d1, win->test_end);
        fprintf(f, "<tr><td class=\"rk\">%zu</td><td class=\"l dt\">%s &rarr; %s", w + 1, d0, d1);
        fmt_date(d0, sizeof d0, win->train_start);
        fmt_date(d1, sizeof d1, win->train_end);
        fprintf(f, "<br><span class=\"trn\">%s &rarr; %s</span></td>", d0, d1);
        for (size_t i = 0; i < r->n_configs; i++) {
            const gd_ab_config *c = &r->configs[i];
            if (c->failed)
                continue;
            const char *params = c->win_params && c->win_params[w] && c->win_params[w][0] ? c->win_params[w] : NULL;
            double v = win_metric(c, w, GD_M_NET_PNL);
            fputs("<td class=\"tip", f);
            if (isfinite(v) && v < 0)
                fputs(" neg", f);
            if (isfinite(v) && v == best && nw)
                fputs(" best", f);
            fputs("\" title=\"", f);
            if (params) {
                fputs("params: ", f);
                esc(f, params);
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
                put_na(f, &ns, win_na(c, w, GD_M_NET_PNL));
            } else {
                gd_ab_format_metric(GD_M_NET_PNL, v, b, sizeof b);
                fputs(b, f);
            }
            fputs("</td>", f);
        }
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
                ESC_ARR(f, r->configs[i].name);
            }
        fputs(".</p>\n", f);
    }
    fputs("</section>\n", f);
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
    fmt_u64(b, sizeof b, v);
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
    ESC_ARR(f, r->strategy);
    fputs("</h1>\n<p class=\"sub\">git <code>", f);
    ESC_ARR(f, r->git_describe);
    fputs("</code> &middot; config <code>", f);
    ESC_ARR(f, r->config_path);
    fputs("</code></p>\n<dl class=\"meta\">\n", f);

    meta(f, "Symbols", 1);
    if (!r->n_symbols || !r->symbols)
        fputs("<span class=\"muted\">none</span>", f);
    for (size_t i = 0; r->symbols && i < r->n_symbols; i++) {
        if (i)
            fputs(", ", f);
        esc(f, r->symbols[i]);
    }
    meta_end(f);
    meta(f, "Data (UTC)", 1);
    fmt_date(a, sizeof a, r->data_start);
    fmt_date(b, sizeof b, r->data_end);
    fprintf(f, "%s &rarr; %s", a, b);
    fmt_u64(a, sizeof a, r->data_bars);
    fprintf(f, " <span class=\"muted\">&middot; %s bars</span>", a);
    meta_end(f);
    meta(f, "Windows", 0);
    fprintf(f, "%zu", r->n_windows);
    meta_end(f);
    meta(f, "Mode", 0);
    ESC_ARR(f, r->mode);
    meta_end(f);

    meta(f, "Train / test / step", 1);
    fmt_days(a, sizeof a, r->train_ms);
    fprintf(f, "%s / ", a);
    fmt_days(a, sizeof a, r->test_ms);
    fprintf(f, "%s / ", a);
    fmt_days(a, sizeof a, r->step_ms);
    fprintf(f, "%s", a);
    meta_end(f);
    meta(f, "Objective (in sample)", 0);
    ESC_ARR(f, r->objective);
    meta_end(f);
    meta_u64(f, "Param sets / window", r->param_sets);
    meta_u64(f, "Trials (DSR)", r->trials);
    meta_u64(f, "Engine runs", r->runs);

    meta(f, "Starting equity", 0);
    fmt_num(a, sizeof a, r->equity, 2, 1, 0);
    fputs(a, f);
    meta_end(f);
    meta(f, "Periods / year", 0);
    fmt_num(b, sizeof b, r->periods_per_year, fabs(r->periods_per_year - round(r->periods_per_year)) < 1e-9 ? 0 : 2,
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
            ESC_ARR(f, p->instance);
            fputs("</td><td class=\"l\">", f);
            ESC_ARR(f, p->plugin);
            fputs("</td><td class=\"l\">", f);
            ESC_ARR(f, p->version);
            fputs("</td><td class=\"l\"><code title=\"", f);
            ESC_ARR(f, p->sha256);
            fputs("\">", f);
            esc_n(f, p->sha256, 12);
            fputs("</code></td><td class=\"l path\">", f);
            ESC_ARR(f, p->path);
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
    ESC_ARR(out, r->strategy);
    fputs(" &middot; gordon</title>\n<style>\n", out);
    fputs(g_css, out);
    fputs("</style>\n</head>\n<body>\n<main>\n", out);

    write_header(r, out);
    int rc = write_ranking(r, out, err);
    if (rc)
        return rc;
    write_verdicts(r, out);
    write_curves(r, out);
    write_bars(r, out);
    write_window_table(r, out);
    write_footer(r, out);
    fputs("</main>\n</body>\n</html>\n", out);

    if (fflush(out) != 0 || ferror(out))
        return gd_err_set(err, GD_EIO, "report: writing the HTML report failed");
    return 0;
}
