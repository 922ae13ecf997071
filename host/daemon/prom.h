/* The Prometheus text exposition of /metrics: every family of
 * prom_families.h, from the engine's counters and the daemon's own. */
#ifndef GD_PROM_H
#define GD_PROM_H

#include "base/buf.h"
#include "engine/engine.h"

/* The engine's families, then extra (the daemon's own, already formatted)
 * as-is. malloc'd; NULL when out of memory. */
char *gd_prom_exposition(const gd_engine *e, const char *extra);

/* The HELP text of a family in prom_families.h, NULL if it is not one. */
const char *gd_prom_family_help(const char *name);

/* The "# HELP" and "# TYPE" lines of a family, by name. */
void gd_prom_head(gd_buf *b, const char *name);

#endif
