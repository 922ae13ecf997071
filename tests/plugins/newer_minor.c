/* Built for a newer minor ABI than the host's: refused (GD_EABI). */
#include <gordon/sdk.h>

#include "noop.h"

static const gordon_plugin desc = {
    .magic = GORDON_PLUGIN_MAGIC,
    .struct_size = sizeof(gordon_plugin),
    .abi_major = GORDON_SDK_ABI_MAJOR,
    .abi_minor = GORDON_SDK_ABI_MINOR + 1,
    .kind = GORDON_KIND_STRATEGY,
    .param_size = sizeof(gordon_param),
    .name = "newer_minor",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
