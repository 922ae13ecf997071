/* Issue 11: params is a bogus address (4096, the page above NULL). Refused
 * (GD_EINVAL) before any declaration is read. */
#include <stdint.h>

#include <gordon/sdk.h>

#include "noop.h"

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_params_bogus",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .params = (const gordon_param *)(uintptr_t)4096u,
    .n_params = 3,
};

GORDON_PLUGIN_ENTRY(desc)
