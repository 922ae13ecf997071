#include "daemon/api_body.h"

#include <cjson/cJSON.h>
#include <stdio.h>

#include "base/err.h"
#include "base/json.h"

int gd_api_body_parse(const char *body, size_t len, char *reason, size_t cap, int *force, const char **why)
{
    *force = 0;
    snprintf(reason, cap, "%s", "no reason given");
    *why = NULL;
    if (!len)
        return 0;
    /* One object and nothing after it but white space: a body with trailing
     * garbage is not a halt. */
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (o && end)
        for (const char *q = end; q < body + len; q++)
            if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n') {
                cJSON_Delete(o);
                *why = "body: trailing bytes after the JSON object";
                return GD_EPARSE;
            }
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        *why = "body must be a JSON object like {\"reason\": \"...\"}";
        return GD_EPARSE;
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "reason");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "force");
    if ((r && !cJSON_IsString(r)) || (f && !cJSON_IsBool(f))) {
        cJSON_Delete(o);
        *why = "reason must be a string and force a boolean";
        return GD_EPARSE;
    }
    if (r)
        gd_utf8_copy(reason, cap, r->valuestring); /* an operator's bytes: valid UTF-8 in every record */
    *force = f && cJSON_IsTrue(f);
    cJSON_Delete(o);
    return 0;
}
