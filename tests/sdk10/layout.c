/* The SDK 1.0 layout, measured against the frozen header: this file is built
 * with tests/sdk10 as its only SDK include path (tests/sdk_compat.cmake). */
#include "gordon/sdk.h" /* quoted: this directory's frozen copy, whatever -I says */

#include "layout.h"

#if GORDON_SDK_ABI_MINOR != 0
#error "layout.c must be built against the frozen 1.0 header (tests/sdk10)"
#endif

const gd_sdk_item gd_sdk10_items[] = {
    GD_SDK10_ITEMS(GD_SDK_FIELD, GD_SDK_STRUCT, GD_SDK_CONST) {NULL, NULL, 0, 0},
};
