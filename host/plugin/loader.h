/* Plugin loader: dlopen, ABI and size checks of the descriptor. */
#ifndef GD_LOADER_H
#define GD_LOADER_H

#include <stdio.h>

#include <gordon/sdk.h>

#include "base/err.h"

typedef struct gd_plugin_lib {
    char *path;                 /* owned: the file loaded (a private copy, under the cache) */
    char *origin;               /* owned: the path it was opened from, as the operator wrote it */
    void *handle;               /* dlopen handle; NULL for validated-only descriptors */
    const gordon_plugin *desc;  /* the plugin's own descriptor (plugin memory) */
    gordon_plugin d;            /* host copy; fields past desc->struct_size are zero */
    char sha256_hex[65];        /* of the file's contents */
} gd_plugin_lib;

/* Checks a descriptor: magic, major equal, minor not newer, struct_size
 * covering the v1 fields, kind, name syntax, callbacks the kind requires,
 * param declarations. Copies it zero-extended into *copy. */
int gd_loader_validate(const gordon_plugin *desc, gordon_plugin *copy, gd_err *err);

/* Lint, sha256, then gd_loader_load: for a file used in place (`gordon
 * plugin check`, tests). The daemon loads through the library cache. */
int gd_loader_open(const char *path, gd_plugin_lib *out, gd_err *err);
/* dlopen(RTLD_NOW|RTLD_LOCAL), entry symbol, validate, for a file the
 * caller already linted and hashed (sha256_hex: 64 hex digits). */
int gd_loader_load(const char *path, const char *origin, const char *sha256_hex, gd_plugin_lib *out,
                   gd_err *err);
void gd_loader_close(gd_plugin_lib *lib);

/* Human-readable descriptor dump for `gordon plugin check`. */
void gd_loader_describe(const gd_plugin_lib *lib, FILE *out);

#endif
