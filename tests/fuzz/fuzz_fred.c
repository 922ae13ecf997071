/* libFuzzer target for FRED replies: gd_fred_parse, what the FRED client
 * runs on every fred/series/observations body (daemon/fred_parse.c).
 * Checked beyond "no crash": a failure returns no observations and says
 * why; a success yields finite values at UTC midnights in strictly
 * increasing date order, and written back out as a FRED reply (dates as
 * YYYY-MM-DD, values with %.17g) parses to exactly the same observations. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "daemon/fred.h"

/* The observations as a minimal FRED reply; NULL when a year has no
 * 4-digit form (the parser only takes YYYY). */
static char *reply(const gd_fred_obs *obs, size_t n)
{
    size_t cap = 32 + n * 80, len = 0;
    char *s = malloc(cap);
    if (!s)
        abort();
    len += (size_t)snprintf(s, cap, "{\"observations\":[");
    for (size_t i = 0; i < n; i++) {
        int64_t y;
        unsigned m, d;
        gd_civil_from_days(obs[i].t_ms / GD_DAY_MS, &y, &m, &d);
        if (y < 1 || y > 9999) {
            free(s);
            return NULL;
        }
        len += (size_t)snprintf(s + len, cap - len, "%s{\"date\":\"%04lld-%02u-%02u\",\"value\":\"%.17g\"}",
                                i ? "," : "", (long long)y, m, d, obs[i].value);
    }
    snprintf(s + len, cap - len, "]}");
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gd_fred_obs *obs = (gd_fred_obs *)data; /* must be overwritten */
    size_t n = 7;
    gd_err err;
    err.msg[0] = '\0';
    int rc = gd_fred_parse((const char *)data, size, &obs, &n, &err);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_fred: rc %d, %zu observations %s\n", rc, n, rc ? err.msg : "");
    if (rc != 0) {
        if (obs || n || !err.msg[0])
            abort();
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(obs[i].value) || obs[i].t_ms % GD_DAY_MS != 0)
            abort();
        if (i && obs[i].t_ms <= obs[i - 1].t_ms)
            abort();
    }
    char *back = reply(obs, n);
    if (back) {
        gd_fred_obs *again = NULL;
        size_t m = 0;
        if (gd_fred_parse(back, strlen(back), &again, &m, &err) != 0 || m != n)
            abort();
        for (size_t i = 0; i < n; i++)
            if (again[i].t_ms != obs[i].t_ms || again[i].value != obs[i].value)
                abort();
        free(again);
        free(back);
    }
    free(obs);
    return 0;
}
