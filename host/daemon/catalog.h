/* The plugin catalogue the console picks bots from: every .so in the plugin
 * directories, each described (kind, version, hash, declared parameters) by
 * a sacrificial sandboxed worker on the threadpool, so the daemon maps no
 * code of a plugin nobody runs yet. A file is described again only when it
 * changes (device, inode, size or modification time). */
#ifndef GD_CATALOG_H
#define GD_CATALOG_H

#include <uv.h>

#include "base/err.h"
#include "config/config.h"
#include "plugin/path.h"

typedef struct gd_catalog gd_catalog;

int gd_catalog_new(uv_loop_t *loop, gd_catalog **out, gd_err *err);
/* On the loop thread: rescans the directories (pd's first folders, cfg's
 * plugin_dir, pd's last; the first holding a name wins) and queues one job
 * describing every new or changed file, unless a job is running (the next
 * call rescans). cfg says how the describing worker runs ([isolation]). */
void gd_catalog_refresh(gd_catalog *c, const gd_plugin_dirs *pd, const gd_config *cfg);
/* [{"name": file name without .so, "pending": true} |
 *  {"name", "error"} |
 *  {"name", "plugin", "kind", "version", "description", "sha256",
 *   "params": [{"name", "type", "default", "min"?, "max"?, "step"?, "tunable", "help"}]}],
 * sorted by name; NULL out of memory. The caller frees. */
char *gd_catalog_json(const gd_catalog *c);
/* Frees c, at once or when its running job ends. */
void gd_catalog_free(gd_catalog *c);

#endif
