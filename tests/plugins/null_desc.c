/* The entry point returns NULL: refused (GD_EPLUGIN). */
#include <gordon/sdk.h>

#include "noop.h"
#include <stddef.h>

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "null_desc",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void);
GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void)
{
    /* Always NULL; desc is referenced only to keep the file warning-free. */
    return desc.magic == 0 ? &desc : NULL;
}
