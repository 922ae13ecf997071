/* A breaker's history: its value bar by bar when run alone over recorded
 * data, as preflight's tuning checks need it (the VPIN threshold inside the
 * range VPIN took on the data on record). The engine runs it as it would
 * trade: in sandboxed workers when the configuration isolates plugins. */
#ifndef GD_BREAKER_HIST_H
#define GD_BREAKER_HIST_H

#include <stddef.h>

#include "config/config.h"
#include "db/preflight.h"
#include "plugin/path.h"

/* A gd_pf_history_fn; arg: the gd_plugin_dirs bare plugin names are found in. */
int gd_breaker_history(void *arg, const gd_config *cfg, const gd_plugin_conf *pc, const gd_data_conf *data, size_t n,
                       const char *data_sha256, gd_pf_range *out, char *why, size_t cap);

#endif
