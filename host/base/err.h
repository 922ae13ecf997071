/* Error codes and the caller-supplied error buffer used across the host. */
#ifndef GD_ERR_H
#define GD_ERR_H

#include <stddef.h>

enum {
    GD_OK = 0,
    GD_EINVAL = -1,     /* bad argument or bad input (config, CSV, request) */
    GD_ENOMEM = -2,
    GD_EIO = -3,        /* a read, write or fsync failed */
    GD_ENOENT = -4,     /* file or name not found */
    GD_EPARSE = -5,     /* syntax error in an input file */
    GD_EABI = -6,       /* plugin ABI mismatch, bad magic, struct too small */
    GD_EFORBIDDEN = -7, /* plugin imports a forbidden symbol */
    GD_EEXIST = -8,     /* duplicate name */
    GD_ESTATE = -9,     /* operation not valid in the current state */
    GD_ERANGE = -10,    /* value out of its allowed range */
    GD_EPLUGIN = -11,   /* a plugin callback reported failure */
    GD_EPERM = -12,     /* not authorised (an operator token missing or refused) */
    GD_ECANCELED = -13, /* stopped on request (a signal during a load) */
    GD_EPROTO = -14,    /* a peer (a plugin worker) broke the protocol */
    GD_ETIMEDOUT = -15  /* a peer did not answer in time */
};

/* Callers own the buffer; functions write a message naming file/line/field. */
typedef struct gd_err {
    char msg[1024];
} gd_err;

/* Formats into err (if non-NULL) and returns code, so callers can write
 * `return gd_err_set(err, GD_EINVAL, "%s:%d: ...", ...);`. */
int gd_err_set(gd_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with more context ("file: " + old). */
int gd_err_prefix(gd_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

const char *gd_strerror(int code);

#endif
