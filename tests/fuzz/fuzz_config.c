/* libFuzzer target for the configuration loader: gd_config_load_env, the
 * function the daemon and `gordon check` call, on real files (inih reads a
 * path). The input is split at lines "%%": the first part is gordon.ini,
 * the second conf.d/10-fuzz.ini, the third the environment, one K=V a line
 * (what GORDON_<SECTION>_<KEY> overrides come from).
 * Checked beyond "no crash": a load that fails leaves cfg zeroed; one that
 * succeeds has every number finite and inside its schema range
 * (config/schema.c, read through the table itself), every choice one of
 * its words, the cross-field rules the loader promises (config.c), and its
 * JSON export is valid JSON and the same for a second load of the same
 * files (the export is meant to identify a configuration). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/log.h"
#include "config/config.h"
#include "config/config_int.h" /* the schema table: the ranges to check against */
#include "fuzz_tmp.h"

static char dir[256], ini[300], confd[300], part2[320];

static void setup(void)
{
    snprintf(dir, sizeof dir, "%s", fuzz_tmp_dir("config"));
    snprintf(ini, sizeof ini, "%s/gordon.ini", dir);
    snprintf(confd, sizeof confd, "%s/conf.d", dir);
    snprintf(part2, sizeof part2, "%s/10-fuzz.ini", confd);
    if (mkdir(confd, 0700))
        abort();
    gd_log_init(NULL, GD_LOG_OFF);
}

/* Next part of [*p, end) up to a "\n%%\n" line (or the end). */
static const char *cut(const char **p, const char *end, size_t *n)
{
    const char *s = *p;
    const char *q = s;
    while (q + 4 <= end && memcmp(q, "\n%%\n", 4) != 0)
        q++;
    if (q + 4 > end) {
        *n = (size_t)(end - s);
        *p = end;
    } else {
        *n = (size_t)(q - s) + 1; /* keep the newline */
        *p = q + 4;
    }
    return s;
}

static int in_choices(const char *v, const char *const *choices)
{
    for (; *choices; choices++)
        if (!strcmp(v, *choices))
            return 1;
    return 0;
}

static void check_number(double v, const gd_key_spec *k)
{
    if (!isfinite(v) || v > k->max || v < k->min || ((k->flags & KF_MIN_EXCL) && v == k->min))
        abort();
}

static void check(const gd_config *cfg)
{
    for (size_t i = 0; i < GD_CFG_N_KEYS; i++) {
        const gd_key_spec *k = &gd_cfg_keys[i];
        if (k->sec >= SEC_N_HOST || k->type == KT_DATA)
            continue;
        const char *field = (const char *)cfg + k->off;
        if (k->type == KT_DOUBLE)
            check_number(*(const double *)(const void *)field, k);
        else if (k->type == KT_BOOL && *(const int *)(const void *)field != 0 && *(const int *)(const void *)field != 1)
            abort();
        else if (k->type == KT_CHOICE) {
            const char *v = *(char *const *)(const void *)field;
            if (v && !in_choices(v, k->choices))
                abort();
        }
    }
    if ((unsigned)cfg->mode > GD_MODE_PRODUCTION || !cfg->log_level)
        abort();
    int level_ok = 0;
    for (size_t i = 0; i < 4; i++)
        level_ok |= !strcmp(cfg->log_level, gd_cfg_level_names[i]);
    if (!level_ok)
        abort();
    for (size_t i = 0; i < cfg->n_instruments; i++) {
        const gd_instrument *in = &cfg->instruments[i];
        if (!memchr(in->symbol, 0, sizeof in->symbol) || !in->symbol[0])
            abort();
        for (size_t j = 0; j < GD_CFG_N_KEYS; j++) {
            const gd_key_spec *k = &gd_cfg_keys[j];
            if (k->sec == SEC_INSTRUMENT)
                check_number(*(const double *)(const void *)((const char *)in + k->off), k);
        }
        if (gd_config_instrument(cfg, in->symbol) != in)
            abort(); /* a symbol is given once */
    }
    for (size_t i = 0; i < cfg->n_data; i++)
        if (!cfg->data[i].path || !cfg->data[i].symbol[0] || !memchr(cfg->data[i].symbol, 0, GD_SYMBOL_MAX))
            abort();
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *pc = &cfg->plugins[i];
        size_t n = strlen(pc->name);
        if (n < 1 || n > 63 || strspn(pc->name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n || !pc->plugin)
            abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->plugins[j].name, pc->name))
                abort(); /* unique across the three kinds */
        if (pc->enabled != 0 && pc->enabled != 1)
            abort();
    }
    /* The cross-field rules the loader enforces. */
    if (cfg->mode == GD_MODE_PRODUCTION && (!cfg->sl_required || cfg->testnet || !gd_config_venue_executor(cfg)))
        abort();
    if (cfg->mode == GD_MODE_BACKTEST && gd_config_venue_executor(cfg))
        abort();
    if (cfg->mode == GD_MODE_TESTNET && !cfg->testnet)
        abort();
    if (cfg->mode != GD_MODE_BACKTEST && (!cfg->state_dir || !gd_config_isolated(cfg)))
        abort();
}

static char *export(const gd_config *cfg)
{
    char *js = NULL;
    gd_err err;
    if (gd_config_json(cfg, ~0u, &js, &err) != 0)
        return NULL; /* out of memory only */
    cJSON *j = cJSON_Parse(js);
    if (!j || !cJSON_IsObject(j))
        abort();
    cJSON_Delete(j);
    return js;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        setup();
        once = 1;
    }
    const char *p = (const char *)data, *end = p + size;
    size_t n0, n1 = 0, n2 = 0;
    const char *s0 = cut(&p, end, &n0);
    int has_confd = p < end;
    const char *s1 = has_confd ? cut(&p, end, &n1) : NULL;
    const char *s2 = p < end ? cut(&p, end, &n2) : NULL;

    fuzz_put(ini, s0, n0);
    if (has_confd)
        fuzz_put(part2, s1, n1);
    else
        unlink(part2);

    /* The environment: K=V lines; lines without '=' are dropped like a
     * real environment could not hold them. */
    char *env_text = malloc(n2 + 1);
    char **envp = calloc(n2 / 2 + 2, sizeof *envp);
    if (!env_text || !envp)
        abort();
    size_t ne = 0;
    if (s2) {
        memcpy(env_text, s2, n2);
        env_text[n2] = '\0';
        for (char *line = env_text; line && *line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            if (strchr(line, '=') && line != strchr(line, '='))
                envp[ne++] = line;
            line = nl ? nl + 1 : NULL;
        }
    }
    envp[ne] = NULL;

    gd_config cfg, zero;
    gd_err err;
    memset(&zero, 0, sizeof zero);
    memset(&cfg, 0xa5, sizeof cfg);
    int rc = gd_config_load_env(ini, confd, envp, &cfg, &err);
    if (getenv("FUZZ_VERBOSE")) /* replaying a seed: say what it did */
        fprintf(stderr, "fuzz_config: rc %d %s\n", rc, rc ? err.msg : "");
    if (rc != 0) {
        if (memcmp(&cfg, &zero, sizeof cfg) != 0 || !err.msg[0])
            abort(); /* nothing half-applied, and a reason */
    } else {
        check(&cfg);
        char diff[512], restart[512];
        gd_config base;
        gd_config_defaults(&base);
        gd_config_diff(&base, &cfg, diff, sizeof diff, restart, sizeof restart);
        gd_config_free(&base);
        char *a = export(&cfg);
        gd_config again;
        if (gd_config_load_env(ini, confd, envp, &again, &err) != 0)
            abort(); /* the same files load the same way */
        char *b = export(&again);
        if (a && b && strcmp(a, b) != 0)
            abort();
        free(a);
        free(b);
        gd_config_free(&again);
        gd_config_free(&cfg);
    }
    free(envp);
    free(env_text);
    return 0;
}
