/* Kind 7 does not exist: refused (GD_EINVAL). */
#include <gordon/sdk.h>

#include "noop.h"

static const gordon_plugin desc = {
    .magic = GORDON_PLUGIN_MAGIC,
    .struct_size = sizeof(gordon_plugin),
    .abi_major = GORDON_SDK_ABI_MAJOR,
    .abi_minor = GORDON_SDK_ABI_MINOR,
    .kind = 7,
    .param_size = sizeof(gordon_param),
    .name = "bad_kind",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
