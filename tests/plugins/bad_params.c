/* A param default outside [min, max]: refused (GD_EINVAL). */
#include <gordon/sdk.h>

#include "noop.h"

static const gordon_param params[] = {
    {.name = "period", .type = GORDON_PARAM_INT, .def = 100, .min = 2, .max = 50, .help = "x"},
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "bad_params",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .params = params,
    .n_params = 1,
};

GORDON_PLUGIN_ENTRY(desc)
