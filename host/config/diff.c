/* What a reload changes (gd_config_diff): host keys by the schema, with the
 * ones a running host cannot take (KF_RESTART) listed apart; instruments; and
 * plugin sections added or removed, and of a changed one the keys that changed. */
#include "config/config_int.h"

#include <stdio.h>
#include <string.h>

#include "base/names.h"

static int field_equal(const gd_key_spec *k, const gd_config *a, const gd_config *b)
{
    const char *fa = (const char *)a + k->off, *fb = (const char *)b + k->off;
    switch (k->type) {
    case KT_BOOL: return *(const int *)(const void *)fa == *(const int *)(const void *)fb;
    case KT_DOUBLE: return *(const double *)(const void *)fa == *(const double *)(const void *)fb;
    case KT_MODE: return *(const gd_mode *)(const void *)fa == *(const gd_mode *)(const void *)fb;
    case KT_DATA: {
        if (a->n_data != b->n_data)
            return 0;
        for (size_t i = 0; i < a->n_data; i++)
            if (strcmp(a->data[i].symbol, b->data[i].symbol) || a->data[i].interval_ms != b->data[i].interval_ms ||
                !a->data[i].path != !b->data[i].path ||
                (a->data[i].path && strcmp(a->data[i].path, b->data[i].path)))
                return 0; /* a live market's symbols have no path */
        return 1;
    }
    default: {
        const char *x = *(char *const *)(const void *)fa, *y = *(char *const *)(const void *)fb;
        return (!x && !y) || (x && y && !strcmp(x, y));
    }
    }
}

/* Appends "sep item suffix" to a list in buf. */
static void append(char *buf, size_t cap, size_t *n, const char *item, const char *suffix)
{
    if (*n >= cap)
        return;
    int k = snprintf(buf + *n, cap - *n, "%s%s%s", *n ? ", " : "", item, suffix);
    if (k > 0)
        *n += (size_t)k;
}

static const gd_plugin_conf *find_plugin(const gd_config *c, int kind, const char *name)
{
    for (size_t i = 0; i < c->n_plugins; i++)
        if (c->plugins[i].kind == kind && !strcmp(c->plugins[i].name, name))
            return &c->plugins[i];
    return NULL;
}

static int plugin_conf_equal(const gd_plugin_conf *a, const gd_plugin_conf *b)
{
    if (a->enabled != b->enabled || strcmp(a->plugin, b->plugin) || a->n_symbols != b->n_symbols ||
        a->n_params != b->n_params)
        return 0;
    if ((a->plugin_path == NULL) != (b->plugin_path == NULL) || (a->plugin_path && strcmp(a->plugin_path, b->plugin_path)))
        return 0;
    for (size_t i = 0; i < a->n_symbols; i++)
        if (strcmp(a->symbols[i], b->symbols[i]))
            return 0;
    for (size_t i = 0; i < a->n_params; i++) {
        size_t j;
        for (j = 0; j < b->n_params; j++)
            if (!strcmp(a->params[i].key, b->params[j].key))
                break;
        if (j == b->n_params || strcmp(a->params[i].value, b->params[j].value))
            return 0;
    }
    return 1;
}

static const gd_kv *find_param(const gd_plugin_conf *c, const char *key)
{
    for (size_t i = 0; i < c->n_params; i++)
        if (!strcmp(c->params[i].key, key))
            return &c->params[i];
    return NULL;
}

/* Appends "[kind.name] key" for every key of a changed section that differs
 * (plugin, symbols, enabled, each parameter set, changed or removed). */
static void append_plugin_changes(char *buf, size_t cap, size_t *n, const char *sec, const gd_plugin_conf *a,
                                  const gd_plugin_conf *b)
{
    char key[192];
    int sym_diff = a->n_symbols != b->n_symbols;
    for (size_t i = 0; !sym_diff && i < a->n_symbols; i++)
        sym_diff = strcmp(a->symbols[i], b->symbols[i]) != 0;
    if (strcmp(a->plugin, b->plugin) || (a->plugin_path == NULL) != (b->plugin_path == NULL) ||
        (a->plugin_path && strcmp(a->plugin_path, b->plugin_path))) {
        snprintf(key, sizeof key, "%s plugin", sec);
        append(buf, cap, n, key, "");
    }
    if (sym_diff) {
        snprintf(key, sizeof key, "%s symbols", sec);
        append(buf, cap, n, key, "");
    }
    if (a->enabled != b->enabled) {
        snprintf(key, sizeof key, "%s enabled", sec);
        append(buf, cap, n, key, "");
    }
    for (size_t i = 0; i < b->n_params; i++) {
        const gd_kv *x = find_param(a, b->params[i].key);
        if (!x || strcmp(x->value, b->params[i].value)) {
            snprintf(key, sizeof key, "%s %s", sec, b->params[i].key);
            append(buf, cap, n, key, "");
        }
    }
    for (size_t i = 0; i < a->n_params; i++)
        if (!find_param(b, a->params[i].key)) {
            snprintf(key, sizeof key, "%s %s", sec, a->params[i].key);
            append(buf, cap, n, key, " (removed)");
        }
}

int gd_config_diff(const gd_config *a, const gd_config *b, char *buf, size_t cap, char *restart, size_t rcap)
{
    size_t n = 0, rn = 0;
    int changes = 0;
    buf[0] = '\0';
    if (restart && rcap)
        restart[0] = '\0';
    for (size_t i = 0; i < GD_CFG_N_KEYS; i++) {
        const gd_key_spec *k = &gd_cfg_keys[i];
        if (k->sec >= SEC_N_HOST || field_equal(k, a, b))
            continue;
        char key[96];
        snprintf(key, sizeof key, "[%s] %s", gd_cfg_sec_names[k->sec], k->key);
        append(buf, cap, &n, key, "");
        if ((k->flags & KF_RESTART) && restart)
            append(restart, rcap, &rn, key, "");
        changes++;
    }
    /* Instruments: only the rules of symbols already traded can change. */
    for (size_t i = 0; i < b->n_instruments; i++) {
        const gd_instrument *x = gd_config_instrument(a, b->instruments[i].symbol);
        if (!x || memcmp(x, &b->instruments[i], sizeof *x)) {
            char key[64];
            snprintf(key, sizeof key, "[instrument.%s]", b->instruments[i].symbol);
            append(buf, cap, &n, key, "");
            changes++;
        }
    }
    for (size_t i = 0; i < b->n_plugins; i++) {
        const gd_plugin_conf *pb = &b->plugins[i], *pa = find_plugin(a, pb->kind, pb->name);
        char key[96];
        snprintf(key, sizeof key, "[%s.%s]", gd_kind_name(pb->kind), pb->name);
        if (!pa) {
            append(buf, cap, &n, key, " added");
            changes++;
        } else if (!plugin_conf_equal(pa, pb)) {
            append_plugin_changes(buf, cap, &n, key, pa, pb);
            changes++;
        }
    }
    for (size_t i = 0; i < a->n_plugins; i++) {
        const gd_plugin_conf *pa = &a->plugins[i];
        if (!find_plugin(b, pa->kind, pa->name)) {
            char key[96];
            snprintf(key, sizeof key, "[%s.%s]", gd_kind_name(pa->kind), pa->name);
            append(buf, cap, &n, key, " removed");
            changes++;
        }
    }
    return changes;
}
