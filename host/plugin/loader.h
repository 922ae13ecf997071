/* Plugin loader: dlopen, ABI and size checks of the descriptor. */
#ifndef GD_LOADER_H
#define GD_LOADER_H

#include <stdio.h>

#include <gordon/sdk.h>

#include "base/err.h"
#include "base/names.h"
#include "plugin/objmem.h"

/* Longest strings a descriptor may hold, in bytes before the NUL. Each must
 * be NUL-terminated within that many bytes inside the plugin's own memory,
 * or the plugin is refused naming the field. Names also match [a-z0-9_]. */
#define GD_PLUGIN_NAME_MAX GD_NAME_MAX       /* gordon_plugin.name: 63 */
#define GD_PLUGIN_VERSION_MAX 63u            /* gordon_plugin.version, not empty */
#define GD_PLUGIN_DESCRIPTION_MAX 1023u      /* gordon_plugin.description (optional) */
#define GD_PARAM_NAME_MAX GD_NAME_MAX        /* gordon_param.name: 63 */
#define GD_PARAM_DEF_STR_MAX 1023u           /* gordon_param.def_str (optional) */
#define GD_PARAM_HELP_MAX 1023u              /* gordon_param.help (optional) */

typedef struct gd_plugin_lib {
    char *path;                 /* owned: the file loaded (a private copy, under the cache) */
    char *origin;               /* owned: the path it was opened from, as the operator wrote it */
    void *handle;               /* dlopen handle; NULL for validated-only descriptors */
    const gordon_plugin *desc;  /* the plugin's own descriptor (plugin memory) */
    gordon_plugin d;            /* host copy; fields past desc->struct_size are zero */
    char sha256_hex[65];        /* of the file's contents */
    gd_objmem mem;              /* the object's readable segments: what desc may point into */
    /* Isolated mode: a descriptor a worker sent, rebuilt in host memory (no
     * handle, no plugin memory): the strings and params d points to. */
    char **owned_strs;
    size_t n_owned_strs;
    gordon_param *owned_params;
    uint32_t worker_callbacks;  /* GD_WCB_* (plugin/wire.h): what the plugin has */
    int worker_landlock;        /* the describing worker ran under Landlock */
} gd_plugin_lib;

/* Checks a descriptor: magic, major equal, minor not newer, struct_size
 * covering the v1 fields, kind, name syntax, string lengths, callbacks the
 * kind requires, param declarations. Copies it zero-extended into *copy.
 * mem bounds every read through the descriptor: the descriptor itself, the
 * params table and every string must lie inside it. mem NULL trusts the
 * pointers (descriptors in host memory, for unit tests); a plugin's
 * descriptor is always checked against its object (gd_loader_load). */
int gd_loader_validate_in(const gd_objmem *mem, const gordon_plugin *desc, gordon_plugin *copy,
                          gd_err *err);
/* gd_loader_validate_in(NULL, ...): host memory only. */
int gd_loader_validate(const gordon_plugin *desc, gordon_plugin *copy, gd_err *err);

/* 1 if [p, p + len) lies in the plugin's readable memory (lib->mem), else 0.
 * Reads nothing. */
int gd_plugin_range_ok(const gd_plugin_lib *lib, const void *p, size_t len);
/* p if it is a NUL-terminated string of at most max bytes in the plugin's
 * memory; else NULL and err says why, worded to follow a field name. */
const char *gd_plugin_string(const gd_plugin_lib *lib, const void *p, size_t max, gd_err *err);

/* Lint, sha256, then gd_loader_load: for a file used in place (`gordon
 * plugin check`, tests). The daemon loads through the library cache. */
int gd_loader_open(const char *path, gd_plugin_lib *out, gd_err *err);
/* dlopen(RTLD_NOW|RTLD_LOCAL), the object's segments, entry symbol,
 * validate within them, for a file the caller already linted and hashed
 * (sha256_hex: 64 hex digits). */
int gd_loader_load(const char *path, const char *origin, const char *sha256_hex, gd_plugin_lib *out,
                   gd_err *err);
void gd_loader_close(gd_plugin_lib *lib);

/* Human-readable descriptor dump for `gordon plugin check`, of a loaded
 * (validated) lib; strings and params are re-checked against lib->mem. */
void gd_loader_describe(const gd_plugin_lib *lib, FILE *out);

#endif
