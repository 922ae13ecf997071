/* Claims a 16-byte descriptor: refused (GD_EABI). */
#include <gordon/sdk.h>

#include "noop.h"

static const gordon_plugin desc = {
    .magic = GORDON_PLUGIN_MAGIC,
    .struct_size = 16,
    .abi_major = GORDON_SDK_ABI_MAJOR,
    .abi_minor = GORDON_SDK_ABI_MINOR,
    .kind = GORDON_KIND_STRATEGY,
    .param_size = sizeof(gordon_param),
    .name = "small_struct",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
