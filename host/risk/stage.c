#include "risk/stage.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/json.h"
#include "config/config.h"

#define S_FILE     "stage.json"
#define S_MAX_FILE (256u << 10)

static int path_of(const char *dir, char *out, size_t cap, gd_err *err)
{
    if (snprintf(out, cap, "%s/" S_FILE, dir) >= (int)cap)
        return gd_err_set(err, GD_ERANGE, "%s: path too long", dir);
    return 0;
}

/* One entry of the file; field names the place for errors. */
static int read_entry(const cJSON *o, const char *path, const char *field, gd_stage_entry *e, gd_err *err)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "stage"), *at = cJSON_GetObjectItemCaseSensitive(o, "at_ms");
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(o, "by"), *why = cJSON_GetObjectItemCaseSensitive(o, "why");
    memset(e, 0, sizeof *e);
    if (!cJSON_IsObject(o))
        return gd_err_set(err, GD_EPARSE, "%s: %s: not an object", path, field);
    if (!cJSON_IsString(s) || gd_stage_rank(s->valuestring) == GD_STAGE_NONE)
        return gd_err_set(err, GD_EPARSE, "%s: %s.stage: not testnet, micro or full", path, field);
    if (!cJSON_IsNumber(at) || !(fabs(at->valuedouble) <= 9e15))
        return gd_err_set(err, GD_EPARSE, "%s: %s.at_ms: not a time in milliseconds", path, field);
    if (!cJSON_IsString(by) || !cJSON_IsString(why))
        return gd_err_set(err, GD_EPARSE, "%s: %s: by and why (strings) required", path, field);
    e->rank = gd_stage_rank(s->valuestring);
    e->at_ms = (int64_t)at->valuedouble;
    gd_utf8_copy(e->by, sizeof e->by, by->valuestring);
    gd_utf8_copy(e->why, sizeof e->why, why->valuestring);
    return 0;
}

int gd_stage_load(const char *dir, gd_stage_rec *out, gd_err *err)
{
    char path[4096], *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    out->cur.rank = GD_STAGE_TESTNET;
    int rc = path_of(dir, path, sizeof path, err);
    if (rc)
        return rc;
    rc = gd_file_read(path, S_MAX_FILE, &text, &len, err);
    if (rc == GD_ENOENT)
        return 0;
    if (rc)
        return rc;
    cJSON *root = cJSON_ParseWithOpts(text, NULL, 1);
    const cJSON *hist = root ? cJSON_GetObjectItemCaseSensitive(root, "history") : NULL;
    if (!cJSON_IsObject(root) || !cJSON_IsArray(hist) || cJSON_GetArraySize(hist) < 1 ||
        cJSON_GetArraySize(hist) > GD_STAGE_HISTORY) {
        rc = gd_err_set(err, GD_EPARSE, "%s: not {\"history\": [1 to %d entries]}", path, GD_STAGE_HISTORY);
        goto out;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, hist)
    {
        char field[32];
        snprintf(field, sizeof field, "history[%u]", out->n_hist);
        if ((rc = read_entry(it, path, field, &out->hist[out->n_hist], err)) != 0)
            goto out;
        if (out->n_hist && out->hist[out->n_hist].at_ms < out->hist[out->n_hist - 1].at_ms) {
            rc = gd_err_set(err, GD_EPARSE, "%s: %s.at_ms: earlier than the entry before it", path, field);
            goto out;
        }
        out->n_hist++;
    }
    out->cur = out->hist[out->n_hist - 1];
    out->on_record = 1;
out:
    if (rc) {
        memset(out, 0, sizeof *out);
        out->cur.rank = GD_STAGE_TESTNET;
    }
    cJSON_Delete(root);
    free(text);
    return rc;
}

int gd_stage_record(const char *dir, gd_stage_rec *rec, int rank, const char *by, const char *why, int64_t now_ms,
                    gd_err *err)
{
    char path[4096];
    int rc = path_of(dir, path, sizeof path, err);
    if (rc)
        return rc;
    if (rank < GD_STAGE_TESTNET || rank > GD_STAGE_FULL)
        return gd_err_set(err, GD_EINVAL, "%s: no stage %d", path, rank);
    gd_stage_rec next = *rec;
    if (next.n_hist == GD_STAGE_HISTORY) {
        memmove(&next.hist[0], &next.hist[1], (GD_STAGE_HISTORY - 1) * sizeof next.hist[0]);
        next.n_hist--;
    }
    gd_stage_entry *e = &next.hist[next.n_hist++];
    memset(e, 0, sizeof *e);
    e->rank = rank;
    e->at_ms = next.n_hist > 1 && now_ms < next.hist[next.n_hist - 2].at_ms ? next.hist[next.n_hist - 2].at_ms : now_ms;
    gd_utf8_copy(e->by, sizeof e->by, by ? by : "");
    gd_utf8_copy(e->why, sizeof e->why, why ? why : "");
    next.cur = *e;
    next.on_record = 1;

    cJSON *root = cJSON_CreateObject(), *list = root ? cJSON_AddArrayToObject(root, "history") : NULL;
    char *json = NULL;
    for (uint32_t i = 0; list && i < next.n_hist; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(list, o) ||
            !cJSON_AddStringToObject(o, "stage", gd_stage_name(next.hist[i].rank)) ||
            !cJSON_AddNumberToObject(o, "at_ms", (double)next.hist[i].at_ms) ||
            !cJSON_AddStringToObject(o, "by", next.hist[i].by) || !cJSON_AddStringToObject(o, "why", next.hist[i].why))
            list = NULL;
    }
    if (!list || !(json = cJSON_PrintUnformatted(root))) {
        cJSON_Delete(root);
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
    }
    rc = gd_file_write_durable(path, json, strlen(json), err);
    cJSON_free(json);
    cJSON_Delete(root);
    if (!rc)
        *rec = next;
    return rc;
}

int gd_stage_allows(const gd_stage_rec *rec, int rank, const char *dir, gd_err *err)
{
    if (rank <= rec->cur.rank)
        return 0;
    return gd_err_set(err, GD_EPERM,
                      "[gordon] stage = %s: no promotion to %s is on record (%s/" S_FILE " says %s%s); stages are "
                      "never skipped: testnet, then micro, then full, each promoted once its gates pass",
                      gd_stage_name(rank), gd_stage_name(rank), dir, gd_stage_name(rec->cur.rank),
                      rec->on_record ? "" : ": nothing was ever promoted");
}
