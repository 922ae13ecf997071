/* Binance's endpoints by profile ([venue] profile), and the rule that ties
 * them to the mode: only `live` trades real money, only with [executor]
 * testnet = false (GORDON_EXECUTOR_TESTNET=false), and production runs
 * nothing but `live`. */
#ifndef GD_VENUE_PROFILE_H
#define GD_VENUE_PROFILE_H

#include "base/err.h"
#include "config/config.h"

typedef struct gd_venue_endpoints {
    const char *profile;   /* "demo", "testnet", "live" */
    const char *rest;      /* base URL of the REST API */
    const char *ws;        /* base URL of the streams */
    int overridden;        /* rest_url or ws_url replaced the profile's */
} gd_venue_endpoints;

/* Resolves cfg's profile (default demo) and overrides; GD_EINVAL naming the
 * keys when profile, testnet and mode disagree. The strings live as long as
 * cfg. */
int gd_venue_endpoints_get(const gd_config *cfg, gd_venue_endpoints *out, gd_err *err);

#endif
