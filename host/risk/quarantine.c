#include "risk/quarantine.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/json.h"

#define Q_FILE     "quarantine.json"
#define Q_MAX_FILE (256u << 10)

static int path_of(const char *dir, char *out, size_t cap, gd_err *err)
{
    if (snprintf(out, cap, "%s/" Q_FILE, dir) >= (int)cap)
        return gd_err_set(err, GD_ERANGE, "%s: path too long", dir);
    return 0;
}

int gd_qlist_load(const char *dir, gd_qlist *out, gd_err *err)
{
    char path[4096], *text = NULL;
    size_t len = 0;
    int rc = path_of(dir, path, sizeof path, err);
    memset(out, 0, sizeof *out);
    if (rc)
        return rc;
    rc = gd_file_read(path, Q_MAX_FILE, &text, &len, err);
    if (rc == GD_ENOENT)
        return 0;
    if (rc)
        return rc;
    cJSON *root = cJSON_ParseWithOpts(text, NULL, 1);
    const cJSON *list = root ? cJSON_GetObjectItemCaseSensitive(root, "strategies") : NULL;
    if (!cJSON_IsArray(list)) {
        rc = gd_err_set(err, GD_EPARSE, "%s: not {\"strategies\": [...]}", path);
        goto out;
    }
    const cJSON *it;
    uint32_t k = 0;
    cJSON_ArrayForEach(it, list)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(it, "who");
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(it, "why");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(it, "since_ms");
        if (!cJSON_IsString(n) || !gd_name_valid(n->valuestring, GD_NAME_MAX)) {
            rc = gd_err_set(err, GD_EINVAL, "%s: strategies[%u].name: not an instance name", path, k);
            goto out;
        }
        if (!cJSON_IsString(w) || !cJSON_IsString(y) || !cJSON_IsNumber(s) || !(fabs(s->valuedouble) <= 9e15)) {
            rc = gd_err_set(err, GD_EINVAL, "%s: strategies[%u]: who, why (strings) and since_ms (a number) required",
                            path, k);
            goto out;
        }
        gd_err e2;
        if (gd_qlist_find(out, n->valuestring)) {
            rc = gd_err_set(err, GD_EINVAL, "%s: strategies[%u].name: %s is listed twice", path, k, n->valuestring);
            goto out;
        }
        if (gd_qlist_add(out, n->valuestring, w->valuestring, y->valuestring, (int64_t)s->valuedouble, &e2) != 0) {
            rc = gd_err_set(err, GD_ERANGE, "%s: %s", path, e2.msg);
            goto out;
        }
        k++;
    }
out:
    if (rc)
        memset(out, 0, sizeof *out);
    cJSON_Delete(root);
    free(text);
    return rc;
}

int gd_qlist_save(const char *dir, const gd_qlist *q, gd_err *err)
{
    char path[4096];
    int rc = path_of(dir, path, sizeof path, err);
    if (rc)
        return rc;
    cJSON *root = cJSON_CreateObject(), *list = root ? cJSON_AddArrayToObject(root, "strategies") : NULL;
    char *json = NULL;
    for (uint32_t i = 0; list && i < q->n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(list, o) || !cJSON_AddStringToObject(o, "name", q->e[i].name) ||
            !cJSON_AddStringToObject(o, "who", q->e[i].who) || !cJSON_AddStringToObject(o, "why", q->e[i].why) ||
            !cJSON_AddNumberToObject(o, "since_ms", (double)q->e[i].since_ms)) {
            list = NULL;
            break;
        }
    }
    if (!list || !(json = cJSON_PrintUnformatted(root))) {
        cJSON_Delete(root);
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
    }
    rc = gd_file_write_durable(path, json, strlen(json), err);
    cJSON_free(json);
    cJSON_Delete(root);
    return rc;
}

const gd_qentry *gd_qlist_find(const gd_qlist *q, const char *name)
{
    for (uint32_t i = 0; i < q->n; i++)
        if (!strcmp(q->e[i].name, name))
            return &q->e[i];
    return NULL;
}

int gd_qlist_add(gd_qlist *q, const char *name, const char *who, const char *why, int64_t since_ms, gd_err *err)
{
    if (!gd_name_valid(name, GD_NAME_MAX))
        return gd_err_set(err, GD_EINVAL, "'%s' is not a strategy instance name", name);
    if (gd_qlist_find(q, name))
        return 0;
    if (q->n == GD_QUARANTINE_MAX)
        return gd_err_set(err, GD_ERANGE, "at most %d strategies in quarantine", GD_QUARANTINE_MAX);
    gd_qentry *e = &q->e[q->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    gd_utf8_copy(e->who, sizeof e->who, who ? who : "");
    gd_utf8_copy(e->why, sizeof e->why, why ? why : "");
    e->since_ms = since_ms;
    return 0;
}

void gd_qlist_remove(gd_qlist *q, const char *name)
{
    for (uint32_t i = 0; i < q->n; i++)
        if (!strcmp(q->e[i].name, name)) {
            memmove(&q->e[i], &q->e[i + 1], (q->n - i - 1) * sizeof q->e[0]);
            q->n--;
            return;
        }
}
