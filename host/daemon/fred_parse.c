/* The FRED reply parser: fred/series/observations JSON to observations.
 * Pure (no network, no loop), so the fixtures and fuzzing drive it alone. */
#include "daemon/fred.h"
#include "daemon/fred_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/dates.h"

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int gd_fred_parse_date(const char *s, int64_t *t_ms)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return GD_EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return GD_EINVAL;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return GD_EINVAL;
    int dim = mdays[m - 1] + (m == 2 && is_leap(y));
    if (d > dim)
        return GD_EINVAL;
    *t_ms = gd_days_from_civil(y, (unsigned)m, (unsigned)d) * GD_DAY_MS;
    return 0;
}

/* A plain decimal number: strtod alone would also take hex, "inf", "nan"
 * and leading blanks, none of which FRED sends. 0 or GD_EINVAL. */
static int parse_value(const char *s, double *v)
{
    if (!*s)
        return GD_EINVAL;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && !strchr("+-.eE", *p))
            return GD_EINVAL;
    char *end = NULL;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(x))
        return GD_EINVAL;
    *v = x;
    return 0;
}

/* observations[i] into *ob, after *prev_date (*prev its time), which it
 * then becomes. *has_value is 0 for FRED's "." (no observation: a holiday,
 * or not yet published). 0 or GD_EPARSE naming the field. */
static int one_observation(const cJSON *o, int i, int64_t *prev, const char **prev_date, gd_fred_obs *ob,
                           int *has_value, gd_err *err)
{
    *has_value = 0;
    if (!cJSON_IsObject(o))
        return gd_err_set(err, GD_EPARSE, "observations[%d]: not an object", i);
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(o, "date");
    const cJSON *jv = cJSON_GetObjectItemCaseSensitive(o, "value");
    if (!cJSON_IsString(jd))
        return gd_err_set(err, GD_EPARSE, "observations[%d].date: %s", i, jd ? "not a string" : "missing");
    int64_t t;
    if (gd_fred_parse_date(jd->valuestring, &t) != 0)
        return gd_err_set(err, GD_EPARSE, "observations[%d].date: not a valid YYYY-MM-DD date '%.40s'", i,
                          jd->valuestring);
    /* Missing values still count for the order check: a shuffled reply
     * is wrong whatever the values. */
    if (*prev_date && t <= *prev)
        return gd_err_set(err, GD_EPARSE,
                          "observations[%d].date: %s is not after %s (observations must be in increasing date order)",
                          i, jd->valuestring, *prev_date);
    if (!cJSON_IsString(jv))
        return gd_err_set(err, GD_EPARSE, "observations[%d].value: %s", i, jv ? "not a string" : "missing");
    *prev = t;
    *prev_date = jd->valuestring;
    if (strcmp(jv->valuestring, ".") == 0)
        return 0;
    double v;
    if (parse_value(jv->valuestring, &v) != 0)
        return gd_err_set(err, GD_EPARSE, "observations[%d].value: not a number '%.40s'", i, jv->valuestring);
    ob->t_ms = t;
    ob->value = v;
    *has_value = 1;
    return 0;
}

int gd_fred_parse(const char *json, size_t len, gd_fred_obs **obs, size_t *n, gd_err *err)
{
    gd_fred_obs *out = NULL;
    size_t k = 0;
    int rc;
    const char *end = NULL;
    cJSON *root = NULL;

    if (!obs || !n)
        return gd_err_set(err, GD_EINVAL, "fred: parse: NULL output");
    *obs = NULL;
    *n = 0;
    if (!json)
        return gd_err_set(err, GD_EINVAL, "fred: parse: NULL input");

    /* ParseWithLengthOpts reports the error position itself (no global). */
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        size_t off = end && end >= json ? (size_t)(end - json) : 0;
        return gd_err_set(err, GD_EPARSE, "invalid JSON at byte %zu of %zu", off, len);
    }
    if (!cJSON_IsObject(root)) {
        rc = gd_err_set(err, GD_EPARSE, "top level: not a JSON object");
        goto fail;
    }
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "observations");
    if (!cJSON_IsArray(arr)) {
        rc = gd_err_set(err, GD_EPARSE, "observations: %s", arr ? "not an array" : "missing");
        goto fail;
    }
    int count = cJSON_GetArraySize(arr);
    if (count > 0) {
        out = malloc((size_t)count * sizeof *out);
        if (!out) {
            rc = gd_err_set(err, GD_ENOMEM, "observations: out of memory for %d entries", count);
            goto fail;
        }
    }

    int i = 0;
    int64_t prev = 0;
    const char *prev_date = NULL;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        int has_value;
        rc = one_observation(o, i++, &prev, &prev_date, &out[k], &has_value, err);
        if (rc < 0)
            goto fail;
        k += (size_t)has_value;
    }
    cJSON_Delete(root);
    if (k == 0) {
        free(out);
        out = NULL;
    }
    *obs = out;
    *n = k;
    return 0;

fail:
    free(out);
    cJSON_Delete(root);
    return rc;
}
