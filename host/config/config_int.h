/* Private to host/config/: the key schema, the parse context and the helpers
 * the loader's files share. Nothing outside the room includes this.
 *
 *   schema.c  the key table, section/mode/level names, defaults
 *   values.c  parsing and storing one value (gd_parse_*, lists, set_key)
 *   reader.c  the INI reader on inih: lines, sections, keys, conf.d
 *   env.c     GORDON_<SECTION>_<KEY> overrides
 *   config.c  loading end to end: merge, cross-field rules, free
 *   diff.c    what a reload changes
 *   json.c    the configuration as JSON, without secrets */
#ifndef GD_CONFIG_INT_H
#define GD_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "base/err.h"

/* ------------------------------------------------------------ the schema */

enum {
    SEC_NONE = -1,
    SEC_GORDON = 0,
    SEC_RISK,
    SEC_EXECUTOR,
    SEC_REPLAY,
    SEC_HTTP,
    SEC_FRED,
    SEC_ISOLATION,
    SEC_DB,
    SEC_BACKUP,
    SEC_VENUE,
    SEC_MARKET,
    SEC_SOAK,
    SEC_PREFLIGHT,
    SEC_PROMOTE,
    SEC_CONSOLE,
    SEC_N_HOST, /* sections above take GORDON_<SECTION>_<KEY> overrides */
    SEC_INSTRUMENT = SEC_N_HOST,
    SEC_PLUGIN,
    SEC_ABLATE
};

/* "gordon" ... "backup", then "instrument": indexed by SEC_* up to SEC_INSTRUMENT. */
extern const char *const gd_cfg_sec_names[SEC_INSTRUMENT + 1];
extern const char *const gd_cfg_mode_names[3];  /* by gd_mode */
extern const char *const gd_cfg_level_names[4]; /* debug, info, warn, error */

enum { KT_BOOL, KT_DOUBLE, KT_MODE, KT_LOGLEVEL, KT_PATH, KT_DATA, KT_STRING, KT_LISTEN, KT_HASHES, KT_HOSTS, KT_CHOICE };

#define KF_MIN_EXCL 1u /* min is exclusive */
#define KF_REQUIRED 2u /* instrument keys that must be given */
#define KF_RESTART 4u  /* a reload cannot change it: the running host depends on it */
#define KF_SECRET 8u   /* a credential, or may hold one: never exported (gd_config_json) */

typedef struct gd_key_spec {
    int sec;
    const char *key;
    int type;
    size_t off; /* into gd_config, or gd_instrument for SEC_INSTRUMENT */
    double def;
    double min, max;
    unsigned flags;
    const char *const *choices; /* KT_CHOICE: the allowed words, NULL-terminated */
} gd_key_spec;

/* The table's length, needed as a constant by gd_ctx (schema.c checks it). */
#define GD_CFG_N_KEYS 109
extern const gd_key_spec *const gd_cfg_keys;

/* Index of key in section sec, GD_CFG_N_KEYS when there is none. */
size_t gd_cfg_find_key(int sec, const char *key);
/* "> 0", ">= 1 and <= 125": the allowed range of a number key, for messages. */
void gd_cfg_fmt_range(char *buf, size_t len, const gd_key_spec *k);

/* --------------------------------------------------------- parse context */

typedef struct gd_where {
    const char *file; /* borrowed: cfg->files[i] or an "env:NAME" string of the context */
    int line;         /* 0 for the environment */
} gd_where;

typedef struct gd_inst_meta {
    gd_where hdr; /* first [instrument.X] header */
    uint64_t set[(GD_CFG_N_KEYS + 63) / 64]; /* bit k: gd_cfg_keys[k] given */
} gd_inst_meta;

typedef struct gd_plug_meta {
    gd_where symbols; /* last symbols = ... */
    int symbols_given;
} gd_plug_meta;

typedef struct gd_ctx {
    gd_config *cfg;
    gd_err *err;
    int rc; /* first error; parsing stops at it */

    /* the file being read */
    const char *file;
    char *dir; /* its directory, NULL when the path has no '/' (the cwd) */
    FILE *fp;
    char *buf;
    size_t cap;
    int line;
    int have_prev; /* inih has a previous key that indented lines continue */
    int cont;      /* the current line is such a continuation */
    char *prev_key;
    int sec;         /* SEC_* of the current section */
    size_t sec_idx;  /* instrument or plugin index */
    char *sec_label; /* "[name]" for messages */

    gd_where prov[GD_CFG_N_KEYS]; /* where each host key was last set (file NULL: default) */
    gd_inst_meta *inst;           /* parallel to cfg->instruments */
    gd_plug_meta *plug;           /* parallel to cfg->plugins */

    char **env_names; /* "env:NAME" strings that prov points to */
    size_t n_env_names;
} gd_ctx;

/* Records the first error as "file:line: msg" (or "file: msg" without a
 * line) and returns its code; later errors keep the first. */
int gd_cfg_fail(gd_ctx *c, gd_where w, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int gd_cfg_oom(gd_ctx *c, gd_where w);

/* ------------------------------------------------------- small helpers */

char *gd_cfg_trim(char *s);
/* 1 to GD_SYMBOL_MAX - 1 of [A-Za-z0-9_.-] */
int gd_cfg_is_symbol(const char *s);
/* Directory part of path, NULL when it has none (then paths stay relative to the cwd). */
char *gd_cfg_dir_of(const char *path);
/* value relative to dir, unless absolute or dir is NULL. */
char *gd_cfg_resolve(const char *dir, const char *value);
/* Makes room for element n (zeroed) of *arr; 0 or GD_ENOMEM. */
int gd_cfg_grow(void **arr, size_t n, size_t elem);

void gd_cfg_free_kv(gd_kv *kv);
void gd_cfg_free_data(gd_config *cfg);
void gd_cfg_free_symbols(gd_plugin_conf *pc);

/* ------------------------------------------------------------- values */

/* Sets gd_cfg_keys[ki] in base (the config or an instrument) from value.
 * dir: where relative paths resolve (NULL: the cwd). cont: continuation line. */
int gd_cfg_set_key(gd_ctx *c, void *base, size_t ki, const char *value, gd_where w, const char *dir,
                   int cont);
/* "[sec] key: unknown key (allowed: ...)" */
int gd_cfg_unknown_key(gd_ctx *c, gd_where w, int sec, const char *key);
/* Adds the comma list value to pc's symbols. */
int gd_cfg_add_symbols(gd_ctx *c, gd_where w, const char *key, const char *value, gd_plugin_conf *pc);

/* ------------------------------------------------------------- sources */

int gd_cfg_parse_file(gd_ctx *c, const char *path);
/* Every *.ini of dir, in lexical order. */
int gd_cfg_parse_confd(gd_ctx *c, const char *dir);
int gd_cfg_apply_env(gd_ctx *c, char *const *envp);

#endif
