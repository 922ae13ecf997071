/* JSON text the host writes by hand (log lines, records). */
#ifndef GD_JSON_H
#define GD_JSON_H

#include <stddef.h>

/* Writes s JSON-escaped (without quotes) into buf; returns the bytes written
 * or that would have been, like snprintf. */
size_t gd_json_escape(char *buf, size_t cap, const char *s);

#endif
