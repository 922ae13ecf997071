/* Read-only views of a running engine: the operator API's JSON documents
 * and the human summary printed at the end of a run. */
#ifndef GD_VIEWS_H
#define GD_VIEWS_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"

/* The risk state as a cJSON object (the caller deletes it). */
cJSON *gd_view_risk(const gd_engine *e);

/* JSON documents (malloc'd, NULL when out of memory). */
/* x: the venue executor (each position then says whether its stop is
 * confirmed working at the venue), or NULL. */
struct gd_vexec;
char *gd_view_positions_json(const gd_engine *e, const struct gd_vexec *x);
/* The latest intents and fills, newest first (engine rings of GD_RECENT). */
char *gd_view_intents_json(const gd_engine *e);
char *gd_view_fills_json(const gd_engine *e);
/* GET /strategies: each running strategy and its quarantine (null if none). */
char *gd_view_strategies_json(const gd_engine *e);
char *gd_view_risk_json(const gd_engine *e);

/* Trades, PnL, drawdown, rejections, the latch and the breakers. */
void gd_view_summary(const gd_engine *e, FILE *out);

#endif
