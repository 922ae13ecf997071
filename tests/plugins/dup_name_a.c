/* Same descriptor name as dup_name_b: a set refuses the second (GD_EEXIST). */
#include <gordon/sdk.h>

#include "noop.h"

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "dup_name",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
