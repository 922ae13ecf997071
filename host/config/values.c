/* One value at a time: the strict number and boolean parsers (public, also
 * used by params.c), the comma lists (data, symbols) and gd_cfg_set_key,
 * which checks a value against its key's type and range and stores it. Every
 * value is validated when it is read, even if a later one replaces it. */
#include "config/config_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ----------------------------------------------------- value parsing (public) */

int gd_parse_bool(const char *s, int *out)
{
    static const char *const t[] = {"true", "yes", "on", "1"};
    static const char *const f[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, t[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(s, f[i])) {
            *out = 0;
            return 0;
        }
    }
    return GD_EINVAL;
}

int gd_parse_double(const char *s, double *out)
{
    const char *p = s;
    char *end;
    double d;
    int digits = 0;
    /* Decimal only: strtod alone would also take hex, "inf", "nan" and leading blanks. */
    if (*p == '+' || *p == '-')
        p++;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits++;
        }
    }
    if (!digits)
        return GD_EINVAL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return GD_EINVAL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p)
        return GD_EINVAL;
    errno = 0;
    d = strtod(s, &end);
    if (*end)
        return GD_EINVAL;
    if (!isfinite(d))
        return GD_ERANGE;
    *out = d;
    return 0;
}

int gd_parse_int64(const char *s, int64_t *out)
{
    const char *p = s;
    char *end;
    long long v;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return GD_EINVAL;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p)
        return GD_EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end)
        return GD_EINVAL;
    if (errno == ERANGE)
        return GD_ERANGE;
    *out = (int64_t)v;
    return 0;
}

/* ----------------------------------------------------------- lists */

typedef int (*gd_item_fn)(gd_ctx *c, gd_where w, char *item, void *arg);

/* Calls fn for each trimmed item of a comma list. A trailing comma (the list
 * may go on on an indented line) and an empty value are fine; an empty item
 * between commas is not. */
static int each_item(gd_ctx *c, gd_where w, const char *key, const char *value, gd_item_fn fn,
                     void *arg)
{
    char *copy = strdup(value);
    char *p = copy;
    int rc = 0;
    if (!copy)
        return gd_cfg_oom(c, w);
    for (;;) {
        char *comma = strchr(p, ',');
        char *item;
        if (comma)
            *comma = '\0';
        item = gd_cfg_trim(p);
        if (*item) {
            rc = fn(c, w, item, arg);
            if (rc)
                break;
        } else if (comma) {
            rc = gd_cfg_fail(c, w, GD_EINVAL, "%s %s: empty item in '%s' (allowed: a comma-separated list)",
                             c->sec_label, key, value);
            break;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    free(copy);
    return rc;
}

static int data_item(gd_ctx *c, gd_where w, char *item, void *arg)
{
    const char *dir = arg;
    gd_config *cfg = c->cfg;
    char *colon = strchr(item, ':');
    char *sym, *path, *resolved, *at;
    int64_t iv = 0;
    if (!colon)
        return gd_cfg_fail(c, w, GD_EINVAL,
                           "%s data: '%s' is not SYMBOL:path (allowed: SYMBOL:path or SYMBOL@INTERVAL:path, ...)",
                           c->sec_label, item);
    *colon = '\0';
    sym = gd_cfg_trim(item);
    path = gd_cfg_trim(colon + 1);
    if ((at = strchr(sym, '@')) != NULL) {
        *at = '\0';
        if (!(iv = gd_interval_ms(gd_cfg_trim(at + 1))))
            return gd_cfg_fail(c, w, GD_EINVAL,
                               "%s data: %s@%s: not an interval (allowed: 1s, 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, "
                               "8h, 12h, 1d)",
                               c->sec_label, gd_cfg_trim(sym), gd_cfg_trim(at + 1));
        sym = gd_cfg_trim(sym);
    }
    if (!gd_cfg_is_symbol(sym))
        return gd_cfg_fail(c, w, GD_EINVAL,
                           "%s data: bad symbol '%s' (allowed: 1 to %d of [A-Za-z0-9_.-])", c->sec_label,
                           sym, GD_SYMBOL_MAX - 1);
    if (!*path)
        return gd_cfg_fail(c, w, GD_EINVAL, "%s data: empty path for %s (allowed: SYMBOL:path)",
                           c->sec_label, sym);
    for (size_t i = 0; i < cfg->n_data; i++)
        if (!strcmp(cfg->data[i].symbol, sym))
            return gd_cfg_fail(c, w, GD_EEXIST, "%s data: symbol %s given twice (allowed: one path per symbol)",
                               c->sec_label, sym);
    resolved = gd_cfg_resolve(dir, path);
    if (!resolved || gd_cfg_grow((void **)&cfg->data, cfg->n_data, sizeof *cfg->data)) {
        free(resolved);
        return gd_cfg_oom(c, w);
    }
    snprintf(cfg->data[cfg->n_data].symbol, GD_SYMBOL_MAX, "%s", sym);
    cfg->data[cfg->n_data].path = resolved;
    cfg->data[cfg->n_data].interval_ms = iv;
    cfg->n_data++;
    return 0;
}

static int symbol_item(gd_ctx *c, gd_where w, char *item, void *arg)
{
    gd_plugin_conf *pc = arg;
    char *s;
    if (!gd_cfg_is_symbol(item))
        return gd_cfg_fail(c, w, GD_EINVAL,
                           "%s symbols: bad symbol '%s' (allowed: 1 to %d of [A-Za-z0-9_.-])", c->sec_label,
                           item, GD_SYMBOL_MAX - 1);
    for (size_t i = 0; i < pc->n_symbols; i++)
        if (!strcmp(pc->symbols[i], item))
            return gd_cfg_fail(c, w, GD_EEXIST, "%s symbols: %s given twice", c->sec_label, item);
    s = strdup(item);
    if (!s || gd_cfg_grow((void **)&pc->symbols, pc->n_symbols, sizeof *pc->symbols)) {
        free(s);
        return gd_cfg_oom(c, w);
    }
    pc->symbols[pc->n_symbols++] = s;
    return 0;
}

int gd_cfg_add_symbols(gd_ctx *c, gd_where w, const char *key, const char *value, gd_plugin_conf *pc)
{
    return each_item(c, w, key, value, symbol_item, pc);
}

/* ------------------------------------------------------- checked strings */

/* HOST:PORT with a port 0..65535; HOST an IPv4 literal, [IPv6] or a name. */
static int listen_ok(const char *v)
{
    const char *colon = strrchr(v, ':');
    char *end;
    if (!colon || colon == v || !colon[1])
        return 0;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return 0;
    if (v[0] == '[')
        return colon > v + 1 && colon[-1] == ']';
    for (const char *p = v; p < colon; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
            return 0;
    return 1;
}

/* HOST or HOST:PORT, comma-separated (daemon/http checks Host against them):
 * HOST a name of [A-Za-z0-9.-] or a bracketed IPv6 literal. */
static int hosts_ok(const char *v)
{
    const char *p = v;
    for (;;) {
        while (*p == ' ')
            p++;
        const char *h = p;
        if (*p == '[') {
            while (*++p && (isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
                ;
            if (*p++ != ']' || p - h < 3)
                return 0;
        } else {
            while (isalnum((unsigned char)*p) || *p == '.' || *p == '-')
                p++;
            if (p == h || p - h > 253)
                return 0;
        }
        if (*p == ':') {
            char *end;
            if (!isdigit((unsigned char)p[1]) || strtol(p + 1, &end, 10) > 65535 || end - p > 6)
                return 0;
            p = end;
        }
        while (*p == ' ')
            p++;
        if (!*p)
            return 1;
        if (*p++ != ',')
            return 0;
    }
}

static int hashes_ok(const char *v)
{
    size_t run = 0;
    for (const char *p = v;; p++) {
        if (*p == ',' || *p == '\0') {
            if (run != 64)
                return 0;
            if (!*p)
                return 1;
            run = 0;
            while (p[1] == ' ')
                p++;
        } else if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) {
            run++;
        } else {
            return 0;
        }
    }
}

/* ------------------------------------------------------------ setting keys */

static int set_bool(gd_ctx *c, const gd_key_spec *k, char *field, const char *value, gd_where w)
{
    int b;
    if (gd_parse_bool(value, &b))
        return gd_cfg_fail(c, w, GD_EINVAL,
                           "%s %s: '%s' is not a boolean (allowed: true/false/yes/no/on/off/1/0)",
                           c->sec_label, k->key, value);
    *(int *)(void *)field = b;
    return 0;
}

static int set_double(gd_ctx *c, const gd_key_spec *k, char *field, const char *value, gd_where w)
{
    char allowed[128];
    double d = 0;
    int r = gd_parse_double(value, &d);
    gd_cfg_fmt_range(allowed, sizeof allowed, k);
    if (r)
        return gd_cfg_fail(c, w, GD_EINVAL, "%s %s: '%s' is not a number (allowed: %s)", c->sec_label,
                           k->key, value, allowed);
    if (d < k->min || d > k->max || ((k->flags & KF_MIN_EXCL) && d <= k->min))
        return gd_cfg_fail(c, w, GD_ERANGE, "%s %s: %s is out of range (allowed: %s)", c->sec_label,
                           k->key, value, allowed);
    *(double *)(void *)field = d;
    return 0;
}

static int set_mode(gd_ctx *c, const gd_key_spec *k, char *field, const char *value, gd_where w)
{
    size_t i;
    for (i = 0; i < 3; i++)
        if (!strcasecmp(value, gd_cfg_mode_names[i]))
            break;
    if (i == 3)
        return gd_cfg_fail(c, w, GD_EINVAL,
                           "%s %s: '%s' is not a mode (allowed: backtest, testnet, production)",
                           c->sec_label, k->key, value);
    *(gd_mode *)(void *)field = (gd_mode)i;
    return 0;
}

/* Frees the string field and takes s (owned) in its place. */
static void replace_str(char *field, char *s)
{
    free(*(char **)(void *)field);
    *(char **)(void *)field = s;
}

static int set_loglevel(gd_ctx *c, const gd_key_spec *k, char *field, const char *value, gd_where w)
{
    size_t i;
    char *s;
    for (i = 0; i < 4; i++)
        if (!strcasecmp(value, gd_cfg_level_names[i]))
            break;
    if (i == 4)
        return gd_cfg_fail(c, w, GD_EINVAL,
                           "%s %s: '%s' is not a log level (allowed: debug, info, warn, error)",
                           c->sec_label, k->key, value);
    if (!(s = strdup(gd_cfg_level_names[i])))
        return gd_cfg_oom(c, w);
    replace_str(field, s);
    return 0;
}

static int set_choice(gd_ctx *c, const gd_key_spec *k, char *field, const char *value, gd_where w)
{
    char allowed[160];
    size_t used = 0;
    allowed[0] = '\0';
    for (size_t i = 0; k->choices[i]; i++) {
        if (!strcasecmp(value, k->choices[i])) {
            char *s = strdup(k->choices[i]);
            if (!s)
                return gd_cfg_oom(c, w);
            replace_str(field, s);
            return 0;
        }
        if (used < sizeof allowed)
            used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "", k->choices[i]);
    }
    return gd_cfg_fail(c, w, GD_EINVAL, "%s %s: '%s' is not allowed (allowed: %s)", c->sec_label, k->key, value,
                       allowed);
}

static int set_path(gd_ctx *c, const gd_key_spec *k, char *field, const char *value, gd_where w,
                    const char *dir)
{
    char *s;
    if (!*value)
        return gd_cfg_fail(c, w, GD_EINVAL, "%s %s: empty path (allowed: a path; omit the key for none)",
                           c->sec_label, k->key);
    if (!(s = gd_cfg_resolve(dir, value)))
        return gd_cfg_oom(c, w);
    replace_str(field, s);
    return 0;
}

/* KT_STRING, and the checked strings KT_LISTEN, KT_HASHES and KT_HOSTS. */
static int set_string(gd_ctx *c, const gd_key_spec *k, char *field, const char *value, gd_where w)
{
    char *str;
    if (k->type == KT_LISTEN && !listen_ok(value))
        return gd_cfg_fail(c, w, GD_EINVAL,
                           "%s %s: '%s' is not HOST:PORT (allowed: e.g. 127.0.0.1:8080, [::1]:8080)",
                           c->sec_label, k->key, value);
    if (k->type == KT_HASHES && !hashes_ok(value))
        return gd_cfg_fail(c, w, GD_EINVAL,
                           "%s %s: expected SHA-256 hashes, 64 lowercase hex characters each, separated by "
                           "commas (allowed: the hash line printed by `gordon token new`)",
                           c->sec_label, k->key);
    if (k->type == KT_HOSTS && !hosts_ok(value))
        return gd_cfg_fail(c, w, GD_EINVAL,
                           "%s %s: '%s' is not a list of HOST or HOST:PORT (allowed: e.g. gordon.internal, "
                           "gordon.internal:8080, [fd00::1]:8080)",
                           c->sec_label, k->key, value);
    if (!(str = strdup(value)))
        return gd_cfg_oom(c, w);
    replace_str(field, str);
    return 0;
}

int gd_cfg_set_key(gd_ctx *c, void *base, size_t ki, const char *value, gd_where w, const char *dir,
                   int cont)
{
    const gd_key_spec *k = &gd_cfg_keys[ki];
    char *field = (char *)base + k->off;
    int rc;

    if (cont && k->type != KT_DATA)
        return gd_cfg_fail(c, w, GD_EPARSE,
                           "%s %s: indented line continues the previous value; only the lists data and "
                           "symbols may continue (allowed: start keys in column 1)",
                           c->sec_label, k->key);
    switch (k->type) {
    case KT_BOOL: rc = set_bool(c, k, field, value, w); break;
    case KT_DOUBLE: rc = set_double(c, k, field, value, w); break;
    case KT_MODE: rc = set_mode(c, k, field, value, w); break;
    case KT_LOGLEVEL: rc = set_loglevel(c, k, field, value, w); break;
    case KT_CHOICE: rc = set_choice(c, k, field, value, w); break;
    case KT_PATH: rc = set_path(c, k, field, value, w, dir); break;
    case KT_STRING:
    case KT_LISTEN:
    case KT_HASHES:
    case KT_HOSTS: rc = set_string(c, k, field, value, w); break;
    case KT_DATA:
        if (!cont)
            gd_cfg_free_data(c->cfg); /* a new data = replaces the list; indented lines extend it */
        rc = each_item(c, w, k->key, value, data_item, (void *)dir);
        break;
    default: rc = gd_cfg_fail(c, w, GD_EINVAL, "internal: bad key type"); break;
    }
    if (rc)
        return rc;
    if (k->sec < SEC_N_HOST)
        c->prov[ki] = w;
    return 0;
}

static void fmt_keys(char *buf, size_t len, int sec)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < GD_CFG_N_KEYS && used < len; i++) {
        if (gd_cfg_keys[i].sec != sec)
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", gd_cfg_keys[i].key);
    }
}

int gd_cfg_unknown_key(gd_ctx *c, gd_where w, int sec, const char *key)
{
    char keys[512];
    fmt_keys(keys, sizeof keys, sec);
    return gd_cfg_fail(c, w, GD_EINVAL, "%s %s: unknown key (allowed: %s)", c->sec_label, key, keys);
}
