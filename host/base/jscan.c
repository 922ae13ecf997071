#include "base/jscan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct js {
    const char *p, *end, *base;
    int max_depth;
    gd_jscan_fn fn;
    void *arg;
} js;

static int value(js *s, int depth, gd_jspan parent, gd_jval *out);

static void ws(js *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* Four hex digits at p (before end) as a number, or 0x10000 if not. */
static unsigned u16(const char *p, const char *end)
{
    unsigned v = 0;
    if (end - p < 4)
        return 0x10000;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        if (!hex(c))
            return 0x10000;
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* At the opening quote: the characters up to the closing one. */
static int string(js *s, gd_jspan *out, int *escaped)
{
    s->p++;
    const char *start = s->p;
    *escaped = 0;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            out->p = start;
            out->n = (size_t)(s->p - start);
            s->p++;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            *escaped = 1;
            if (++s->p >= s->end)
                return -1;
            char e = *s->p;
            if (e == 'u') {
                unsigned u = u16(s->p + 1, s->end);
                if (u > 0xFFFF || (u >= 0xDC00 && u <= 0xDFFF))
                    return -1; /* not four hex digits, or a lone low surrogate */
                s->p += 4;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    /* A high surrogate pairs with a low one, as cJSON requires. */
                    unsigned lo = s->end - s->p > 2 && s->p[1] == '\\' && s->p[2] == 'u' ? u16(s->p + 3, s->end) : 0;
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return -1;
                    s->p += 6;
                }
            } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
                return -1;
            }
        }
        s->p++;
    }
    return -1;
}

static int digits(js *s)
{
    const char *a = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > a ? 0 : -1;
}

static int number(js *s)
{
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (digits(s) != 0)
        return -1;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (digits(s) != 0)
            return -1;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (digits(s) != 0)
            return -1;
    }
    return 0;
}

static int word(js *s, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

/* At '{': members at depth, held by parent's key. */
static int object(js *s, int depth, gd_jspan parent)
{
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        gd_jspan key;
        int esc;
        gd_jval v;
        ws(s);
        if (s->p >= s->end || *s->p != '"' || string(s, &key, &esc) != 0)
            return -1;
        ws(s);
        if (s->p >= s->end || *s->p != ':')
            return -1;
        s->p++;
        if (value(s, depth + 1, key, &v) != 0)
            return -1;
        if (s->fn)
            s->fn(s->arg, depth, parent, key, &v);
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        return -1;
    }
}

static int array(js *s, int depth, gd_jspan parent)
{
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        gd_jval v;
        if (value(s, depth, parent, &v) != 0)
            return -1;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 0;
        }
        return -1;
    }
}

/* A value whose object members (if it is one) are at depth. */
static int value(js *s, int depth, gd_jspan parent, gd_jval *out)
{
    ws(s);
    if (s->p >= s->end)
        return -1;
    const char *start = s->p;
    int rc;
    out->escaped = 0;
    switch (*s->p) {
    case '{':
        if (depth > s->max_depth)
            return -1;
        out->type = GD_JS_OBJ;
        rc = object(s, depth, parent);
        break;
    case '[':
        if (depth > s->max_depth)
            return -1;
        out->type = GD_JS_ARR;
        rc = array(s, depth + 1, parent);
        break;
    case '"': out->type = GD_JS_STR; return string(s, &out->text, &out->escaped);
    case 't':
        out->type = GD_JS_TRUE;
        rc = word(s, "true");
        break;
    case 'f':
        out->type = GD_JS_FALSE;
        rc = word(s, "false");
        break;
    case 'n':
        out->type = GD_JS_NULL;
        rc = word(s, "null");
        break;
    default:
        out->type = GD_JS_NUM;
        rc = number(s);
        break;
    }
    out->text.p = start;
    out->text.n = (size_t)(s->p - start);
    return rc;
}

int gd_jscan(const char *text, size_t len, int max_depth, gd_jscan_fn fn, void *arg, size_t *err_off)
{
    js s = {text, text + len, text, max_depth, fn, arg};
    gd_jval v;
    gd_jspan none = {text, 0};
    int rc = value(&s, 0, none, &v);
    if (rc == 0) {
        ws(&s);
        if (s.p != s.end)
            rc = -1;
    }
    if (rc && err_off)
        *err_off = (size_t)(s.p - s.base);
    return rc;
}

int gd_jspan_eq(gd_jspan s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

double gd_jval_num(const gd_jval *v)
{
    char buf[64];
    if ((v->type != GD_JS_NUM && v->type != GD_JS_STR) || v->text.n == 0 || v->text.n >= sizeof buf)
        return NAN;
    memcpy(buf, v->text.p, v->text.n);
    buf[v->text.n] = '\0';
    if (v->type == GD_JS_STR) {
        /* Exactly one JSON number, nothing around it. */
        js s = {buf, buf + v->text.n, buf, 0, NULL, NULL};
        if (number(&s) != 0 || s.p != s.end)
            return NAN;
    }
    return strtod(buf, NULL);
}
