/* Issue 11: n_params says 200 but the table has one entry. Past it lies
 * junk whose "name" pointers point nowhere, which the host used to follow
 * into a SEGV. The junk is part of the same object, so the table's extent is
 * the plugin's memory and param 1's name is what is refused (GD_EINVAL). */
#include <stdint.h>

#include <gordon/sdk.h>

#include "noop.h"

#define HOSTILE_N_PARAMS 200u

/* Writable, so the entry function can fill the junk: a static initialiser
 * of 200 entries' worth of garbage would need a GNU range designator. */
static struct {
    gordon_param real[1];
    uintptr_t junk[(HOSTILE_N_PARAMS - 1) * sizeof(gordon_param) / sizeof(uintptr_t)];
} table = {
    .real = {{.name = "period", .type = GORDON_PARAM_INT, .def = 10, .min = 2, .max = 50,
              .help = "the one real entry"}},
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_params_count",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .params = table.real,
    .n_params = HOSTILE_N_PARAMS,
};

GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void);
GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void)
{
    /* Non-canonical and low addresses alternately: either faults if read. */
    for (size_t i = 0; i < sizeof table.junk / sizeof table.junk[0]; i++)
        table.junk[i] = i % 2 ? (uintptr_t)16 : (uintptr_t)0xdeadbeefdeadbeefull;
    return &desc;
}
