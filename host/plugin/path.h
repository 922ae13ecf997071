/* Where a plugin's .so is: the one resolver for `run`, reloads, `check` and
 * the ablation. */
#ifndef GD_PLUGIN_PATH_H
#define GD_PLUGIN_PATH_H

#include <stddef.h>

#include "base/err.h"
#include "config/config.h"

/* The folders a bare plugin name is looked up in, in this order: the
 * command line's (--plugin-dir, repeatable, as given), then the
 * configuration's [gordon] plugin_dir (read from the config being resolved,
 * so a reload that changes it takes effect), then the bundled folder. A
 * list, never a joined string: a folder's path may contain ':'. Pointers
 * are borrowed. */
typedef struct gd_plugin_dirs {
    const char *const *first; /* the command line's folders, in order */
    size_t n_first;
    const char *last;         /* the bundled folder (gd_default_plugin_dir), or NULL */
} gd_plugin_dirs;

/* The file of a [KIND.NAME] section: its resolved path when the config gave
 * one (a value with '/'), else the first PLUGIN.so found in dirs' folders
 * and cfg's plugin_dir, in the order above. GD_ENOENT, naming file:line and
 * every path tried, when no folder holds it or there is no folder. */
int gd_plugin_resolve(const gd_config *cfg, const gd_plugin_conf *pc, const gd_plugin_dirs *dirs, char *buf,
                      size_t cap, gd_err *err);

/* The bundled plugin folder: <exe dir>/plugins when it exists (a build
 * tree), else PREFIX/LIBDIR/gordon/plugins for an install into a prefix,
 * else the compiled-in default. Writes into buf and returns it. */
const char *gd_default_plugin_dir(char *buf, size_t cap);

#endif
