#include "base/json.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

size_t gd_utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return c ? 1 : 0;
    size_t n;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

size_t gd_json_escape(char *buf, size_t cap, const char *s)
{
    size_t n = 0, written = 0;
    int full = cap == 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        char tmp[8];
        const char *rep = (const char *)p;
        size_t len = 1, adv = 1;
        switch (*p) {
        case '"': rep = "\\\"", len = 2; break;
        case '\\': rep = "\\\\", len = 2; break;
        case '\n': rep = "\\n", len = 2; break;
        case '\r': rep = "\\r", len = 2; break;
        case '\t': rep = "\\t", len = 2; break;
        default:
            if (*p < 0x20) {
                len = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", *p);
                rep = tmp;
            } else if (*p >= 0x80) {
                adv = gd_utf8_seq(p);
                if (adv == 0) { /* one bad byte, one replacement */
                    rep = replacement, len = 3, adv = 1;
                } else {
                    len = adv;
                }
            }
        }
        /* Whole units only: once one does not fit, nothing after it is
         * written either, so the output never has a gap or half an escape. */
        if (!full && written + len < cap) {
            memcpy(buf + written, rep, len);
            written += len;
        } else {
            full = 1;
        }
        n += len;
        p += adv;
    }
    if (cap)
        buf[written] = '\0';
    return n;
}

char *gd_utf8_copy(char *buf, size_t cap, const char *s)
{
    size_t w = 0;
    if (!cap)
        return buf;
    if (s) {
        /* The usual text is ASCII (a tag, an overlay's reason, once per
         * signal): found so eight bytes at a time, then copied whole. */
        size_t len = strnlen(s, cap - 1), i = 0;
        for (uint64_t x; i + 8 <= len; i += 8) {
            memcpy(&x, s + i, 8);
            if (x & 0x8080808080808080ull)
                break;
        }
        while (i < len && !((unsigned char)s[i] & 0x80))
            i++;
        if (i == len) {
            memmove(buf, s, len); /* in place is allowed, as below */
            buf[len] = '\0';
            return buf;
        }
    }
    for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
        if (*p < 0x80) { /* ASCII, the usual text: no decoding */
            if (w + 1 >= cap)
                break;
            buf[w++] = (char)*p++;
            continue;
        }
        size_t adv = gd_utf8_seq(p), len = adv;
        const char *rep = (const char *)p;
        if (adv == 0)
            rep = replacement, len = 3, adv = 1;
        if (w + len >= cap)
            break;
        memcpy(buf + w, rep, len);
        w += len;
        p += adv;
    }
    buf[w] = '\0';
    return buf;
}

/* A decimal of at most 15 significant digits between 1e-4 and 1e15 (a
 * price, most amounts) as %.15g prints it, without printf: when v is the
 * double nearest n / 10^k with n < 10^15, rounding v to 15 digits gives that
 * decimal back, and the first such k has no trailing zero. 0 if v is not
 * one (the caller formats it the slow way). */
/* m's decimal digits written backwards to end at end, at least width of
 * them (leading zeros): where they start. */
static char *digits_back(char *end, uint64_t m, ptrdiff_t width)
{
    char *p = end;
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m || end - p < width);
    return p;
}

static size_t short_decimal(char *out, double v)
{
    static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    for (int k = 1; k <= 15; k++) {
        double s = a * p10[k];
        if (s >= 1e15)
            return 0;
        double r = floor(s + 0.5);
        if (r / p10[k] != a)
            continue;
        uint64_t n = (uint64_t)r, ip = n / (uint64_t)p10[k], fp = n % (uint64_t)p10[k];
        char t[40], *end = t + sizeof t;
        char *p = digits_back(end, fp, k);
        *--p = '.';
        p = digits_back(p, ip, 1);
        if (v < 0)
            *--p = '-';
        memcpy(out, p, (size_t)(end - p));
        return (size_t)(end - p);
    }
    return 0;
}

int gd_json_number(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        return snprintf(buf, cap, "null");
    char tmp[40];
    /* Whole numbers below 2^53 (quantities, counts) print exactly as
     * integers: no printf, no strtod (journal records format many). */
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v && !(v == 0 && signbit(v))) {
        long long x = (long long)v;
        uint64_t m = x < 0 ? (uint64_t)-x : (uint64_t)x;
        char *end = tmp + sizeof tmp, *p = digits_back(end, m, 1);
        if (x < 0)
            *--p = '-';
        size_t n = (size_t)(end - p);
        if (cap) {
            size_t k = n < cap - 1 ? n : cap - 1;
            memcpy(buf, p, k);
            buf[k] = '\0';
        }
        return (int)n;
    }
    int n = (int)short_decimal(tmp, v);
    /* From 1 up, short_decimal tried every form of 15 significant digits
     * or fewer (they have at most 14 decimals): printf starts at 16. */
    double a = fabs(v);
    if (n)
        tmp[n] = '\0';
    else
        for (int prec = a >= 1.0 && a < 1e15 ? 16 : 15; prec <= 17; prec++) {
            n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
            if (prec == 17 || strtod(tmp, NULL) == v)
                break;
        }
    if (cap) {
        size_t k = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
        memcpy(buf, tmp, k);
        buf[k] = '\0';
    }
    return n;
}
