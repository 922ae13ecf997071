#include "venue/profile.h"

#include <string.h>

/* Since 2026 the futures streams are split by path (/public, /market,
 * /private) under the stream host; the futures testnet is being folded into
 * Demo Trading, and the legacy testnet stays selectable. */
static const gd_venue_endpoints profiles[] = {
    {"demo", "https://demo-fapi.binance.com", "wss://demo-fstream.binance.com", 0},
    {"testnet", "https://testnet.binancefuture.com", "wss://fstream.binancefuture.com", 0},
    {"live", "https://fapi.binance.com", "wss://fstream.binance.com", 0},
};

int gd_venue_endpoints_get(const gd_config *cfg, gd_venue_endpoints *out, gd_err *err)
{
    const char *name = cfg->venue_profile ? cfg->venue_profile : "demo";
    const gd_venue_endpoints *p = NULL;
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        if (!strcmp(profiles[i].profile, name))
            p = &profiles[i];
    if (!p)
        return gd_err_set(err, GD_EINVAL, "[venue] profile = %s: unknown (allowed: demo, testnet, live)", name);
    int live = !strcmp(name, "live");
    if (live && cfg->testnet)
        return gd_err_set(err, GD_EINVAL, "[venue] profile = live trades real money: it needs [executor] testnet = "
                          "false (GORDON_EXECUTOR_TESTNET=false)");
    if (!live && !cfg->testnet)
        return gd_err_set(err, GD_EINVAL, "[executor] testnet = false is only for [venue] profile = live (the "
                          "profile is %s)", name);
    if (cfg->mode == GD_MODE_PRODUCTION && !live)
        return gd_err_set(err, GD_EINVAL, "mode = production runs only [venue] profile = live (the profile is %s)",
                          name);
    *out = *p;
    if (cfg->venue_rest_url && cfg->venue_rest_url[0]) {
        out->rest = cfg->venue_rest_url;
        out->overridden = 1;
    }
    if (cfg->venue_ws_url && cfg->venue_ws_url[0]) {
        out->ws = cfg->venue_ws_url;
        out->overridden = 1;
    }
    return 0;
}
