/* Issue 11: a string param's default points at the top of the address
 * space, not the plugin's memory; the descriptor's own strings are fine.
 * Refused (GD_EINVAL) naming the param and def_str. */
#include <stdint.h>

#include <gordon/sdk.h>

#include "noop.h"

static const gordon_param params[] = {
    {.name = "period", .type = GORDON_PARAM_INT, .def = 10, .min = 2, .max = 50, .help = "ok"},
    {.name = "label", .type = GORDON_PARAM_STRING, .def_str = (const char *)(UINTPTR_MAX - 15u),
     .help = "a default nobody can read"},
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_param_strings",
    .version = "1.0",
    .description = "a valid description",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .params = params,
    .n_params = 2,
};

GORDON_PLUGIN_ENTRY(desc)
