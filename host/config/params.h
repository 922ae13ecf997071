/* Binding a plugin's INI section to the parameters its descriptor declares. */
#ifndef GD_PARAMS_H
#define GD_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include <gordon/sdk.h>

#include "config/config.h"
#include "base/err.h"

typedef struct gd_param_value {
    gordon_param decl;  /* host copy, zero-extended past the plugin's param_size */
    int64_t i;          /* INT and BOOL (0/1) */
    double d;           /* DOUBLE (also INT as double) */
    char *s;            /* STRING, owned; a NULL def_str reads as "" (NULL for other types) */
    int from_config;    /* 1 if set in the INI/env, 0 if the default */
    const char *file;   /* where it was set (borrowed from the gd_config), or NULL */
    int line;
} gd_param_value;

typedef struct gd_params {
    gd_param_value *v;  /* owned, one per declared param, in declaration order */
    size_t n;
} gd_params;

/* Validates pc->params against desc's declarations: unknown keys, bad numbers
 * and values outside [min, max] are errors naming file:line and key. Missing
 * params take their defaults. desc is the host's zero-extended copy. */
int gd_params_bind(const gordon_plugin *desc, const gd_plugin_conf *pc, gd_params *out, gd_err *err);

/* Returns the i-th declaration of desc, honouring desc->param_size, copied
 * into *out (fields the plugin's struct does not have are zero). */
int gd_params_decl(const gordon_plugin *desc, uint32_t i, gordon_param *out, gd_err *err);

const gd_param_value *gd_params_find(const gd_params *p, const char *name);

/* Sets a numeric parameter (walk-forward search); range-checked, INT must be
 * integral. from_config/file/line are left as they were. */
int gd_params_set_number(gd_params *p, const char *name, double value, gd_err *err);

/* A deep copy (strings duplicated); dst is zeroed on failure. */
int gd_params_copy(const gd_params *src, gd_params *dst, gd_err *err);
void gd_params_free(gd_params *p);

#endif
