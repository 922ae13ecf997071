/* The row of trading.ablation_runs for a finished ablation (record.h). */
#include "ablate/record.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate_int.h"
#include "base/buf.h"
#include "base/hash.h"

/* {"instance": "sha256", ...} in load order. */
static char *plugins_json(const gd_ab_result *r)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    for (size_t i = 0; ok && i < r->n_plugins; i++)
        ok = cJSON_AddStringToObject(o, r->plugins[i].instance, r->plugins[i].sha256) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

static char *symbols_json(const gd_ab_result *r)
{
    cJSON *a = cJSON_CreateArray();
    int ok = a != NULL;
    for (size_t i = 0; ok && i < r->n_symbols; i++) {
        cJSON *s = cJSON_CreateString(r->symbols[i]);
        ok = s && cJSON_AddItemToArray(a, s);
        if (!ok)
            cJSON_Delete(s);
    }
    char *text = ok ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return text;
}

/* ablation.json's tree without the paths: where the config file and the
 * plugins were is not a result (the hashes say what they were). */
static char *metrics_json(const gd_ab_result *r)
{
    cJSON *root = gd_ab_result_tree(r);
    if (!root)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(root, "config");
    cJSON *pl = cJSON_GetObjectItemCaseSensitive(root, "plugins");
    for (cJSON *p = pl ? pl->child : NULL; p; p = p->next)
        cJSON_DeleteItemFromObjectCaseSensitive(p, "path");
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* What decides the result, each part fixed-format, hashed. */
static int make_run_id(gd_ab_record *rec, const gd_ab_result *r, gd_err *err)
{
    gd_buf b = GD_BUF_INIT;
    gd_buf_printf(&b, "gordon ablation run 1\nhost %s\nconfig %s\nplugins %s\ndata %s\n", rec->host_version,
                  rec->config_sha256, rec->plugins_json, r->data_sha256);
    char *text = gd_buf_take(&b);
    if (!text)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    gd_sha256_buf(text, strlen(text), rec->run_id);
    free(text);
    return 0;
}

int gd_ab_record_build(const gd_ab_result *r, const gd_config *cfg, const char *report_path, gd_ab_record *rec,
                       gd_err *err)
{
    memset(rec, 0, sizeof *rec);
    if (!r->n_windows || !r->n_symbols || strlen(r->data_sha256) != 64)
        return gd_err_set(err, GD_EINVAL, "the ablation has no windows, symbols or data hash to record");
    int rc = gd_config_json(cfg, GD_AB_RECORD_SECTIONS, &rec->config_json, err);
    if (rc)
        goto fail;
    gd_sha256_buf(rec->config_json, strlen(rec->config_json), rec->config_sha256);
    snprintf(rec->host_version, sizeof rec->host_version, "%s (%s)", GD_VERSION, r->git_describe);
    rec->plugins_json = plugins_json(r);
    rec->symbols_json = symbols_json(r);
    rec->metrics_json = metrics_json(r);
    if (!rec->plugins_json || !rec->symbols_json || !rec->metrics_json) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory formatting the record");
        goto fail;
    }
    if ((rc = make_run_id(rec, r, err)) != 0)
        goto fail;
    gd_ablation_record *row = &rec->row;
    row->run_id = rec->run_id;
    row->host_version = rec->host_version;
    row->config_sha256 = rec->config_sha256;
    row->config_json = rec->config_json;
    row->plugins_json = rec->plugins_json;
    row->symbols_json = rec->symbols_json;
    row->data_from_ms = r->data_start;
    row->data_to_ms = r->data_end;
    row->data_sha256 = r->data_sha256;
    row->windows = (uint32_t)r->n_windows;
    row->metrics_json = rec->metrics_json;
    row->report_path = report_path;
    return 0;
fail:
    gd_ab_record_free(rec);
    return rc;
}

void gd_ab_record_free(gd_ab_record *rec)
{
    if (!rec)
        return;
    free(rec->config_json);
    free(rec->plugins_json);
    free(rec->symbols_json);
    free(rec->metrics_json);
    memset(rec, 0, sizeof *rec);
}
