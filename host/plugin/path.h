/* Where a plugin's .so is: the one resolver for `run`, reloads, `check` and
 * the ablation. */
#ifndef GD_PLUGIN_PATH_H
#define GD_PLUGIN_PATH_H

#include <stddef.h>

#include "base/err.h"
#include "config/config.h"

/* The file of a [KIND.NAME] section: its resolved path when the config gave
 * one (a value with '/'), else PLUGIN.so in cfg's [gordon] plugin_dir, else
 * in dir (the caller's default: --plugin-dir or gd_default_plugin_dir).
 * GD_ENOENT, naming file:line, when a bare name has no directory to be found
 * in. */
int gd_plugin_resolve(const gd_config *cfg, const gd_plugin_conf *pc, const char *dir, char *buf, size_t cap,
                      gd_err *err);

/* Where bare plugin names are found: cfg's plugin_dir, else <exe dir>/plugins
 * when it exists (a build tree), else the compiled-in default. Writes into
 * buf and returns it. */
const char *gd_default_plugin_dir(const gd_config *cfg, char *buf, size_t cap);

#endif
