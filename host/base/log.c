#include "base/json.h"
#include "base/err.h"
#include "base/log.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static FILE *g_out;
static int g_level = GD_LOG_INFO;

void gd_log_init(FILE *out, int level)
{
    g_out = out;
    g_level = level;
}

void gd_log_set_level(int level) { g_level = level; }

int gd_log_level_parse(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return GD_EINVAL;
}

int gd_log_enabled(int level) { return level >= g_level; }
int gd_log_min_level(void) { return g_level; }

void gd_log(int level, const char *component, const char *fields, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (level < g_level || level > GD_LOG_ERROR)
        return;
    FILE *out = g_out ? g_out : stderr;
    char msg[2048], esc[4096], ts[40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gd_json_escape(esc, sizeof esc, msg);

    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t k = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + k, sizeof ts - k, ".%03ldZ", now.tv_nsec / 1000000L);

    fprintf(out, "{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"%s\",\"msg\":\"%s\"%s%s}\n", ts,
            names[level], component, esc, fields && *fields ? "," : "", fields ? fields : "");
    fflush(out);
}
