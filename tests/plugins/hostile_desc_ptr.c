/* Issue 11: the entry function returns a pointer 8 bytes before the end of
 * the plugin's memory (_end), so even the descriptor's header runs past the
 * mapping. Refused (GD_EINVAL) before the magic is read. */
#include <stdint.h>

#include <gordon/sdk.h>

/* Hidden: the plugin's own _end, bound at link time, never the program's. */
extern char _end[] __attribute__((visibility("hidden")));

GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void);
GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void)
{
    /* As an integer: _end - 8 as array arithmetic draws -Warray-bounds. */
    return (const gordon_plugin *)((uintptr_t)_end - 8u);
}
