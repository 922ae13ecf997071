#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int gd_err_set(gd_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int gd_err_prefix(gd_err *err, int code, const char *fmt, ...)
{
    if (err) {
        char old[sizeof err->msg];
        char pre[sizeof err->msg];
        va_list ap;
        memcpy(old, err->msg, sizeof old);
        va_start(ap, fmt);
        vsnprintf(pre, sizeof pre, fmt, ap);
        va_end(ap);
        /* Truncation is fine: the prefix (where) matters most. */
        size_t n = strlen(pre);
        if (n >= sizeof err->msg)
            n = sizeof err->msg - 1;
        memcpy(err->msg, pre, n);
        size_t rest = sizeof err->msg - 1 - n;
        size_t m = strlen(old);
        if (m > rest)
            m = rest;
        memcpy(err->msg + n, old, m);
        err->msg[n + m] = '\0';
    }
    return code;
}

const char *gd_strerror(int code)
{
    switch (code) {
    case GD_OK: return "ok";
    case GD_EINVAL: return "invalid input";
    case GD_ENOMEM: return "out of memory";
    case GD_EIO: return "i/o error";
    case GD_ENOENT: return "not found";
    case GD_EPARSE: return "parse error";
    case GD_EABI: return "ABI mismatch";
    case GD_EFORBIDDEN: return "forbidden";
    case GD_EEXIST: return "already exists";
    case GD_ESTATE: return "invalid state";
    case GD_ERANGE: return "out of range";
    case GD_EPLUGIN: return "plugin failure";
    case GD_EPERM: return "not authorised";
    case GD_ECANCELED: return "cancelled";
    case GD_EPROTO: return "protocol violation";
    case GD_ETIMEDOUT: return "timed out";
    default: return "unknown error";
    }
}
