/* The charts of report.html as inline SVG: value and date axes, the
 * configurations' colours, equity and drawdown curves drawn with bounded
 * size, and the per-window Sharpe bars. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "ablate/ablate_int.h"
#include "base/dates.h"

/* Chart geometry (SVG user units; the SVG scales to the page width). */
enum { CW = 1060, ML = 84, MR = 18, PW = CW - ML - MR };

/* --------------------------------------------------------------- dates --- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
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
            gd_ab_fmt_date(out[n].label, sizeof out[n].label, t);
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
        gd_ab_fmt_num(b, sizeof b, v, a->decimals, 1, 0);
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

void gd_ab_svg_swatch(FILE *f, size_t i)
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
        GD_AB_ESC_ARR(f, c->name);
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
    GD_AB_ESC_ARR(f, c->name);
    fputs("</title></path>\n", f);
}

static void put_legend(const gd_ab_result *r, FILE *f)
{
    fputs("<div class=\"legend\">", f);
    for (size_t i = 0; i < r->n_configs; i++) {
        if (r->configs[i].failed)
            continue;
        fputs("<span>", f);
        gd_ab_svg_swatch(f, i);
        GD_AB_ESC_ARR(f, r->configs[i].name);
        if (!curve_usable(&r->configs[i]))
            fputs(" <span class=\"muted\">(no curve)</span>", f);
        fputs("</span>", f);
    }
    fputs("</div>\n", f);
}

/* Beyond this many windows their boundary lines are clutter. */
#define MAX_WINDOW_LINES 30

/* The extent of every usable curve: time span, equity range, deepest
 * drawdown (percent, <= 0). */
typedef struct extent {
    int64_t t0, t1;
    double lo, hi, ddlo;
    size_t ncurves;
} extent;

static void curves_extent(const gd_ab_result *r, extent *e)
{
    *e = (extent){INT64_MAX, INT64_MIN, INFINITY, -INFINITY, 0.0, 0};
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[i];
        ddstate s = {-INFINITY};
        if (!curve_usable(c))
            continue;
        e->ncurves++;
        for (size_t k = 0; k < c->curve_n; k++) {
            double v = c->curve_eq[k];
            double d = dd_next(&s, v);
            if (!isfinite(v))
                continue;
            if (c->curve_t[k] < e->t0)
                e->t0 = c->curve_t[k];
            if (c->curve_t[k] > e->t1)
                e->t1 = c->curve_t[k];
            e->lo = fmin(e->lo, v);
            e->hi = fmax(e->hi, v);
            if (isfinite(d))
                e->ddlo = fmin(e->ddlo, d);
        }
    }
}

/* The drawdown axis: down to the deepest drawdown (at least 1%), 0 on top. */
static void drawdown_axis(axis *da, double ddlo)
{
    axis_fit(da, ddlo < -1e-9 ? ddlo : -1.0, 0.0, 3, 0.0);
    if (da->hi > 0.0) {
        da->hi = 0.0;
        da->n = (int)lround((da->hi - da->lo) / da->step);
        if (da->n < 1) {
            da->lo = -da->step;
            da->n = 1;
        }
    }
}

/* The equity panel above the drawdown panel, in SVG user units. */
typedef struct panels {
    double etop, eh, dtop, dh;
} panels;

/* A vertical line across both panels. */
static void vline(FILE *f, const char *cls, double x, const panels *p, const char *end)
{
    fprintf(f, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>", cls, x, p->etop, x,
            p->etop + p->eh);
    fprintf(f, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>%s", cls, x, p->dtop, x,
            p->dtop + p->dh, end);
}

/* The date grid across both panels, labels under the drawdown panel, and
 * the test windows' starts. */
static void curves_grid(FILE *f, const gd_ab_result *r, const xscale *xs, const panels *p)
{
    dtick ticks[16];
    size_t nt = date_ticks(xs->t0, xs->t1, ticks, 16);
    for (size_t i = 0; i < nt; i++) {
        double x = xmap(xs, ticks[i].t);
        vline(f, "g", x, p, "");
        /* labels near an edge are anchored inwards so they are not clipped */
        const char *anchor = x > CW - MR - 30 ? " style=\"text-anchor:end\"" : x < ML + 30 ? " style=\"text-anchor:start\"" : "";
        fprintf(f, "<text class=\"xl\" x=\"%.1f\" y=\"%.0f\"%s>%s</text>\n", x, p->dtop + p->dh + 18, anchor,
                ticks[i].label);
    }
    if (r->windows && r->n_windows <= MAX_WINDOW_LINES)
        for (size_t w = 1; w < r->n_windows; w++) {
            int64_t t = r->windows[w].test_start;
            if (t <= xs->t0 || t >= xs->t1)
                continue;
            vline(f, "wl", xmap(xs, t), p, "\n");
        }
}

void gd_ab_html_curves(const gd_ab_result *r, FILE *f)
{
    extent e;

    fputs("<section id=\"equity\">\n<h2>Out-of-sample equity and drawdown</h2>\n<p class=\"hint\">Each "
          "configuration's out-of-sample windows, concatenated; one point per UTC day. Drawdown is the "
          "percentage below the running peak of the same curve.",
          f);
    if (r->windows && r->n_windows > 1 && r->n_windows <= MAX_WINDOW_LINES)
        fputs(" Dashed verticals: starts of the test windows.", f);
    fputs("</p>\n", f);
    curves_extent(r, &e);
    if (!e.ncurves || e.t0 > e.t1) {
        fputs("<p class=\"muted\">No out-of-sample equity curve to draw.</p>\n</section>\n", f);
        return;
    }
    put_legend(r, f);
    if (e.t1 - e.t0 < GD_DAY_MS) {
        e.t0 -= GD_DAY_MS;
        e.t1 += GD_DAY_MS;
    }
    xscale xs = {e.t0, e.t1};
    axis ya, da;
    axis_fit(&ya, e.lo, e.hi, 6, 0.04);
    drawdown_axis(&da, e.ddlo);

    const panels p = {24, 270, 24 + 270 + 40, 120};
    const int H = (int)(p.dtop + p.dh + 30);
    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Equity and drawdown\">\n", CW, H);
    fprintf(f, "<text class=\"pl\" x=\"%d\" y=\"%.0f\">Equity</text>\n", ML, p.etop - 9);
    fprintf(f, "<text class=\"pl\" x=\"%d\" y=\"%.0f\">Drawdown %%</text>\n", ML, p.dtop - 9);
    curves_grid(f, r, &xs, &p);
    svg_yaxis(f, &ya, p.etop, p.eh, "", 0);
    svg_yaxis(f, &da, p.dtop, p.dh, "%", 1);
    fprintf(f, "<rect class=\"frame\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%.0f\"/>", ML, p.etop, PW, p.eh);
    fprintf(f, "<rect class=\"frame\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%.0f\"/>\n", ML, p.dtop, PW, p.dh);
    /* the baseline last, on top of the others */
    for (size_t n = 0; n < r->n_configs; n++) {
        size_t i = (n + 1) % r->n_configs;
        if (curve_usable(&r->configs[i]))
            svg_curve(f, &r->configs[i], i, &xs, &ya, p.etop, p.eh, 0);
    }
    for (size_t n = 0; n < r->n_configs; n++) {
        size_t i = (n + 1) % r->n_configs;
        if (curve_usable(&r->configs[i]))
            svg_curve(f, &r->configs[i], i, &xs, &da, p.dtop, p.dh, 1);
    }
    fputs("</svg>\n</section>\n", f);
}

/* --------------------------------------------------------------- bars --- */

/* A group of bars per window, one bar per configuration that ran. */
typedef struct bars {
    axis ya;
    double top, h;    /* the plot area */
    double gw;        /* a window's width */
    double bw;        /* a bar's width */
    double inner;     /* the bars' width together */
    double y0;        /* where Sharpe 0 is */
    size_t every;     /* a date label every this many windows */
} bars;

/* Configuration i's bar in window w at x; a hollow circle on the zero line
 * where the Sharpe is undefined. */
static void bar(FILE *f, const bars *g, const gd_ab_config *c, size_t i, size_t w, const char *date, double x)
{
    double v = gd_ab_win_metric(c, w, GD_M_SHARPE);
    if (isfinite(v)) {
        char b[64];
        double y = ymap(&g->ya, g->top, g->h, v);
        double yt = fmin(y, g->y0), hh = fabs(y - g->y0);
        if (hh < 1.0) {
            hh = 1.0;
            if (v < 0)
                yt = g->y0;
            else
                yt = g->y0 - 1.0;
        }
        gd_ab_format_metric(GD_M_SHARPE, v, b, sizeof b);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                x + g->bw * 0.06, yt, g->bw * 0.88, hh, cfg_colour(i));
        GD_AB_ESC_ARR(f, c->name);
        fprintf(f, ", window %zu (%s): Sharpe %s</title></rect>", w + 1, date, b);
    } else {
        double rr = fmin(g->bw * 0.32, 4.5);
        fprintf(f, "<circle class=\"hollow\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" stroke=\"%s\"><title>",
                x + g->bw * 0.5, g->y0, rr < 1.5 ? 1.5 : rr, cfg_colour(i));
        GD_AB_ESC_ARR(f, c->name);
        fprintf(f, ", window %zu (%s): Sharpe n/a, ", w + 1, date);
        gd_ab_esc(f, gd_ab_win_na(c, w, GD_M_SHARPE));
        fputs("</title></circle>", f);
    }
}

static void bar_group(FILE *f, const bars *g, const gd_ab_result *r, size_t w)
{
    char d[16];
    double gx = ML + g->gw * (double)w + (g->gw - g->inner) / 2.0;
    size_t j = 0;
    gd_ab_fmt_date(d, sizeof d, r->windows[w].test_start);
    for (size_t i = 0; i < r->n_configs; i++)
        if (!r->configs[i].failed)
            bar(f, g, &r->configs[i], i, w, d, gx + g->bw * (double)j++);
    if (w % g->every == 0)
        fprintf(f, "<text class=\"xl\" x=\"%.1f\" y=\"%.0f\">%s</text>", ML + g->gw * ((double)w + 0.5),
                g->top + g->h + 18, d);
    fputc('\n', f);
}

void gd_ab_html_bars(const gd_ab_result *r, FILE *f)
{
    size_t nc = 0, nw = r->windows ? r->n_windows : 0, nnan = 0;
    double lo = 0.0, hi = 0.0;

    fputs("<section id=\"sharpe\">\n<h2>Out-of-sample Sharpe per window</h2>\n", f);
    for (size_t i = 0; i < r->n_configs; i++) {
        const gd_ab_config *c = &r->configs[i];
        if (c->failed)
            continue;
        nc++;
        for (size_t w = 0; w < nw; w++) {
            double v = gd_ab_win_metric(c, w, GD_M_SHARPE);
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
    bars g;
    axis_fit(&g.ya, lo, hi, 5, 0.05);
    g.top = 12;
    g.h = 240;
    g.gw = (double)PW / (double)nw;
    g.bw = fmin(g.gw * 0.8 / (double)nc, 26.0);
    g.inner = g.bw * (double)nc;
    g.y0 = ymap(&g.ya, g.top, g.h, 0.0);
    g.every = (size_t)ceil(78.0 / g.gw);
    if (g.every < 1)
        g.every = 1;

    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Sharpe per window\">\n", CW,
            (int)(g.top + g.h + 34));
    for (size_t w = 0; w < nw; w++)
        if (w % 2 == 1)
            fprintf(f, "<rect class=\"band\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"/>", ML + g.gw * (double)w,
                    g.top, g.gw, g.h);
    svg_yaxis(f, &g.ya, g.top, g.h, "", 1);
    for (size_t w = 0; w < nw; w++)
        bar_group(f, &g, r, w);
    fprintf(f, "<rect class=\"frame\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%.0f\"/>\n", ML, g.top, PW, g.h);
    fputs("</svg>\n<p class=\"hint\">Labels: first day of each test window", f);
    if (g.every > 1)
        fprintf(f, " (every %zu%s window)", g.every, g.every == 2 ? "nd" : g.every == 3 ? "rd" : "th");
    fputs(".", f);
    if (nnan)
        fprintf(f, " Hollow circles on the zero line: Sharpe not computable in that window (%zu "
                   "case%s; hover for the reason).",
                nnan, nnan == 1 ? "" : "s");
    fputs("</p>\n</section>\n", f);
}
