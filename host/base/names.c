#include "base/names.h"

#include <stdio.h>
#include <string.h>

#include <gordon/sdk.h>

const char *gd_kind_name(int kind)
{
    switch (kind) {
    case GORDON_KIND_STRATEGY: return "strategy";
    case GORDON_KIND_OVERLAY: return "overlay";
    case GORDON_KIND_BREAKER: return "breaker";
    default: return "unknown";
    }
}

const char *gd_side_name(int side)
{
    return side == GORDON_SIDE_LONG ? "long" : side == GORDON_SIDE_SHORT ? "short" : "none";
}

const char *gd_action_name(int action)
{
    return action == GORDON_ACTION_ENTRY ? "entry" : action == GORDON_ACTION_EXIT ? "exit" : "invalid";
}

int gd_name_valid(const char *s, size_t max)
{
    if (!s)
        return 0;
    size_t len = strnlen(s, max + 1);
    if (len == 0 || len > max)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

int gd_instance_label(char *buf, size_t cap, int kind, const char *name)
{
    return snprintf(buf, cap, "%s.%s", gd_kind_name(kind), name);
}
