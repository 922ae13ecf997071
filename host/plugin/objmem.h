/* The memory of a loaded plugin: its readable PT_LOAD segments, found once
 * after dlopen, so that a pointer the plugin hands the host (its descriptor,
 * parameter table, strings) can be checked before anything reads through it.
 * A plugin's data is untrusted input: a wrong count or a stray pointer must
 * be refused with a message, never followed into a SEGV or an over-read. */
#ifndef GD_OBJMEM_H
#define GD_OBJMEM_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* More than any linker makes (usually 4: r, rx, r, rw); after merging. */
#define GD_OBJMEM_MAX_SEGS 16

typedef struct gd_objmem_seg {
    uintptr_t lo, hi; /* [lo, hi): l_addr + p_vaddr, + p_memsz */
} gd_objmem_seg;

/* Readable segments, sorted, touching ones merged: a range is inside the
 * object exactly when it lies within one of them. */
typedef struct gd_objmem {
    gd_objmem_seg seg[GD_OBJMEM_MAX_SEGS];
    size_t n;
} gd_objmem;

/* The readable PT_LOAD segments of the object behind a dlopen handle
 * (dlopen(NULL) gives the program itself). */
int gd_objmem_init(gd_objmem *m, void *handle, gd_err *err);

/* 1 if [p, p + len) lies inside the object's readable memory (len 0 is
 * treated as 1), else 0. Reads nothing. m NULL means memory the caller
 * vouches for (host data, as in unit tests): only NULL is refused. */
int gd_objmem_range_ok(const gd_objmem *m, const void *p, size_t len);

/* Copies len bytes at src, which the caller checked with
 * gd_objmem_range_ok, without AddressSanitizer's view of the plugin's
 * objects (its redzones are mapped memory; the plugin's sizes are what is
 * being checked). */
void gd_objmem_read(void *dst, const void *src, size_t len);

/* Scans at most max + 1 bytes from p for a NUL, touching only bytes inside
 * m. Returns 1 with *len = the string's length, or max + 1 when there is no
 * NUL in those bytes (all of them readable, so a reader bounded to max + 1
 * bytes is safe); 0 if p is NULL or the scan would leave the object. */
int gd_objmem_strnlen(const gd_objmem *m, const void *p, size_t max, size_t *len);

/* p as a NUL-terminated string of at most max bytes inside m, or NULL with
 * err saying what is wrong, worded to follow a field name: "is NULL", "is
 * not a NUL-terminated string within the plugin (at most 63 bytes): ...".
 * The code is GD_EINVAL. */
const char *gd_objmem_string(const gd_objmem *m, const void *p, size_t max, gd_err *err);

#endif
