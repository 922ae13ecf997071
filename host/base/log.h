/* JSON-lines logging: one object per line {ts, level, component, msg, ...}.
 * Never pass secrets. Logging is for events, never per bar. */
#ifndef GD_LOG_H
#define GD_LOG_H

#include <stdio.h>

enum { GD_LOG_DEBUG = 0, GD_LOG_INFO = 1, GD_LOG_WARN = 2, GD_LOG_ERROR = 3, GD_LOG_OFF = 4 };

/* out defaults to stderr; level to INFO. */
void gd_log_init(FILE *out, int level);
void gd_log_set_level(int level);
int gd_log_level_parse(const char *name); /* GD_EINVAL if unknown */
int gd_log_enabled(int level);
/* The lowest level logged now. */
int gd_log_min_level(void);

/* msg is printf-formatted; fields is NULL or a pre-formatted JSON fragment
 * of extra members without braces (e.g. "\"symbol\":\"BTCUSDT\""). */
void gd_log(int level, const char *component, const char *fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));


#endif
