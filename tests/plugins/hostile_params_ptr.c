/* Issue 11: params points 16 bytes before the end of the plugin's memory
 * (_end, where the linker ends its last segment), so two declarations run
 * past the mapping. Refused (GD_EINVAL): the table is not the plugin's. */
#include <stdint.h>

#include <gordon/sdk.h>

#include "noop.h"

/* Hidden: the plugin's own _end, bound at link time, never the program's. */
extern char _end[] __attribute__((visibility("hidden")));

/* Writable: the entry function points params, as an integer, since _end - 16
 * as array arithmetic is out of the array's bounds to a compiler. */
static gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_params_ptr",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .n_params = 2,
};

GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void);
GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void)
{
    desc.params = (const gordon_param *)((uintptr_t)_end - 16u);
    return &desc;
}
