/* Issue 11: a well-formed header whose struct_size (60000, under the 64 KiB
 * plausibility limit) claims far more than the plugin's memory holds after
 * the descriptor. Refused (GD_EINVAL) before the rest is copied. */
#include <gordon/sdk.h>

#include "noop.h"

/* Writable: GORDON_PLUGIN_HEADER sets struct_size, and overriding it in the
 * initialiser draws a warning, so the entry function does. */
static gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_desc_size",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void);
GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void)
{
    desc.struct_size = 60000u;
    return &desc;
}
