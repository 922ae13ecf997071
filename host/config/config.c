/* Configuration loading (semantics in config.h).
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
 *
 * A key given twice, in one file or across files, takes the later value; the
 * environment comes last. Every value is validated when it is read, even if
 * a later one replaces it. Cross-field rules run once everything is merged.
 */
#include "config/config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <gordon/sdk.h>

#include "base/dates.h"
#include "base/names.h"


/* ------------------------------------------------------------ the schema */

enum {
    SEC_NONE = -1,
    SEC_GORDON = 0,
    SEC_RISK,
    SEC_EXECUTOR,
    SEC_REPLAY,
    SEC_HTTP,
    SEC_FRED,
    SEC_N_HOST, /* sections above take GORDON_<SECTION>_<KEY> overrides */
    SEC_INSTRUMENT = SEC_N_HOST,
    SEC_PLUGIN,
    SEC_ABLATE
};

static const char *const sec_names[] = {"gordon", "risk", "executor", "replay", "http", "fred", "instrument"};

enum { KT_BOOL, KT_DOUBLE, KT_MODE, KT_LOGLEVEL, KT_PATH, KT_DATA, KT_STRING, KT_LISTEN, KT_HASHES };

#define KF_MIN_EXCL 1u /* min is exclusive */
#define KF_REQUIRED 2u /* instrument keys that must be given */
#define KF_RESTART 4u  /* a reload cannot change it: the running host depends on it */

typedef struct gd_key_spec {
    int sec;
    const char *key;
    int type;
    size_t off; /* into gd_config, or gd_instrument for SEC_INSTRUMENT */
    double def;
    double min, max;
    unsigned flags;
} gd_key_spec;

#define CF(f) offsetof(gd_config, f)
#define IF(f) offsetof(gd_instrument, f)

static const gd_key_spec gd_keys[] = {
    {SEC_GORDON, "mode", KT_MODE, CF(mode), GD_MODE_BACKTEST, 0, 0, KF_RESTART},
    {SEC_GORDON, "plugin_dir", KT_PATH, CF(plugin_dir), 0, 0, 0, 0},
    {SEC_GORDON, "intent_log", KT_PATH, CF(intent_log), 0, 0, 0, KF_RESTART},
    {SEC_GORDON, "state_dir", KT_PATH, CF(state_dir), 0, 0, 0, KF_RESTART},
    {SEC_GORDON, "log_level", KT_LOGLEVEL, CF(log_level), 0, 0, 0, 0},
    {SEC_RISK, "equity", KT_DOUBLE, CF(equity), 10000, 0, INFINITY, KF_MIN_EXCL | KF_RESTART},
    {SEC_RISK, "risk_pct", KT_DOUBLE, CF(risk_pct), 0.5, 0, 5, KF_MIN_EXCL},
    {SEC_RISK, "leverage", KT_DOUBLE, CF(leverage), 1, 1, 125, 0},
    {SEC_RISK, "max_order_notional_usd", KT_DOUBLE, CF(max_order_notional), 50000, 0, INFINITY, 0},
    {SEC_RISK, "max_daily_notional_usd", KT_DOUBLE, CF(max_daily_notional), 500000, 0, INFINITY, 0},
    {SEC_RISK, "max_gross_exposure_usd", KT_DOUBLE, CF(max_gross_exposure), 100000, 0, INFINITY, 0},
    {SEC_RISK, "max_intents_per_sec", KT_DOUBLE, CF(max_intents_per_sec), 20, 0, INFINITY, KF_MIN_EXCL},
    {SEC_RISK, "max_intents_per_sec_strategy", KT_DOUBLE, CF(max_intents_per_sec_strategy), 5, 0,
     INFINITY, KF_MIN_EXCL},
    {SEC_EXECUTOR, "sl_required", KT_BOOL, CF(sl_required), 1, 0, 0, 0},
    {SEC_EXECUTOR, "testnet", KT_BOOL, CF(testnet), 1, 0, 0, 0},
    {SEC_EXECUTOR, "max_notional_usd_prod", KT_DOUBLE, CF(max_notional_usd_prod), 1000, 0, INFINITY, 0},
    {SEC_EXECUTOR, "fee_bps", KT_DOUBLE, CF(fee_bps), 4, 0, 100, 0},
    {SEC_EXECUTOR, "slippage_bps", KT_DOUBLE, CF(slippage_bps), 1, 0, 1000, 0},
    {SEC_GORDON, "exit_when_done", KT_BOOL, CF(exit_when_done), 1, 0, 0, KF_RESTART},
    {SEC_REPLAY, "data", KT_DATA, 0, 0, 0, 0, KF_RESTART},
    {SEC_REPLAY, "bars_per_sec", KT_DOUBLE, CF(bars_per_sec), 0, 0, 1e9, KF_RESTART},
    {SEC_HTTP, "listen", KT_LISTEN, CF(http_listen), 0, 0, 0, KF_RESTART},
    {SEC_HTTP, "operator_token_sha256", KT_HASHES, CF(http_token_hashes), 0, 0, 0, 0},
    {SEC_HTTP, "max_body_bytes", KT_DOUBLE, CF(http_max_body), 65536, 256, 16777216, KF_RESTART},
    {SEC_HTTP, "idle_timeout_ms", KT_DOUBLE, CF(http_idle_ms), 10000, 100, 3600000, KF_RESTART},
    {SEC_FRED, "api_key", KT_STRING, CF(fred_api_key), 0, 0, 0, KF_RESTART},
    {SEC_FRED, "base_url", KT_STRING, CF(fred_base_url), 0, 0, 0, KF_RESTART},
    {SEC_FRED, "poll_ms", KT_DOUBLE, CF(fred_poll_ms), 3600000, 1000, 7.0 * (double)GD_DAY_MS, KF_RESTART},
    {SEC_FRED, "timeout_ms", KT_DOUBLE, CF(fred_timeout_ms), 10000, 100, 600000, KF_RESTART},
    {SEC_FRED, "observation_start", KT_STRING, CF(fred_observation_start), 0, 0, 0, KF_RESTART},
    {SEC_INSTRUMENT, "tick_size", KT_DOUBLE, IF(tick_size), 0, 0, INFINITY, KF_MIN_EXCL | KF_REQUIRED},
    {SEC_INSTRUMENT, "step_size", KT_DOUBLE, IF(step_size), 0, 0, INFINITY, KF_MIN_EXCL | KF_REQUIRED},
    {SEC_INSTRUMENT, "min_qty", KT_DOUBLE, IF(min_qty), 0, 0, INFINITY, 0},
    {SEC_INSTRUMENT, "min_notional", KT_DOUBLE, IF(min_notional), 0, 0, INFINITY, 0},
};

#define N_KEYS (sizeof gd_keys / sizeof gd_keys[0])
_Static_assert(sizeof gd_keys / sizeof gd_keys[0] <= 64, "key bits fit the provenance table");

static const char *const mode_names[] = {"backtest", "testnet", "production"};
static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* --------------------------------------------------------- parse context */

typedef struct gd_where {
    const char *file; /* borrowed: cfg->files[i] or an "env:NAME" string of the context */
    int line;         /* 0 for the environment */
} gd_where;

typedef struct gd_inst_meta {
    gd_where hdr; /* first [instrument.X] header */
    uint64_t set; /* bit k: gd_keys[k] given */
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

    gd_where prov[N_KEYS]; /* where each host key was last set (file NULL: default) */
    gd_inst_meta *inst;    /* parallel to cfg->instruments */
    gd_plug_meta *plug;    /* parallel to cfg->plugins */

    char **env_names; /* "env:NAME" strings that prov points to */
    size_t n_env_names;
} gd_ctx;

__attribute__((format(printf, 4, 5))) static int fail(gd_ctx *c, gd_where w, int code,
                                                      const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->rc)
        return c->rc; /* keep the first error */
    if (w.line > 0)
        gd_err_set(c->err, code, "%s:%d: %s", w.file, w.line, msg);
    else
        gd_err_set(c->err, code, "%s: %s", w.file ? w.file : "(default)", msg);
    c->rc = code;
    return code;
}

static int oom(gd_ctx *c, gd_where w)
{
    return fail(c, w, GD_ENOMEM, "out of memory");
}

/* ------------------------------------------------------- small helpers */

static char *trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int is_symbol(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n >= GD_SYMBOL_MAX)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
            return 0;
    return 1;
}

/* Directory part of path, NULL when it has none (then paths stay relative to the cwd). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* value relative to dir, unless absolute or dir is NULL. */
static char *resolve(const char *dir, const char *value)
{
    char *out;
    size_t n;
    if (value[0] == '/' || !dir)
        return strdup(value);
    n = strlen(dir) + strlen(value) + 2;
    out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", value);
    return out;
}

static int grow(void **arr, size_t n, size_t elem)
{
    void *p = realloc(*arr, (n + 1) * elem);
    if (!p)
        return GD_ENOMEM;
    *arr = p;
    memset((char *)p + n * elem, 0, elem);
    return 0;
}

static void fmt_range(char *buf, size_t len, const gd_key_spec *k)
{
    const char *lo = (k->flags & KF_MIN_EXCL) ? ">" : ">=";
    if (isinf(k->max))
        snprintf(buf, len, "%s %g", lo, k->min);
    else
        snprintf(buf, len, "%s %g and <= %g", lo, k->min, k->max);
}

static void fmt_keys(char *buf, size_t len, int sec)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_KEYS && used < len; i++) {
        if (gd_keys[i].sec != sec)
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", gd_keys[i].key);
    }
}

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
        return oom(c, w);
    for (;;) {
        char *comma = strchr(p, ',');
        char *item;
        if (comma)
            *comma = '\0';
        item = trim(p);
        if (*item) {
            rc = fn(c, w, item, arg);
            if (rc)
                break;
        } else if (comma) {
            rc = fail(c, w, GD_EINVAL, "%s %s: empty item in '%s' (allowed: a comma-separated list)",
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

static void free_data(gd_config *cfg)
{
    for (size_t i = 0; i < cfg->n_data; i++)
        free(cfg->data[i].path);
    free(cfg->data);
    cfg->data = NULL;
    cfg->n_data = 0;
}

static int data_item(gd_ctx *c, gd_where w, char *item, void *arg)
{
    const char *dir = arg;
    gd_config *cfg = c->cfg;
    char *colon = strchr(item, ':');
    char *sym, *path, *resolved;
    if (!colon)
        return fail(c, w, GD_EINVAL, "%s data: '%s' is not SYMBOL:path (allowed: SYMBOL:path, ...)",
                    c->sec_label, item);
    *colon = '\0';
    sym = trim(item);
    path = trim(colon + 1);
    if (!is_symbol(sym))
        return fail(c, w, GD_EINVAL,
                    "%s data: bad symbol '%s' (allowed: 1 to %d of [A-Za-z0-9_.-])", c->sec_label,
                    sym, GD_SYMBOL_MAX - 1);
    if (!*path)
        return fail(c, w, GD_EINVAL, "%s data: empty path for %s (allowed: SYMBOL:path)",
                    c->sec_label, sym);
    for (size_t i = 0; i < cfg->n_data; i++)
        if (!strcmp(cfg->data[i].symbol, sym))
            return fail(c, w, GD_EEXIST, "%s data: symbol %s given twice (allowed: one path per symbol)",
                        c->sec_label, sym);
    resolved = resolve(dir, path);
    if (!resolved || grow((void **)&cfg->data, cfg->n_data, sizeof *cfg->data)) {
        free(resolved);
        return oom(c, w);
    }
    snprintf(cfg->data[cfg->n_data].symbol, GD_SYMBOL_MAX, "%s", sym);
    cfg->data[cfg->n_data].path = resolved;
    cfg->n_data++;
    return 0;
}

static void free_symbols(gd_plugin_conf *pc)
{
    for (size_t i = 0; i < pc->n_symbols; i++)
        free(pc->symbols[i]);
    free(pc->symbols);
    pc->symbols = NULL;
    pc->n_symbols = 0;
}

static int symbol_item(gd_ctx *c, gd_where w, char *item, void *arg)
{
    gd_plugin_conf *pc = arg;
    char *s;
    if (!is_symbol(item))
        return fail(c, w, GD_EINVAL,
                    "%s symbols: bad symbol '%s' (allowed: 1 to %d of [A-Za-z0-9_.-])", c->sec_label,
                    item, GD_SYMBOL_MAX - 1);
    for (size_t i = 0; i < pc->n_symbols; i++)
        if (!strcmp(pc->symbols[i], item))
            return fail(c, w, GD_EEXIST, "%s symbols: %s given twice", c->sec_label, item);
    s = strdup(item);
    if (!s || grow((void **)&pc->symbols, pc->n_symbols, sizeof *pc->symbols)) {
        free(s);
        return oom(c, w);
    }
    pc->symbols[pc->n_symbols++] = s;
    return 0;
}

/* ------------------------------------------------------------ setting keys */

/* Sets gd_keys[ki] in base (the config or an instrument) from value.
 * dir: where relative paths resolve (NULL: the cwd). cont: continuation line. */
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

static int set_key(gd_ctx *c, void *base, size_t ki, const char *value, gd_where w, const char *dir,
                   int cont)
{
    const gd_key_spec *k = &gd_keys[ki];
    char *field = (char *)base + k->off;

    if (cont && k->type != KT_DATA)
        return fail(c, w, GD_EPARSE,
                    "%s %s: indented line continues the previous value; only the lists data and "
                    "symbols may continue (allowed: start keys in column 1)",
                    c->sec_label, k->key);
    switch (k->type) {
    case KT_BOOL: {
        int b;
        if (gd_parse_bool(value, &b))
            return fail(c, w, GD_EINVAL,
                        "%s %s: '%s' is not a boolean (allowed: true/false/yes/no/on/off/1/0)",
                        c->sec_label, k->key, value);
        *(int *)(void *)field = b;
        break;
    }
    case KT_DOUBLE: {
        char allowed[128];
        double d = 0;
        int r = gd_parse_double(value, &d);
        fmt_range(allowed, sizeof allowed, k);
        if (r)
            return fail(c, w, GD_EINVAL, "%s %s: '%s' is not a number (allowed: %s)", c->sec_label,
                        k->key, value, allowed);
        if (d < k->min || d > k->max || ((k->flags & KF_MIN_EXCL) && d <= k->min))
            return fail(c, w, GD_ERANGE, "%s %s: %s is out of range (allowed: %s)", c->sec_label,
                        k->key, value, allowed);
        *(double *)(void *)field = d;
        break;
    }
    case KT_MODE: {
        size_t i;
        for (i = 0; i < 3; i++)
            if (!strcasecmp(value, mode_names[i]))
                break;
        if (i == 3)
            return fail(c, w, GD_EINVAL,
                        "%s %s: '%s' is not a mode (allowed: backtest, testnet, production)",
                        c->sec_label, k->key, value);
        *(gd_mode *)(void *)field = (gd_mode)i;
        break;
    }
    case KT_LOGLEVEL: {
        size_t i;
        char *s;
        for (i = 0; i < 4; i++)
            if (!strcasecmp(value, level_names[i]))
                break;
        if (i == 4)
            return fail(c, w, GD_EINVAL,
                        "%s %s: '%s' is not a log level (allowed: debug, info, warn, error)",
                        c->sec_label, k->key, value);
        if (!(s = strdup(level_names[i])))
            return oom(c, w);
        free(*(char **)(void *)field);
        *(char **)(void *)field = s;
        break;
    }
    case KT_PATH: {
        char *s;
        if (!*value)
            return fail(c, w, GD_EINVAL, "%s %s: empty path (allowed: a path; omit the key for none)",
                        c->sec_label, k->key);
        if (!(s = resolve(dir, value)))
            return oom(c, w);
        free(*(char **)(void *)field);
        *(char **)(void *)field = s;
        break;
    }
    case KT_STRING:
    case KT_LISTEN:
    case KT_HASHES: {
        char *str;
        if (k->type == KT_LISTEN && !listen_ok(value))
            return fail(c, w, GD_EINVAL, "%s %s: '%s' is not HOST:PORT (allowed: e.g. 127.0.0.1:8080, [::1]:8080)",
                        c->sec_label, k->key, value);
        if (k->type == KT_HASHES && !hashes_ok(value))
            return fail(c, w, GD_EINVAL,
                        "%s %s: expected SHA-256 hashes, 64 lowercase hex characters each, separated by commas "
                        "(allowed: the hash line printed by `gordon token new`)",
                        c->sec_label, k->key);
        if (!(str = strdup(value)))
            return oom(c, w);
        free(*(char **)(void *)field);
        *(char **)(void *)field = str;
        break;
    }
    case KT_DATA:
        if (!cont)
            free_data(c->cfg); /* a new data = replaces the list; indented lines extend it */
        if (each_item(c, w, k->key, value, data_item, (void *)dir))
            return c->rc;
        break;
    default:
        return fail(c, w, GD_EINVAL, "internal: bad key type");
    }
    if (k->sec < SEC_N_HOST)
        c->prov[ki] = w;
    return 0;
}

static size_t find_key(int sec, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (gd_keys[i].sec == sec && !strcmp(gd_keys[i].key, key))
            return i;
    return N_KEYS;
}

static int unknown_key(gd_ctx *c, gd_where w, int sec, const char *key)
{
    char keys[512];
    fmt_keys(keys, sizeof keys, sec);
    return fail(c, w, GD_EINVAL, "%s %s: unknown key (allowed: %s)", c->sec_label, key, keys);
}

static void free_kv(gd_kv *kv)
{
    free(kv->key);
    free(kv->value);
    free(kv->file);
}

/* Stores key = value with where it was written; a later value replaces an
 * earlier one in place. */
static int kv_set(gd_ctx *c, gd_where w, gd_kv **arr, size_t *n, const char *key, const char *value)
{
    gd_kv kv = {strdup(key), strdup(value), strdup(w.file), w.line};
    size_t i;
    if (!kv.key || !kv.value || !kv.file) {
        free_kv(&kv);
        return oom(c, w);
    }
    for (i = 0; i < *n; i++)
        if (!strcmp((*arr)[i].key, key))
            break;
    if (i < *n) {
        free_kv(&(*arr)[i]); /* later wins, keeps its first position */
    } else {
        if (grow((void **)arr, *n, sizeof **arr)) {
            free_kv(&kv);
            return oom(c, w);
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
            free_symbols(pc);
        pm->symbols = w;
        pm->symbols_given = 1;
        return each_item(c, w, key, value, symbol_item, pc);
    }
    if (c->cont)
        return fail(c, w, GD_EPARSE,
                    "%s %s: indented line continues the previous value; only the lists data and "
                    "symbols may continue (allowed: start keys in column 1)",
                    c->sec_label, key);
    if (!strcmp(key, "plugin")) {
        char *name, *path = NULL;
        if (strchr(value, '/')) {
            path = resolve(c->dir, value);
            if (!path)
                return oom(c, w);
        } else if (!gd_name_valid(value, GD_NAME_MAX)) {
            return fail(c, w, GD_EINVAL,
                        "%s plugin: bad plugin '%s' (allowed: a name of [a-z0-9_]{1,%d} looked up "
                        "in plugin_dir, or a path containing '/', e.g. ./%s)",
                        c->sec_label, value, GD_NAME_MAX, *value ? value : "x.so");
        }
        if (!(name = strdup(value))) {
            free(path);
            return oom(c, w);
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
            return fail(c, w, GD_EINVAL,
                        "%s enabled: '%s' is not a boolean (allowed: true/false/yes/no/on/off/1/0)",
                        c->sec_label, value);
        pc->enabled = b;
        return 0;
    }
    /* Anything else is a plugin parameter, checked later against its declarations. */
    return kv_set(c, w, &pc->params, &pc->n_params, key, value);
}

/* inih's handler: called for each key = value and each continuation line. */
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
            return oom(c, w), 0;
    }
    if (!*key)
        return fail(c, w, GD_EPARSE, "empty key (allowed: key = value)"), 0;
    switch (c->sec) {
    case SEC_NONE:
        fail(c, w, GD_EINVAL, "%s: key outside any section (allowed: keys under a [section])", key);
        return 0;
    case SEC_PLUGIN:
        return plugin_key(c, w, key, value) == 0;
    case SEC_ABLATE:
        /* Validated by the ablation runner, which owns its keys. */
        if (c->cont)
            return fail(c, w, GD_EPARSE, "%s %s: indented continuation line (allowed: start keys in column 1)",
                        c->sec_label, key), 0;
        return kv_set(c, w, &c->cfg->ablate, &c->cfg->n_ablate, key, value) == 0;
    case SEC_INSTRUMENT:
        ki = find_key(c->sec, key);
        if (ki == N_KEYS)
            return unknown_key(c, w, c->sec, key), 0;
        if (set_key(c, &c->cfg->instruments[c->sec_idx], ki, value, w, c->dir, c->cont))
            return 0;
        c->inst[c->sec_idx].set |= 1ull << ki;
        return 1;
    default:
        ki = find_key(c->sec, key);
        if (ki == N_KEYS)
            return unknown_key(c, w, c->sec, key), 0;
        return set_key(c, c->cfg, ki, value, w, c->dir, c->cont) == 0;
    }
}

/* ------------------------------------------------------------- sections */

static int enter_section(gd_ctx *c, const char *name)
{
    static const struct {
        const char *prefix;
        int kind;
    } kinds[] = {{"strategy.", GORDON_KIND_STRATEGY},
                 {"overlay.", GORDON_KIND_OVERLAY},
                 {"breaker.", GORDON_KIND_BREAKER}};
    gd_config *cfg = c->cfg;
    gd_where w = {c->file, c->line};
    size_t n = strlen(name) + 3;
    char *label = malloc(n);

    if (!label)
        return oom(c, w);
    snprintf(label, n, "[%s]", name);
    free(c->sec_label);
    c->sec_label = label;

    for (int s = 0; s < SEC_N_HOST; s++) {
        if (!strcmp(name, sec_names[s])) {
            c->sec = s;
            return 0;
        }
    }
    if (!strcmp(name, "ablate")) {
        c->sec = SEC_ABLATE;
        return 0;
    }
    if (!strncmp(name, "instrument.", 11)) {
        const char *sym = name + 11;
        size_t i;
        if (!is_symbol(sym))
            return fail(c, w, GD_EINVAL, "%s: bad symbol '%s' (allowed: 1 to %d of [A-Za-z0-9_.-])",
                        label, sym, GD_SYMBOL_MAX - 1);
        for (i = 0; i < cfg->n_instruments; i++)
            if (!strcmp(cfg->instruments[i].symbol, sym))
                break;
        if (i == cfg->n_instruments) {
            if (grow((void **)&cfg->instruments, i, sizeof *cfg->instruments) ||
                grow((void **)&c->inst, i, sizeof *c->inst))
                return oom(c, w);
            snprintf(cfg->instruments[i].symbol, GD_SYMBOL_MAX, "%s", sym);
            c->inst[i].hdr = w;
            cfg->n_instruments++;
        }
        c->sec = SEC_INSTRUMENT;
        c->sec_idx = i;
        return 0;
    }
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t plen = strlen(kinds[k].prefix);
        const char *inst = name + plen;
        size_t i;
        if (strncmp(name, kinds[k].prefix, plen))
            continue;
        if (!gd_name_valid(inst, GD_NAME_MAX))
            return fail(c, w, GD_EINVAL, "%s: bad instance name '%s' (allowed: [a-z0-9_]{1,%d})",
                        label, inst, GD_NAME_MAX);
        for (i = 0; i < cfg->n_plugins; i++)
            if (!strcmp(cfg->plugins[i].name, inst))
                break;
        if (i < cfg->n_plugins && cfg->plugins[i].kind != kinds[k].kind)
            return fail(c, w, GD_EEXIST,
                        "%s: instance name '%s' is already used by a section at %s:%d (allowed: "
                        "names unique across strategy, overlay and breaker)",
                        label, inst, cfg->plugins[i].file, cfg->plugins[i].line);
        if (i == cfg->n_plugins) {
            gd_plugin_conf *pc;
            if (grow((void **)&cfg->plugins, i, sizeof *cfg->plugins) ||
                grow((void **)&c->plug, i, sizeof *c->plug))
                return oom(c, w);
            pc = &cfg->plugins[i];
            cfg->n_plugins++; /* counted now so gd_config_free sees partial entries */
            pc->kind = kinds[k].kind;
            pc->enabled = 1;
            pc->line = c->line;
            if (!(pc->name = strdup(inst)) || !(pc->file = strdup(c->file)))
                return oom(c, w);
        }
        c->sec = SEC_PLUGIN;
        c->sec_idx = i;
        return 0;
    }
    return fail(c, w, GD_EINVAL,
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
            return fail(c, w, GD_EPARSE, "syntax error: '[' without ']' (allowed: [section])");
        if (!(name = strndup(s + 1, (size_t)(end - s - 1))))
            return oom(c, w);
        c->have_prev = 0;
        rc = enter_section(c, name);
        free(name);
        return rc;
    }
    end = find_or_comment(s, "=:");
    if (*end != '=' && *end != ':')
        return fail(c, w, GD_EPARSE, "syntax error: expected key = value");
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
        fail(c, w, GD_EPARSE, "NUL byte in line");
        return NULL;
    }
    if (n > num - 1) {
        /* inih's line buffer is fixed; split lists over indented lines instead. */
        fail(c, w, GD_EPARSE,
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

static int add_file(gd_ctx *c, const char *path)
{
    gd_config *cfg = c->cfg;
    char *s = strdup(path);
    if (!s || grow((void **)&cfg->files, cfg->n_files, sizeof *cfg->files)) {
        free(s);
        return GD_ENOMEM;
    }
    cfg->files[cfg->n_files++] = s;
    return 0;
}

static int parse_file(gd_ctx *c, const char *path)
{
    gd_where w = {path, 0};
    int r;

    c->fp = fopen(path, "r");
    if (!c->fp)
        return fail(c, w, errno == ENOENT ? GD_ENOENT : GD_EIO, "cannot open: %s", strerror(errno));
    if (add_file(c, path)) {
        oom(c, w);
        goto out;
    }
    c->file = c->cfg->files[c->cfg->n_files - 1];
    free(c->dir);
    c->dir = NULL;
    if (strchr(path, '/') && !(c->dir = dir_of(path))) {
        oom(c, w);
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
        fail(c, w, GD_EIO, "read error: %s", strerror(errno));
        goto out;
    }
    if (r > 0) {
        w.line = r; /* our mirror should have caught it first */
        fail(c, w, GD_EPARSE, "syntax error");
    } else if (r < 0) {
        fail(c, w, r == -2 ? GD_ENOMEM : GD_EIO, "inih failed (%d)", r);
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

static int parse_confd(gd_ctx *c, const char *dir)
{
    gd_where w = {dir, 0};
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;

    if (!d)
        return fail(c, w, errno == ENOENT ? GD_ENOENT : GD_EIO, "cannot open directory: %s",
                    strerror(errno));
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        size_t plen = strlen(dir) + len + 2;
        struct stat st;
        char *p;
        /* *.ini as the shell would glob it: hidden files are skipped */
        if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".ini"))
            continue;
        if (!(p = malloc(plen)) || grow((void **)&names, n, sizeof *names)) {
            free(p);
            oom(c, w);
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
        if (parse_file(c, names[i]))
            break;
out:
    closedir(d);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return c->rc;
}

/* ----------------------------------------------------------- environment */

static int apply_env(gd_ctx *c, char *const *envp)
{
    for (; envp && *envp; envp++) {
        const char *e = *envp, *eq = strchr(e, '='), *rest;
        int sec = -1;
        size_t ki;
        char *loc, *value;
        gd_where w;
        size_t nlen;

        if (strncmp(e, "GORDON_", 7) || !eq)
            continue;
        rest = e + 7;
        for (int s = 0; s < SEC_N_HOST; s++) {
            size_t sl = strlen(sec_names[s]);
            size_t j;
            for (j = 0; j < sl; j++)
                if (rest[j] != toupper((unsigned char)sec_names[s][j]))
                    break;
            if (j == sl && rest[sl] == '_') {
                sec = s;
                rest += sl + 1;
                break;
            }
        }
        if (sec < 0)
            continue; /* GORDON_CONFIG and friends belong to someone else */

        nlen = (size_t)(eq - e);
        if (!(loc = malloc(nlen + 5)) ||
            grow((void **)&c->env_names, c->n_env_names, sizeof *c->env_names)) {
            free(loc);
            return oom(c, (gd_where){"env", 0});
        }
        snprintf(loc, nlen + 5, "env:%.*s", (int)nlen, e);
        c->env_names[c->n_env_names++] = loc;
        w.file = loc;
        w.line = 0;

        free(c->sec_label);
        c->sec_label = NULL;
        {
            size_t ll = strlen(sec_names[sec]) + 3;
            if (!(c->sec_label = malloc(ll)))
                return oom(c, w);
            snprintf(c->sec_label, ll, "[%s]", sec_names[sec]);
        }
        for (ki = 0; ki < N_KEYS; ki++) {
            const char *k = gd_keys[ki].key;
            size_t j, kl = strlen(k);
            if (gd_keys[ki].sec != sec || (size_t)(eq - rest) != kl)
                continue;
            for (j = 0; j < kl; j++)
                if (rest[j] != toupper((unsigned char)k[j]))
                    break;
            if (j == kl)
                break;
        }
        if (ki == N_KEYS) {
            /* A typo must not silently do nothing. */
            char key[128];
            size_t kl = (size_t)(eq - rest), j;
            for (j = 0; j < kl && j < sizeof key - 1; j++)
                key[j] = (char)tolower((unsigned char)rest[j]);
            key[j] = '\0';
            return unknown_key(c, w, sec, key);
        }
        if (!(value = strdup(eq + 1)))
            return oom(c, w);
        /* Environment paths are relative to the cwd. */
        set_key(c, c->cfg, ki, trim(value), w, NULL, 0);
        free(value);
        if (c->rc)
            return c->rc;
    }
    return 0;
}

/* -------------------------------------------------------------- finishing */

/* Where key ki was set, or where mode was set if ki is at its default. */
static gd_where where_or(const gd_ctx *c, size_t ki, size_t other)
{
    return c->prov[ki].file ? c->prov[ki] : c->prov[other];
}

static int finish(gd_ctx *c)
{
    gd_config *cfg = c->cfg;
    const size_t k_mode = find_key(SEC_GORDON, "mode");
    const size_t k_sl = find_key(SEC_EXECUTOR, "sl_required");
    const size_t k_testnet = find_key(SEC_EXECUTOR, "testnet");
    const size_t k_data = find_key(SEC_REPLAY, "data");

    for (size_t i = 0; i < cfg->n_instruments; i++) {
        for (size_t ki = 0; ki < N_KEYS; ki++) {
            char allowed[64];
            if (!(gd_keys[ki].flags & KF_REQUIRED) || (c->inst[i].set & (1ull << ki)))
                continue;
            fmt_range(allowed, sizeof allowed, &gd_keys[ki]);
            return fail(c, c->inst[i].hdr, GD_EINVAL,
                        "[instrument.%s] %s: missing (required; allowed: %s)",
                        cfg->instruments[i].symbol, gd_keys[ki].key, allowed);
        }
    }
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        gd_plugin_conf *pc = &cfg->plugins[i];
        const char *kind = gd_kind_name(pc->kind);
        if (!pc->plugin)
            return fail(c, (gd_where){pc->file, pc->line}, GD_EINVAL,
                        "[%s.%s] plugin: missing (required; allowed: a plugin name, or a path "
                        "containing '/')",
                        kind, pc->name);
        if (c->plug[i].symbols_given && pc->n_symbols == 0)
            return fail(c, c->plug[i].symbols, GD_EINVAL,
                        "[%s.%s] symbols: empty list (allowed: SYMBOL, ...; omit the key for every "
                        "symbol)",
                        kind, pc->name);
        if (!pc->plugin_path && cfg->plugin_dir) {
            size_t n = strlen(cfg->plugin_dir) + strlen(pc->plugin) + 5;
            if (!(pc->plugin_path = malloc(n)))
                return oom(c, (gd_where){pc->file, pc->line});
            snprintf(pc->plugin_path, n, "%s/%s.so", cfg->plugin_dir, pc->plugin);
        }
    }
    if (c->prov[k_data].file && cfg->n_data == 0)
        return fail(c, c->prov[k_data], GD_EINVAL,
                    "[replay] data: empty list (allowed: SYMBOL:path, ...)");

    /* Cross-field rules, on the merged result. */
    if (cfg->mode == GD_MODE_PRODUCTION && !cfg->sl_required)
        return fail(c, where_or(c, k_sl, k_mode), GD_EINVAL,
                    "[executor] sl_required: production refuses sl_required=false (allowed: true "
                    "when [gordon] mode = production)");
    if (cfg->mode == GD_MODE_PRODUCTION && cfg->testnet)
        return fail(c, where_or(c, k_testnet, k_mode), GD_EINVAL,
                    "[executor] testnet: mode = production needs testnet = false, set explicitly "
                    "(the default is true)");
    if (cfg->mode == GD_MODE_TESTNET && !cfg->testnet)
        return fail(c, where_or(c, k_testnet, k_mode), GD_EINVAL,
                    "[executor] testnet: mode = testnet needs testnet = true");
    /* Outside backtests the halt latch must survive a restart. */
    if (cfg->mode != GD_MODE_BACKTEST && !cfg->state_dir)
        return fail(c, c->prov[k_mode].file ? c->prov[k_mode] : (gd_where){"config", 0}, GD_EINVAL,
                    "[gordon] state_dir: mode = %s needs a state directory, so that the halt latch "
                    "survives a restart (allowed: a writable directory)",
                    gd_mode_name(cfg->mode));
    return 0;
}

/* ---------------------------------------------------------------- public */

void gd_config_defaults(gd_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_KEYS; i++) {
        const gd_key_spec *k = &gd_keys[i];
        char *field = (char *)cfg + k->off;
        if (k->sec >= SEC_N_HOST)
            continue;
        if (k->type == KT_BOOL)
            *(int *)(void *)field = k->def != 0;
        else if (k->type == KT_DOUBLE)
            *(double *)(void *)field = k->def;
        else if (k->type == KT_MODE)
            *(gd_mode *)(void *)field = (gd_mode)k->def;
    }
    cfg->log_level = strdup("info"); /* NULL only if out of memory; loading checks */
}

void gd_config_free(gd_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->plugin_dir);
    free(cfg->intent_log);
    free(cfg->state_dir);
    free(cfg->log_level);
    free(cfg->http_listen);
    free(cfg->http_token_hashes);
    free(cfg->fred_api_key);
    free(cfg->fred_base_url);
    free(cfg->fred_observation_start);
    free_data(cfg);
    free(cfg->instruments);
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        gd_plugin_conf *pc = &cfg->plugins[i];
        free(pc->name);
        free(pc->plugin);
        free(pc->plugin_path);
        free_symbols(pc);
        for (size_t j = 0; j < pc->n_params; j++)
            free_kv(&pc->params[j]);
        free(pc->params);
        free(pc->file);
    }
    free(cfg->plugins);
    for (size_t i = 0; i < cfg->n_ablate; i++)
        free_kv(&cfg->ablate[i]);
    free(cfg->ablate);
    for (size_t i = 0; i < cfg->n_files; i++)
        free(cfg->files[i]);
    free(cfg->files);
    memset(cfg, 0, sizeof *cfg);
}

int gd_config_load_env(const char *path, const char *confd, char *const *envp, gd_config *cfg,
                       gd_err *err)
{
    gd_config tmp;
    gd_ctx c;
    char *auto_confd = NULL;

    memset(&c, 0, sizeof c);
    gd_config_defaults(&tmp);
    c.cfg = &tmp;
    c.err = err;
    if (!tmp.log_level) {
        oom(&c, (gd_where){"config", 0});
        goto out;
    }
    if (path && parse_file(&c, path))
        goto out;
    if (!confd && path) {
        /* Default conf.d: beside the main file, used only if it exists. */
        struct stat st;
        char *dir = dir_of(path);
        auto_confd = resolve(dir, "conf.d");
        free(dir);
        if (!auto_confd) {
            oom(&c, (gd_where){path, 0});
            goto out;
        }
        if (!stat(auto_confd, &st) && S_ISDIR(st.st_mode))
            confd = auto_confd;
    }
    if (confd && parse_confd(&c, confd))
        goto out;
    if (apply_env(&c, envp))
        goto out;
    finish(&c);
out:
    if (c.rc) {
        gd_config_free(&tmp);
        memset(cfg, 0, sizeof *cfg);
    } else {
        *cfg = tmp;
    }
    free(auto_confd);
    free(c.dir);
    free(c.buf);
    free(c.prev_key);
    free(c.sec_label);
    free(c.inst);
    free(c.plug);
    for (size_t i = 0; i < c.n_env_names; i++)
        free(c.env_names[i]);
    free(c.env_names);
    return c.rc;
}

int gd_config_load(const char *path, const char *confd, gd_config *cfg, gd_err *err)
{
    return gd_config_load_env(path, confd, environ, cfg, err);
}

const gd_instrument *gd_config_instrument(const gd_config *cfg, const char *symbol)
{
    for (size_t i = 0; i < cfg->n_instruments; i++)
        if (!strcmp(cfg->instruments[i].symbol, symbol))
            return &cfg->instruments[i];
    return NULL;
}

const char *gd_mode_name(gd_mode mode)
{
    if ((unsigned)mode < 3)
        return mode_names[mode];
    return "unknown";
}

/* ------------------------------------------------------------ reload diff */

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
            if (strcmp(a->data[i].symbol, b->data[i].symbol) || strcmp(a->data[i].path, b->data[i].path))
                return 0;
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

int gd_config_diff(const gd_config *a, const gd_config *b, char *buf, size_t cap, char *restart, size_t rcap)
{
    size_t n = 0, rn = 0;
    int changes = 0;
    buf[0] = '\0';
    if (restart && rcap)
        restart[0] = '\0';
    for (size_t i = 0; i < N_KEYS; i++) {
        const gd_key_spec *k = &gd_keys[i];
        if (k->sec >= SEC_N_HOST || field_equal(k, a, b))
            continue;
        char key[96];
        snprintf(key, sizeof key, "[%s] %s", sec_names[k->sec], k->key);
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
            append(buf, cap, &n, key, " changed");
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
