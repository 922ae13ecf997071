/* Names and their spelling, one place for each: plugin kinds and sections,
 * sides and actions, and what a plugin, parameter or instance name may be. */
#ifndef GD_NAMES_H
#define GD_NAMES_H

#include <stddef.h>

/* Longest plugin, parameter or instance name. */
#define GD_NAME_MAX 63

/* "strategy", "overlay", "breaker"; "unknown" for anything else. Also the
 * section prefix: [strategy.NAME]. */
const char *gd_kind_name(int kind);
/* "long", "short", "none" (flat). */
const char *gd_side_name(int side);
/* "entry", "exit"; "invalid" for anything else. */
const char *gd_action_name(int action);

/* [a-z0-9_]{1,max}, reading at most max + 1 bytes of s (a plugin's string
 * may not be terminated where it should). 0 for NULL. */
int gd_name_valid(const char *s, size_t max);

/* "KIND.NAME" (the instance label, as its section is spelt) into buf;
 * returns what snprintf returns. */
int gd_instance_label(char *buf, size_t cap, int kind, const char *name);

#endif
