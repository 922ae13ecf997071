/* Binding a plugin's INI section to the parameters its descriptor declares.
 *
 * Declarations are read with the plugin's own stride (param_size), so an
 * older plugin with a shorter gordon_param still works; fields its struct
 * lacks (or covers only in part) read as zero. The decl's strings are
 * borrowed from the plugin image and live as long as it is loaded. */
#include "config/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"

#define BOOL_ALLOWED "true/false/yes/no/on/off/1/0"

static const char *plugin_name(const gordon_plugin *desc)
{
    return desc && desc->name ? desc->name : "?";
}

/* Bytes of gordon_param a plugin built with param_size provides, rounded down
 * to whole fields so a field cut in half reads as zero, not as garbage. */
static size_t covered(uint32_t param_size)
{
    static const size_t ends[] = {
        offsetof(gordon_param, name) + sizeof(const char *),
        offsetof(gordon_param, type) + sizeof(int32_t),
        offsetof(gordon_param, tunable) + sizeof(int32_t),
        offsetof(gordon_param, def) + sizeof(double),
        offsetof(gordon_param, min) + sizeof(double),
        offsetof(gordon_param, max) + sizeof(double),
        offsetof(gordon_param, step) + sizeof(double),
        offsetof(gordon_param, def_str) + sizeof(const char *),
        offsetof(gordon_param, help) + sizeof(const char *),
    };
    size_t got = 0;
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        if (ends[i] <= param_size && ends[i] > got)
            got = ends[i];
    return got;
}

int gd_params_decl(const gordon_plugin *desc, uint32_t i, gordon_param *out, gd_err *err)
{
    const size_t need = offsetof(gordon_param, type) + sizeof(int32_t);
    const char *src;

    memset(out, 0, sizeof *out);
    if (!desc)
        return gd_err_set(err, GD_EINVAL, "no plugin descriptor");
    if (i >= desc->n_params)
        return gd_err_set(err, GD_ERANGE, "plugin '%s': param %u out of range (it declares %u)",
                          plugin_name(desc), i, desc->n_params);
    if (!desc->params)
        return gd_err_set(err, GD_EABI, "plugin '%s': declares %u params but params is NULL",
                          plugin_name(desc), desc->n_params);
    if (desc->param_size < need)
        return gd_err_set(err, GD_EABI,
                          "plugin '%s': param_size %u is too small (at least %zu: name and type)",
                          plugin_name(desc), desc->param_size, need);
    src = (const char *)desc->params + (size_t)i * desc->param_size;
    memcpy(out, src, covered(desc->param_size));
    return 0;
}

/* A plugin's declaration must make sense before we validate input against it. */
static int check_decl(const gordon_plugin *desc, const gordon_param *d, uint32_t idx, gd_err *err)
{
    if (!d->name || !*d->name)
        return gd_err_set(err, GD_EABI, "plugin '%s': param %u has no name", plugin_name(desc), idx);
    switch (d->type) {
    case GORDON_PARAM_INT:
    case GORDON_PARAM_DOUBLE:
        if (!isfinite(d->min) || !isfinite(d->max) || !isfinite(d->def) || d->min > d->max ||
            d->def < d->min || d->def > d->max)
            return gd_err_set(err, GD_EABI,
                              "plugin '%s': param '%s': default %g is not within [%g, %g]",
                              plugin_name(desc), d->name, d->def, d->min, d->max);
        if (d->type == GORDON_PARAM_INT &&
            (d->def != trunc(d->def) || fabs(d->def) >= 9.2e18))
            return gd_err_set(err, GD_EABI, "plugin '%s': param '%s': default %g is not an integer",
                              plugin_name(desc), d->name, d->def);
        return 0;
    case GORDON_PARAM_BOOL:
    case GORDON_PARAM_STRING:
        return 0;
    default:
        return gd_err_set(err, GD_EABI, "plugin '%s': param '%s': unknown type %d",
                          plugin_name(desc), d->name, (int)d->type);
    }
}

static void set_default(gd_param_value *v)
{
    const gordon_param *d = &v->decl;
    switch (d->type) {
    case GORDON_PARAM_INT:
        v->i = (int64_t)d->def;
        v->d = (double)v->i;
        break;
    case GORDON_PARAM_DOUBLE:
        v->d = d->def;
        break;
    case GORDON_PARAM_BOOL:
        v->i = d->def != 0;
        v->d = (double)v->i;
        break;
    default:
        break;
    }
}

static void free_values(gd_param_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].s);
    free(v);
}

/* "FILE:LINE: [kind.name] key: " */
static void where(char *buf, size_t len, const gd_plugin_conf *pc, const gd_kv *kv)
{
    const char *file = kv->file ? kv->file : (pc->file ? pc->file : "config");
    if (kv->line > 0)
        snprintf(buf, len, "%s:%d: [%s.%s] %s", file, kv->line, gd_kind_name(pc->kind),
                 pc->name ? pc->name : "?", kv->key);
    else
        snprintf(buf, len, "%s: [%s.%s] %s", file, gd_kind_name(pc->kind), pc->name ? pc->name : "?",
                 kv->key);
}

static int parse_value(gd_param_value *v, const gd_kv *kv, const char *loc, gd_err *err)
{
    const gordon_param *d = &v->decl;
    const char *s = kv->value ? kv->value : "";
    switch (d->type) {
    case GORDON_PARAM_INT: {
        int64_t x = 0;
        int rc = gd_parse_int64(s, &x);
        if (rc == GD_EINVAL)
            return gd_err_set(err, GD_EINVAL,
                              "%s: '%s' is not an integer (allowed: integers in [%g, %g])", loc, s,
                              d->min, d->max);
        if (rc || (double)x < d->min || (double)x > d->max)
            return gd_err_set(err, GD_ERANGE,
                              "%s: %s is out of range (allowed: integers in [%g, %g])", loc, s,
                              d->min, d->max);
        v->i = x;
        v->d = (double)x;
        return 0;
    }
    case GORDON_PARAM_DOUBLE: {
        double x = 0;
        int rc = gd_parse_double(s, &x);
        if (rc == GD_EINVAL)
            return gd_err_set(err, GD_EINVAL, "%s: '%s' is not a number (allowed: [%g, %g])", loc,
                              s, d->min, d->max);
        if (rc || x < d->min || x > d->max)
            return gd_err_set(err, GD_ERANGE, "%s: %s is out of range (allowed: [%g, %g])", loc, s,
                              d->min, d->max);
        v->d = x;
        return 0;
    }
    case GORDON_PARAM_BOOL: {
        int b;
        if (gd_parse_bool(s, &b))
            return gd_err_set(err, GD_EINVAL, "%s: '%s' is not a boolean (allowed: " BOOL_ALLOWED ")",
                              loc, s);
        v->i = b;
        v->d = b;
        return 0;
    }
    default: {
        char *copy = strdup(s);
        if (!copy)
            return gd_err_set(err, GD_ENOMEM, "%s: out of memory", loc);
        free(v->s);
        v->s = copy;
        return 0;
    }
    }
}

/* Levenshtein distance of two parameter names, capped at 99 (names are
 * at most GD_NAME_MAX bytes; longer ones are no one's typo). */
static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned row[GD_NAME_MAX + 2];
    if (la > GD_NAME_MAX || lb > GD_NAME_MAX)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

int gd_params_bind(const gordon_plugin *desc, const gd_plugin_conf *pc, gd_params *out, gd_err *err)
{
    gd_param_value *v = NULL;
    uint32_t n;
    int rc;

    memset(out, 0, sizeof *out);
    if (!desc || !pc)
        return gd_err_set(err, GD_EINVAL, "gd_params_bind: no descriptor or section");
    n = desc->n_params;
    if (n && !(v = calloc(n, sizeof *v)))
        return gd_err_set(err, GD_ENOMEM, "out of memory");

    for (uint32_t i = 0; i < n; i++) {
        if ((rc = gd_params_decl(desc, i, &v[i].decl, err)) || (rc = check_decl(desc, &v[i].decl, i, err)))
            goto fail;
        for (uint32_t j = 0; j < i; j++) {
            if (!strcmp(v[j].decl.name, v[i].decl.name)) {
                rc = gd_err_set(err, GD_EABI, "plugin '%s': param '%s' declared twice",
                                plugin_name(desc), v[i].decl.name);
                goto fail;
            }
        }
        set_default(&v[i]);
        if (v[i].decl.type == GORDON_PARAM_STRING) {
            /* NULL def_str reads as "", so plugins need not check for NULL. */
            if (!(v[i].s = strdup(v[i].decl.def_str ? v[i].decl.def_str : ""))) {
                rc = gd_err_set(err, GD_ENOMEM, "out of memory");
                goto fail;
            }
        }
    }

    for (size_t k = 0; k < pc->n_params; k++) {
        const gd_kv *kv = &pc->params[k];
        char loc[512];
        uint32_t i;
        if (!kv->key) {
            rc = gd_err_set(err, GD_EINVAL, "[%s.%s]: parameter without a key", gd_kind_name(pc->kind),
                            pc->name ? pc->name : "?");
            goto fail;
        }
        where(loc, sizeof loc, pc, kv);
        for (i = 0; i < n; i++)
            if (!strcmp(v[i].decl.name, kv->key))
                break;
        if (i == n) {
            char known[400];
            size_t used = 0;
            known[0] = '\0';
            for (uint32_t j = 0; j < n && used < sizeof known; j++)
                used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", j ? ", " : "",
                                         v[j].decl.name);
            /* The nearest declared name, if it is near: a likely typo. */
            const char *near = NULL;
            unsigned best = 99, limit = (unsigned)strlen(kv->key) / 3 + 1;
            for (uint32_t j = 0; j < n; j++) {
                unsigned dist = edit_distance(kv->key, v[j].decl.name);
                if (dist < best) {
                    best = dist;
                    near = v[j].decl.name;
                }
            }
            char hint[GD_NAME_MAX + 32] = "";
            if (near && best <= limit)
                snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
            rc = gd_err_set(err, GD_EINVAL, "%s: unknown parameter for plugin '%s' (known: %s)%s", loc,
                            desc->name ? desc->name : (pc->plugin ? pc->plugin : "?"),
                            n ? known : "none", hint);
            goto fail;
        }
        if ((rc = parse_value(&v[i], kv, loc, err)))
            goto fail;
        v[i].from_config = 1;
        v[i].file = kv->file;
        v[i].line = kv->line;
    }
    out->v = v;
    out->n = n;
    return 0;
fail:
    free_values(v, n);
    return rc;
}

const gd_param_value *gd_params_find(const gd_params *p, const char *name)
{
    if (!p || !name)
        return NULL;
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].decl.name && !strcmp(p->v[i].decl.name, name))
            return &p->v[i];
    return NULL;
}

int gd_params_set_number(gd_params *p, const char *name, double value, gd_err *err)
{
    gd_param_value *v = (gd_param_value *)gd_params_find(p, name);
    const gordon_param *d;

    if (!v)
        return gd_err_set(err, GD_ENOENT, "unknown parameter '%s'", name ? name : "(null)");
    d = &v->decl;
    if (d->type != GORDON_PARAM_INT && d->type != GORDON_PARAM_DOUBLE)
        return gd_err_set(err, GD_EINVAL, "parameter '%s' is not numeric", d->name);
    if (!isfinite(value))
        return gd_err_set(err, GD_EINVAL, "parameter '%s': %g is not finite", d->name, value);
    if (d->type == GORDON_PARAM_INT && value != trunc(value))
        return gd_err_set(err, GD_EINVAL, "parameter '%s': %g is not an integer", d->name, value);
    if (value < d->min || value > d->max)
        return gd_err_set(err, GD_ERANGE, "parameter '%s': %g is out of range (allowed: [%g, %g])",
                          d->name, value, d->min, d->max);
    if (d->type == GORDON_PARAM_INT) {
        /* Guard the cast: bounds are doubles and need not fit an int64. */
        if (value < -9223372036854775808.0 || value >= 9223372036854775808.0)
            return gd_err_set(err, GD_ERANGE, "parameter '%s': %g does not fit a 64-bit integer",
                              d->name, value);
        v->i = (int64_t)value;
        v->d = (double)v->i;
    } else {
        v->d = value;
    }
    return 0;
}

int gd_params_copy(const gd_params *src, gd_params *dst, gd_err *err)
{
    gd_param_value *v;

    memset(dst, 0, sizeof *dst);
    if (!src || !src->n)
        return 0;
    if (!(v = calloc(src->n, sizeof *v)))
        return gd_err_set(err, GD_ENOMEM, "copying %zu parameters: out of memory", src->n);
    for (size_t i = 0; i < src->n; i++) {
        v[i] = src->v[i];
        v[i].s = NULL;
        if (src->v[i].s && !(v[i].s = strdup(src->v[i].s))) {
            int rc = gd_err_set(err, GD_ENOMEM, "copying parameter '%s': out of memory",
                                src->v[i].decl.name ? src->v[i].decl.name : "?");
            free_values(v, src->n);
            return rc;
        }
    }
    dst->v = v;
    dst->n = src->n;
    return 0;
}

void gd_params_free(gd_params *p)
{
    if (!p)
        return;
    free_values(p->v, p->n);
    p->v = NULL;
    p->n = 0;
}
