/* The configuration as JSON (gd_config_json): what a record says a run used.
 * Driven by the schema, so a new host key is exported without a change here;
 * a key flagged KF_SECRET never is. */
#include "config/config_int.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "base/names.h"

_Static_assert(GD_CFG_JSON_GORDON == 1u << SEC_GORDON && GD_CFG_JSON_RISK == 1u << SEC_RISK &&
                   GD_CFG_JSON_EXECUTOR == 1u << SEC_EXECUTOR && GD_CFG_JSON_REPLAY == 1u << SEC_REPLAY &&
                   GD_CFG_JSON_HTTP == 1u << SEC_HTTP && GD_CFG_JSON_FRED == 1u << SEC_FRED &&
                   GD_CFG_JSON_ISOLATION == 1u << SEC_ISOLATION && GD_CFG_JSON_DB == 1u << SEC_DB &&
                   GD_CFG_JSON_BACKUP == 1u << SEC_BACKUP,
               "a host section's bit is its place in the schema");

/* The tree is built in full or not at all: a failed allocation is noted
 * once, and no text with members silently missing is ever returned. */
typedef struct jb {
    int oom;
} jb;

/* Adds item to parent under key (to an array when key is NULL). */
static cJSON *put(jb *j, cJSON *parent, const char *key, cJSON *item)
{
    if (item && parent && (key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item)))
        return item;
    cJSON_Delete(item);
    j->oom = 1;
    return NULL;
}

static cJSON *str_or_null(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

/* One host key's value, read through the schema. */
static cJSON *key_value(const gd_key_spec *k, const void *base, const gd_config *cfg)
{
    const char *f = (const char *)base + k->off;
    switch (k->type) {
    case KT_BOOL: return cJSON_CreateBool(*(const int *)(const void *)f);
    case KT_DOUBLE: return cJSON_CreateNumber(*(const double *)(const void *)f);
    case KT_MODE: return cJSON_CreateString(gd_mode_name(*(const gd_mode *)(const void *)f));
    case KT_DATA: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; a && i < cfg->n_data; i++) {
            cJSON *d = cJSON_CreateObject();
            if (!d || !cJSON_AddItemToArray(a, d) || !cJSON_AddStringToObject(d, "symbol", cfg->data[i].symbol) ||
                !cJSON_AddItemToObject(d, "path", str_or_null(cfg->data[i].path)) ||
                (cfg->data[i].interval_ms && !cJSON_AddNumberToObject(d, "interval_ms", (double)cfg->data[i].interval_ms))) {
                cJSON_Delete(a);
                return NULL;
            }
        }
        return a;
    }
    default: return str_or_null(*(char *const *)(const void *)f);
    }
}

/* The keys of section sec (SEC_*) of base: the config, or an instrument. */
static void section(jb *j, cJSON *root, const char *name, int sec, const void *base, const gd_config *cfg)
{
    cJSON *o = put(j, root, name, cJSON_CreateObject());
    for (size_t i = 0; o && i < GD_CFG_N_KEYS; i++) {
        const gd_key_spec *k = &gd_cfg_keys[i];
        if (k->sec == sec && !(k->flags & KF_SECRET))
            put(j, o, k->key, key_value(k, base, cfg));
    }
}

static void plugin_section(jb *j, cJSON *root, const gd_plugin_conf *pc)
{
    char label[96];
    gd_instance_label(label, sizeof label, pc->kind, pc->name);
    cJSON *o = put(j, root, label, cJSON_CreateObject());
    put(j, o, "plugin", str_or_null(pc->plugin));
    put(j, o, "plugin_path", str_or_null(pc->plugin_path));
    put(j, o, "enabled", cJSON_CreateBool(pc->enabled));
    /* null: every symbol */
    cJSON *syms = put(j, o, "symbols", pc->n_symbols ? cJSON_CreateArray() : cJSON_CreateNull());
    for (size_t i = 0; syms && i < pc->n_symbols; i++)
        put(j, syms, NULL, cJSON_CreateString(pc->symbols[i]));
    cJSON *params = put(j, o, "params", cJSON_CreateObject());
    for (size_t i = 0; params && i < pc->n_params; i++)
        put(j, params, pc->params[i].key, str_or_null(pc->params[i].value));
}

int gd_config_json(const gd_config *cfg, unsigned sections, char **out, gd_err *err)
{
    jb j = {0};
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    for (int sec = 0; sec < SEC_N_HOST; sec++)
        if (sections & (1u << sec))
            section(&j, root, gd_cfg_sec_names[sec], sec, cfg, cfg);
    for (size_t i = 0; (sections & GD_CFG_JSON_INSTRUMENTS) && i < cfg->n_instruments; i++) {
        char name[16 + GD_SYMBOL_MAX];
        snprintf(name, sizeof name, "instrument.%s", cfg->instruments[i].symbol);
        section(&j, root, name, SEC_INSTRUMENT, &cfg->instruments[i], cfg);
    }
    for (size_t i = 0; (sections & GD_CFG_JSON_PLUGINS) && i < cfg->n_plugins; i++)
        plugin_section(&j, root, &cfg->plugins[i]);
    if (sections & GD_CFG_JSON_ABLATE) {
        cJSON *ab = put(&j, root, "ablate", cJSON_CreateObject());
        for (size_t i = 0; ab && i < cfg->n_ablate; i++)
            put(&j, ab, cfg->ablate[i].key, str_or_null(cfg->ablate[i].value));
    }
    char *text = j.oom ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return gd_err_set(err, GD_ENOMEM, "out of memory formatting the configuration");
    *out = text;
    return 0;
}
