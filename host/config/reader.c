/* The INI reader: files and conf.d into a gd_ctx (semantics in config.h).
 *
 * Parsing goes through inih's ini_parse_stream() with our own line reader,
 * because Debian's libinih is built without INI_HANDLER_LINENO (the handler
 * gets no line number, and defining the macro on our side would only break
 * the ABI). The reader:
 *  - hands inih exactly one physical line per call and counts it, so the
 *    handler, which inih calls while that line is being processed, knows its
 *    line; a line that does not fit inih's buffer is an error instead of being
 *    split silently into two lines;
 *  - mirrors inih's classification of the line (comment, continuation,
 *    [section], key = value) so that it tracks sections itself: inih
 *    truncates section names to 49 characters ([strategy.<63 chars>] does
 *    not fit) and never reports a section that has no keys, and we need the
 *    header's line for "missing tick_size" or "missing plugin";
 *  - notes continuation lines (indented lines after a key), which inih hands
 *    over as another value of the previous key: they extend the list keys
 *    data and symbols and are an error anywhere else.
 * Syntax errors are detected by the same mirror and reported with file:line.
 */
#include "config/config_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <gordon/sdk.h>

#include "base/names.h"
#include "base/strv.h"

/* ------------------------------------------------------------------ keys */

/* Stores key = value with where it was written; a later value replaces an
 * earlier one in place. */
static int kv_set(gd_ctx *c, gd_where w, gd_kv **arr, size_t *n, const char *key, const char *value)
{
    gd_kv kv = {strdup(key), strdup(value), strdup(w.file), w.line};
    size_t i;
    if (!kv.key || !kv.value || !kv.file) {
        gd_cfg_free_kv(&kv);
        return gd_cfg_oom(c, w);
    }
    for (i = 0; i < *n; i++)
        if (!strcmp((*arr)[i].key, key))
            break;
    if (i < *n) {
        gd_cfg_free_kv(&(*arr)[i]); /* later wins, keeps its first position */
    } else {
        if (gd_cfg_grow((void **)arr, *n, sizeof **arr)) {
            gd_cfg_free_kv(&kv);
            return gd_cfg_oom(c, w);
        }
        (*n)++;
    }
    (*arr)[i] = kv;
    return 0;
}

static int plugin_key(gd_ctx *c, gd_where w, const char *key, const char *value)
{
    gd_plugin_conf *pc = &c->cfg->plugins[c->sec_idx];
    gd_plug_meta *pm = &c->plug[c->sec_idx];

    if (!strcmp(key, "symbols")) {
        if (!c->cont)
            gd_cfg_free_symbols(pc);
        pm->symbols = w;
        pm->symbols_given = 1;
        return gd_cfg_add_symbols(c, w, key, value, pc);
    }
    if (c->cont)
        return gd_cfg_fail(c, w, GD_EPARSE,
                           "%s %s: indented line continues the previous value; only the lists data and "
                           "symbols may continue (allowed: start keys in column 1)",
                           c->sec_label, key);
    if (!strcmp(key, "plugin")) {
        char *name, *path = NULL;
        if (strchr(value, '/')) {
            path = gd_cfg_resolve(c->dir, value);
            if (!path)
                return gd_cfg_oom(c, w);
        } else if (!gd_name_valid(value, GD_NAME_MAX)) {
            return gd_cfg_fail(c, w, GD_EINVAL,
                               "%s plugin: bad plugin '%s' (allowed: a name of [a-z0-9_]{1,%d} looked up "
                               "in plugin_dir, or a path containing '/', e.g. ./%s)",
                               c->sec_label, value, GD_NAME_MAX, *value ? value : "x.so");
        }
        if (!(name = strdup(value))) {
            free(path);
            return gd_cfg_oom(c, w);
        }
        free(pc->plugin);
        free(pc->plugin_path);
        pc->plugin = name;
        pc->plugin_path = path;
        return 0;
    }
    if (!strcmp(key, "enabled")) {
        int b;
        if (gd_parse_bool(value, &b))
            return gd_cfg_fail(c, w, GD_EINVAL,
                               "%s enabled: '%s' is not a boolean (allowed: true/false/yes/no/on/off/1/0)",
                               c->sec_label, value);
        pc->enabled = b;
        return 0;
    }
    /* Anything else is a plugin parameter, checked later against its declarations. */
    return kv_set(c, w, &pc->params, &pc->n_params, key, value);
}

/* inih's handler: called for each key = value and each continuation line.
 * Returns inih's success flag (nonzero: go on); the error itself is in c. */
static int on_kv(void *user, const char *section, const char *name, const char *value)
{
    gd_ctx *c = user;
    gd_where w = {c->file, c->line};
    const char *key = name;
    size_t ki;
    (void)section; /* ours is untruncated, see the top of the file */

    if (c->rc)
        return 0;
    if (c->cont) {
        key = c->prev_key; /* inih passes its 49-character copy */
    } else {
        free(c->prev_key);
        if (!(c->prev_key = strdup(name)))
            return gd_cfg_oom(c, w), 0;
    }
    if (!*key)
        return gd_cfg_fail(c, w, GD_EPARSE, "empty key (allowed: key = value)"), 0;
    switch (c->sec) {
    case SEC_NONE:
        gd_cfg_fail(c, w, GD_EINVAL, "%s: key outside any section (allowed: keys under a [section])", key);
        return 0;
    case SEC_PLUGIN:
        return plugin_key(c, w, key, value) == 0;
    case SEC_ABLATE:
        /* Validated by the ablation runner, which owns its keys. */
        if (c->cont)
            return gd_cfg_fail(c, w, GD_EPARSE, "%s %s: indented continuation line (allowed: start keys in column 1)",
                               c->sec_label, key), 0;
        return kv_set(c, w, &c->cfg->ablate, &c->cfg->n_ablate, key, value) == 0;
    case SEC_INSTRUMENT:
        ki = gd_cfg_find_key(c->sec, key);
        if (ki == GD_CFG_N_KEYS)
            return gd_cfg_unknown_key(c, w, c->sec, key), 0;
        if (gd_cfg_set_key(c, &c->cfg->instruments[c->sec_idx], ki, value, w, c->dir, c->cont))
            return 0;
        c->inst[c->sec_idx].set[ki / 64] |= 1ull << (ki % 64);
        return 1;
    default:
        ki = gd_cfg_find_key(c->sec, key);
        if (ki == GD_CFG_N_KEYS)
            return gd_cfg_unknown_key(c, w, c->sec, key), 0;
        return gd_cfg_set_key(c, c->cfg, ki, value, w, c->dir, c->cont) == 0;
    }
}

/* ------------------------------------------------------------- sections */

/* [instrument.SYMBOL]: found or appended, with its first header's line. */
static int enter_instrument(gd_ctx *c, gd_where w, const char *label, const char *sym)
{
    gd_config *cfg = c->cfg;
    size_t i;
    if (!gd_cfg_is_symbol(sym))
        return gd_cfg_fail(c, w, GD_EINVAL, "%s: bad symbol '%s' (allowed: 1 to %d of [A-Za-z0-9_.-])",
                           label, sym, GD_SYMBOL_MAX - 1);
    for (i = 0; i < cfg->n_instruments; i++)
        if (!strcmp(cfg->instruments[i].symbol, sym))
            break;
    if (i == cfg->n_instruments) {
        if (gd_cfg_grow((void **)&cfg->instruments, i, sizeof *cfg->instruments) ||
            gd_cfg_grow((void **)&c->inst, i, sizeof *c->inst))
            return gd_cfg_oom(c, w);
        snprintf(cfg->instruments[i].symbol, GD_SYMBOL_MAX, "%s", sym);
        c->inst[i].hdr = w;
        cfg->n_instruments++;
    }
    c->sec = SEC_INSTRUMENT;
    c->sec_idx = i;
    return 0;
}

/* [strategy.NAME], [overlay.NAME], [breaker.NAME]: found or appended; NAME
 * is unique across the three kinds. */
static int enter_plugin(gd_ctx *c, gd_where w, const char *label, int kind, const char *inst)
{
    gd_config *cfg = c->cfg;
    size_t i;
    if (!gd_name_valid(inst, GD_NAME_MAX))
        return gd_cfg_fail(c, w, GD_EINVAL, "%s: bad instance name '%s' (allowed: [a-z0-9_]{1,%d})",
                           label, inst, GD_NAME_MAX);
    for (i = 0; i < cfg->n_plugins; i++)
        if (!strcmp(cfg->plugins[i].name, inst))
            break;
    if (i < cfg->n_plugins && cfg->plugins[i].kind != kind)
        return gd_cfg_fail(c, w, GD_EEXIST,
                           "%s: instance name '%s' is already used by a section at %s:%d (allowed: "
                           "names unique across strategy, overlay and breaker)",
                           label, inst, cfg->plugins[i].file, cfg->plugins[i].line);
    if (i == cfg->n_plugins) {
        gd_plugin_conf *pc;
        if (gd_cfg_grow((void **)&cfg->plugins, i, sizeof *cfg->plugins) ||
            gd_cfg_grow((void **)&c->plug, i, sizeof *c->plug))
            return gd_cfg_oom(c, w);
        pc = &cfg->plugins[i];
        cfg->n_plugins++; /* counted now so gd_config_free sees partial entries */
        pc->kind = kind;
        pc->enabled = 1;
        pc->line = c->line;
        if (!(pc->name = strdup(inst)) || !(pc->file = strdup(c->file)))
            return gd_cfg_oom(c, w);
    }
    c->sec = SEC_PLUGIN;
    c->sec_idx = i;
    return 0;
}

static int enter_section(gd_ctx *c, const char *name)
{
    static const struct {
        const char *prefix;
        int kind;
    } kinds[] = {{"strategy.", GORDON_KIND_STRATEGY},
                 {"overlay.", GORDON_KIND_OVERLAY},
                 {"breaker.", GORDON_KIND_BREAKER}};
    gd_where w = {c->file, c->line};
    size_t n = strlen(name) + 3;
    char *label = malloc(n);

    if (!label)
        return gd_cfg_oom(c, w);
    snprintf(label, n, "[%s]", name);
    free(c->sec_label);
    c->sec_label = label;

    for (int s = 0; s < SEC_N_HOST; s++) {
        if (!strcmp(name, gd_cfg_sec_names[s])) {
            c->sec = s;
            return 0;
        }
    }
    if (!strcmp(name, "ablate")) {
        c->sec = SEC_ABLATE;
        return 0;
    }
    if (!strncmp(name, "instrument.", 11))
        return enter_instrument(c, w, label, name + 11);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t plen = strlen(kinds[k].prefix);
        if (!strncmp(name, kinds[k].prefix, plen))
            return enter_plugin(c, w, label, kinds[k].kind, name + plen);
    }
    return gd_cfg_fail(c, w, GD_EINVAL,
                       "%s: unknown section (allowed: gordon, risk, executor, replay, http, fred, instrument.SYMBOL, "
                       "strategy.NAME, overlay.NAME, breaker.NAME, ablate)",
                       label);
}

/* ------------------------------------------------------------ the reader */

/* inih's find_chars_or_comment(): first of chars, or an inline ';' after whitespace. */
static const char *find_or_comment(const char *s, const char *chars)
{
    int was_space = 0;
    while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
        was_space = isspace((unsigned char)*s);
        s++;
    }
    return s;
}

/* Classifies a raw line the way inih will (defaults of inih 55: multiline,
 * BOM, ";#" comments, inline ';' comments). */
static int classify(gd_ctx *c, const char *raw)
{
    gd_where w = {c->file, c->line};
    const char *s = raw, *end;

    c->cont = 0;
    if (c->line == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
        (unsigned char)s[2] == 0xBF)
        s += 3;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s || *s == ';' || *s == '#')
        return 0;
    if (c->have_prev && s > raw) {
        c->cont = 1;
        return 0;
    }
    if (*s == '[') {
        char *name;
        int rc;
        end = find_or_comment(s + 1, "]");
        if (*end != ']')
            return gd_cfg_fail(c, w, GD_EPARSE, "syntax error: '[' without ']' (allowed: [section])");
        if (!(name = strndup(s + 1, (size_t)(end - s - 1))))
            return gd_cfg_oom(c, w);
        c->have_prev = 0;
        rc = enter_section(c, name);
        free(name);
        return rc;
    }
    end = find_or_comment(s, "=:");
    if (*end != '=' && *end != ':')
        return gd_cfg_fail(c, w, GD_EPARSE, "syntax error: expected key = value");
    c->have_prev = 1;
    return 0;
}

static char *reader(char *str, int num, void *stream)
{
    gd_ctx *c = stream;
    ssize_t n;
    gd_where w;

    if (c->rc)
        return NULL;
    n = getline(&c->buf, &c->cap, c->fp);
    if (n < 0)
        return NULL; /* EOF, or an error the caller finds with ferror() */
    c->line++;
    w.file = c->file;
    w.line = c->line;
    if ((size_t)n != strlen(c->buf)) {
        gd_cfg_fail(c, w, GD_EPARSE, "NUL byte in line");
        return NULL;
    }
    if (n > num - 1) {
        /* inih's line buffer is fixed; split lists over indented lines instead. */
        gd_cfg_fail(c, w, GD_EPARSE,
                    "line too long (%zd characters; allowed: %d, continue data/symbols lists on "
                    "indented lines)",
                    n, num - 1);
        return NULL;
    }
    if (classify(c, c->buf))
        return NULL;
    memcpy(str, c->buf, (size_t)n + 1);
    return str;
}

/* Records path in cfg->files, which outlives the parse (messages point into it). */
static int add_file(gd_ctx *c, const char *path)
{
    gd_config *cfg = c->cfg;
    char *s = strdup(path);
    if (!s || gd_cfg_grow((void **)&cfg->files, cfg->n_files, sizeof *cfg->files)) {
        free(s);
        return gd_cfg_oom(c, (gd_where){path, 0});
    }
    cfg->files[cfg->n_files++] = s;
    return 0;
}

int gd_cfg_parse_file(gd_ctx *c, const char *path)
{
    gd_where w = {path, 0};
    int r;

    c->fp = fopen(path, "r");
    if (!c->fp)
        return gd_cfg_fail(c, w, errno == ENOENT ? GD_ENOENT : GD_EIO, "cannot open: %s", strerror(errno));
    if (add_file(c, path))
        goto out;
    c->file = c->cfg->files[c->cfg->n_files - 1];
    free(c->dir);
    c->dir = NULL;
    if (strchr(path, '/') && !(c->dir = gd_cfg_dir_of(path))) {
        gd_cfg_oom(c, w);
        goto out;
    }
    c->line = 0;
    c->have_prev = 0;
    c->cont = 0;
    c->sec = SEC_NONE;
    free(c->sec_label);
    c->sec_label = NULL;

    r = ini_parse_stream(reader, c, on_kv, c);
    if (c->rc)
        goto out;
    if (ferror(c->fp)) {
        gd_cfg_fail(c, w, GD_EIO, "read error: %s", strerror(errno));
        goto out;
    }
    if (r > 0) {
        w.line = r; /* our mirror should have caught it first */
        gd_cfg_fail(c, w, GD_EPARSE, "syntax error");
    } else if (r < 0) {
        gd_cfg_fail(c, w, r == -2 ? GD_ENOMEM : GD_EIO, "inih failed (%d)", r); /* -2: inih's malloc */
    }
out:
    fclose(c->fp);
    c->fp = NULL;
    return c->rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gd_cfg_parse_confd(gd_ctx *c, const char *dir)
{
    gd_where w = {dir, 0};
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;

    if (!d)
        return gd_cfg_fail(c, w, errno == ENOENT ? GD_ENOENT : GD_EIO, "cannot open directory: %s",
                           strerror(errno));
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        size_t plen = strlen(dir) + len + 2;
        struct stat st;
        char *p;
        /* *.ini as the shell would glob it: hidden files are skipped */
        if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".ini"))
            continue;
        if (!(p = malloc(plen)) || gd_cfg_grow((void **)&names, n, sizeof *names)) {
            free(p);
            gd_cfg_oom(c, w);
            goto out;
        }
        snprintf(p, plen, "%s/%s", dir, de->d_name);
        if (stat(p, &st) || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        names[n++] = p;
    }
    /* Full paths share the dir prefix, so this is the lexical order of the names. */
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++)
        if (gd_cfg_parse_file(c, names[i]))
            break;
out:
    closedir(d);
    gd_strv_free(names, n);
    return c->rc;
}
