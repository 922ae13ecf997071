/* Private to the FRED client (fred.c, fred_parse.c). */
#ifndef GD_FRED_INT_H
#define GD_FRED_INT_H

#include <stdint.h>

/* Strict "YYYY-MM-DD" -> UTC midnight in ms: exact for any year, no
 * timegm/TZ dependence. 0 or GD_EINVAL (the callers name the field). */
int gd_fred_parse_date(const char *s, int64_t *t_ms);

#endif
