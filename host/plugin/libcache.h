/* The plugin library cache: every .so the daemon runs is a private,
 * content-addressed copy, linted, hashed and loaded once, and shared by the
 * generations (and, in an ablation, the engines) that use it.
 *
 * glibc returns the already-loaded object for a path (or inode) it has seen,
 * so a rebuilt .so at the same path would not load: each distinct content
 * gets its own copy, <name>.<sha256>.so, in a fresh 0700 directory of this
 * process. A copy is also safe from an operator overwriting the original in
 * place, and what is hashed is exactly what is loaded. */
#ifndef GD_LIBCACHE_H
#define GD_LIBCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "plugin/loader.h"

typedef struct gd_libcache gd_libcache;

int gd_libcache_new(gd_libcache **out, gd_err *err);
/* Closes every library and removes the private directory. */
void gd_libcache_free(gd_libcache *c);

/* Opens path (one reference): copies it, hashes the copy, and returns the
 * library already loaded with that content, or lints and loads the copy.
 * Errors name path, the file the operator knows. */
int gd_libcache_open(gd_libcache *c, const char *path, gd_plugin_lib **out, gd_err *err);
/* Drops one reference; the last closes the library and deletes its copy. */
void gd_libcache_release(gd_libcache *c, gd_plugin_lib *lib);
/* The library opened from exactly this path string, or NULL. No I/O and no
 * change: safe from worker threads on a cache nobody opens into any more. */
gd_plugin_lib *gd_libcache_find(const gd_libcache *c, const char *path);

/* From now on the cache maps no plugin code: a sacrificial worker (wc,
 * copied) describes each library, and instances run in workers. */
struct gd_worker_conf;
void gd_libcache_isolate(gd_libcache *c, const struct gd_worker_conf *wc);

/* Libraries loaded and refused since the cache was made. */
void gd_libcache_counts(const gd_libcache *c, uint64_t *loaded, uint64_t *failed);

/* GD_EEXIST naming both files if another of libs (not lib itself) has the
 * same descriptor name: one name, one plugin, in a set that runs together. */
int gd_plugin_name_unique(gd_plugin_lib *const *libs, size_t n, const gd_plugin_lib *lib, gd_err *err);

#endif
