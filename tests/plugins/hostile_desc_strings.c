/* Issue 11: the description points at address 16 and a param's help at
 * the top of the address space, neither of them the plugin's memory.
 * Refused (GD_EINVAL) at the description, the first of them checked. */
#include <stdint.h>

#include <gordon/sdk.h>

#include "noop.h"

static const gordon_param params[] = {
    {.name = "period", .type = GORDON_PARAM_INT, .def = 10, .min = 2, .max = 50,
     .help = (const char *)(UINTPTR_MAX - 15u)},
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_desc_strings",
    .version = "1.0",
    .description = (const char *)(uintptr_t)16u,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .params = params,
    .n_params = 1,
};

GORDON_PLUGIN_ENTRY(desc)
