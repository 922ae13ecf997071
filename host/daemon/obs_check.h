/* The pre-live checklist's observability items (issue 16), added to a
 * preflight run: the shipped alert rules loaded in a running Prometheus
 * and covering every metric family /metrics exports; the Grafana dashboard
 * with a panel for every family and none for a family gone; a line from
 * gordon in the log store (Loki, else the systemd journal) within the last
 * 5 minutes; and a passed `make e2e` recorded at this very version. */
#ifndef GD_OBS_CHECK_H
#define GD_OBS_CHECK_H

#include <stdint.h>

#include "config/config.h"
#include "db/preflight.h"

void gd_obs_check(const gd_config *cfg, const char *version, int64_t now_ms, gd_pf *r);

#endif
