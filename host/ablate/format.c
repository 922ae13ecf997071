/* Text for people, shared by the terminal table and report.html: HTML
 * escaping, numbers with fixed formats (so one result always renders to the
 * same bytes), UTC dates, and a metric's value with its unit. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ablate/ablate_int.h"
#include "base/dates.h"

void gd_ab_esc_n(FILE *f, const char *s, size_t max)
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

void gd_ab_esc(FILE *f, const char *s)
{
    gd_ab_esc_n(f, s, SIZE_MAX);
}

void gd_ab_fmt_num(char *buf, size_t cap, double v, int decimals, int sep, int plus)
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

void gd_ab_fmt_u64(char *buf, size_t cap, uint64_t v)
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
    switch (gd_metric_unit(metric)) {
    case GD_MU_COUNT:
        gd_ab_fmt_num(buf, cap, v, 0, 0, 0);
        break;
    case GD_MU_PCT:
        gd_ab_fmt_num(tmp, sizeof tmp, v, 2, 0, 0);
        snprintf(buf, cap, "%s%%", tmp);
        break;
    case GD_MU_RATIO:
        gd_ab_fmt_num(buf, cap, v, 2, 0, 0);
        break;
    case GD_MU_MONEY:
        gd_ab_fmt_num(buf, cap, v, 2, 1, 0);
        break;
    case GD_MU_DAYS:
        gd_ab_fmt_num(buf, cap, v, 1, 0, 0);
        break;
    default:
        snprintf(buf, cap, "%.4g", v);
        break;
    }
}

void gd_ab_fmt_date(char *buf, size_t cap, int64_t ms)
{
    int64_t y;
    unsigned m, d;
    gd_civil_from_days(gd_day_index(ms), &y, &m, &d);
    snprintf(buf, cap, "%04" PRId64 "-%02u-%02u", y, m, d);
}

void gd_ab_fmt_days(char *buf, size_t cap, int64_t ms)
{
    if (ms % GD_DAY_MS == 0)
        snprintf(buf, cap, "%" PRId64 " days", ms / GD_DAY_MS);
    else
        snprintf(buf, cap, "%.1f days", (double)ms / (double)GD_DAY_MS);
}
