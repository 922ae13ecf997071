/* Read-only copies of strings, for handing to code the host does not trust
 * (plugins): one fresh mapping per set, sealed with mprotect, so a write
 * through a cast-away const faults instead of changing the host's copy or
 * whatever lies next to it on the heap. */
#ifndef GD_RODATA_H
#define GD_RODATA_H

#include <stddef.h>

#include "base/err.h"

typedef struct gd_rodata {
    void *base; /* the mapping, or NULL when there was nothing to copy */
    size_t len;
} gd_rodata;

/* Copies the n strings in[] (NULL entries stay NULL in out[]) into one
 * mapping, makes it read-only and points out[i] at the copies. On error
 * nothing is mapped and err says why. */
int gd_rodata_strings(gd_rodata *ro, const char *const *in, size_t n, const char **out, gd_err *err);
void gd_rodata_free(gd_rodata *ro);

#endif
