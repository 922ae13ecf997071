/* Issue 11: the version is a char array with no NUL, and no NUL follows it
 * for 4 KiB, so reading it as a string over-reads. Refused (GD_EINVAL): the
 * version must end within 63 bytes. The tail is in the same object, so the
 * bytes the host scans are the plugin's own. */
#include <stdint.h>
#include <string.h>

#include <gordon/sdk.h>

#include "noop.h"

/* Writable and filled by the entry function: a string initialiser that
 * drops its NUL draws a warning. */
static struct {
    char version[4];
    char tail[4096];
} text;

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_version_unterminated",
    .version = text.version,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void);
GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void)
{
    memcpy(text.version, "1.0.", sizeof text.version);
    memset(text.tail, 'x', sizeof text.tail);
    return &desc;
}
