#include "base/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

int gd_buf_reserve(gd_buf *b, size_t extra)
{
    if (b->failed)
        return GD_ENOMEM;
    if (extra > SIZE_MAX - b->len - 1)
        goto fail;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->p, cap);
    if (!p)
        goto fail;
    b->p = p;
    b->cap = cap;
    return 0;
fail:
    b->failed = 1;
    return GD_ENOMEM;
}

int gd_buf_append(gd_buf *b, const void *data, size_t n)
{
    int rc = gd_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int gd_buf_puts(gd_buf *b, const char *s) { return gd_buf_append(b, s, strlen(s)); }

int gd_buf_printf(gd_buf *b, const char *fmt, ...)
{
    va_list ap;
    if (b->failed)
        return GD_ENOMEM;
    for (;;) {
        size_t room = b->cap > b->len ? b->cap - b->len : 0;
        va_start(ap, fmt);
        int k = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->failed = 1;
            if (b->p)
                b->p[b->len] = '\0'; /* vsnprintf may have written a partial text */
            return GD_ENOMEM;
        }
        if ((size_t)k < room) {
            b->len += (size_t)k;
            return 0;
        }
        int rc = gd_buf_reserve(b, (size_t)k);
        if (rc) {
            if (b->p)
                b->p[b->len] = '\0';
            return rc;
        }
    }
}

void gd_buf_clear(gd_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->p)
        b->p[0] = '\0';
}

void gd_buf_truncate(gd_buf *b, size_t len)
{
    if (len < b->len)
        b->len = len;
    b->failed = 0;
    if (b->p)
        b->p[b->len] = '\0';
}

char *gd_buf_take(gd_buf *b)
{
    char *s = b->failed ? NULL : b->p ? b->p : strdup("");
    if (b->failed)
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
    return s;
}

void gd_buf_free(gd_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
