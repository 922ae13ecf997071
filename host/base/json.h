/* JSON text the host writes by hand (log lines, records), and the UTF-8
 * rules every record follows: what reaches a record from outside (an
 * operator's reason, a plugin's tag or breaker reason) is valid UTF-8, cut
 * only at character boundaries. */
#ifndef GD_JSON_H
#define GD_JSON_H

#include <stddef.h>

/* Writes s JSON-escaped (without quotes) into buf: invalid UTF-8 becomes
 * U+FFFD, control characters are escaped. When it does not fit, the output
 * stops at the last whole character or escape (never half of one) and is
 * terminated there. Returns the length the whole escaped text needs, like
 * snprintf (cap 0 only measures). */
size_t gd_json_escape(char *buf, size_t cap, const char *s);

/* Copies s into buf as valid UTF-8: invalid sequences become U+FFFD, and a
 * text that does not fit is cut at a character boundary. Returns buf. */
char *gd_utf8_copy(char *buf, size_t cap, const char *s);

/* The length of the valid UTF-8 sequence at s (1-4), or 0 if s does not
 * start one (also for a NUL). Overlong forms, surrogates and code points
 * past U+10FFFF are invalid. */
size_t gd_utf8_seq(const unsigned char *s);

/* v as the shortest decimal text that reads back as exactly v ("%.17g" at
 * most); "null" for NaN and infinities, which JSON has no word for.
 * Returns what snprintf returns. */
int gd_json_number(char *buf, size_t cap, double v);

#endif
