/* Exports a descriptor under the wrong symbol: refused (GD_EABI). */
#include <gordon/sdk.h>

#include "noop.h"

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "no_entry",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v0(void);
GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v0(void) { return &desc; }
