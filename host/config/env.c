/* GORDON_<SECTION>_<KEY>=value overrides, applied after every file: for the
 * host sections ([gordon] ... [fred]) only, keys spelt in upper case. A
 * GORDON_* variable naming no section or no key is an error (a typo such as
 * GORDON_RISKX_PCT must not silently do nothing); only the few listed in
 * not_overrides[] mean something else. */
#include "config/config_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s starts with upper(word): 1 if so. */
static int upper_prefix(const char *s, const char *word, size_t len)
{
    for (size_t j = 0; j < len; j++)
        if (s[j] != toupper((unsigned char)word[j]))
            return 0;
    return 1;
}

/* The SEC_* that "REST" after GORDON_ names as "SECTION_...", advancing
 * *rest past "SECTION_"; SEC_NONE when it names none. */
static int env_section(const char **rest)
{
    for (int s = 0; s < SEC_N_HOST; s++) {
        size_t sl = strlen(gd_cfg_sec_names[s]);
        if (upper_prefix(*rest, gd_cfg_sec_names[s], sl) && (*rest)[sl] == '_') {
            *rest += sl + 1;
            return s;
        }
    }
    return SEC_NONE;
}

/* Index of the key of sec spelt upper case in name[0..len), GD_CFG_N_KEYS if none. */
static size_t env_key(int sec, const char *name, size_t len)
{
    for (size_t ki = 0; ki < GD_CFG_N_KEYS; ki++) {
        const char *k = gd_cfg_keys[ki].key;
        if (gd_cfg_keys[ki].sec == sec && strlen(k) == len && upper_prefix(name, k, len))
            return ki;
    }
    return GD_CFG_N_KEYS;
}

/* "env:NAME" for messages and provenance, kept in c until the load ends. */
static int env_where(gd_ctx *c, const char *e, size_t nlen, gd_where *w)
{
    char *loc;
    if (!(loc = malloc(nlen + 5)) ||
        gd_cfg_grow((void **)&c->env_names, c->n_env_names, sizeof *c->env_names)) {
        free(loc);
        return gd_cfg_oom(c, (gd_where){"env", 0});
    }
    snprintf(loc, nlen + 5, "env:%.*s", (int)nlen, e);
    c->env_names[c->n_env_names++] = loc;
    w->file = loc;
    w->line = 0;
    return 0;
}

static int env_label(gd_ctx *c, gd_where w, int sec)
{
    size_t ll = strlen(gd_cfg_sec_names[sec]) + 3;
    free(c->sec_label);
    if (!(c->sec_label = malloc(ll)))
        return gd_cfg_oom(c, w);
    snprintf(c->sec_label, ll, "[%s]", gd_cfg_sec_names[sec]);
    return 0;
}

/* GORDON_* variables that are not overrides. */
static const char *const not_overrides[] = {"GORDON_CONFIG", "GORDON_OPERATOR_TOKEN"};

static int not_an_override(const char *e, size_t nlen)
{
    for (size_t i = 0; i < sizeof not_overrides / sizeof not_overrides[0]; i++)
        if (strlen(not_overrides[i]) == nlen && !strncmp(e, not_overrides[i], nlen))
            return 1;
    return 0;
}

static int unknown_section(gd_ctx *c, const char *e, size_t nlen)
{
    gd_where w;
    char list[256];
    size_t n = 0;
    if (env_where(c, e, nlen, &w))
        return c->rc;
    list[0] = '\0';
    for (int s = 0; s < SEC_N_HOST; s++)
        n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%s", s ? ", " : "",
                              gd_cfg_sec_names[s]);
    return gd_cfg_fail(c, w, GD_EINVAL,
                       "names no configuration section (GORDON_<SECTION>_<KEY>, SECTION one of %s)", list);
}

static int apply_one(gd_ctx *c, const char *e, const char *eq)
{
    const char *rest = e + 7;
    int sec = env_section(&rest);
    size_t ki;
    char *value;
    gd_where w;

    if (sec == SEC_NONE)
        return not_an_override(e, (size_t)(eq - e)) ? 0 : unknown_section(c, e, (size_t)(eq - e));
    if (env_where(c, e, (size_t)(eq - e), &w) || env_label(c, w, sec))
        return c->rc;
    ki = env_key(sec, rest, (size_t)(eq - rest));
    if (ki == GD_CFG_N_KEYS) {
        /* A typo must not silently do nothing. */
        char key[128];
        size_t kl = (size_t)(eq - rest), j;
        for (j = 0; j < kl && j < sizeof key - 1; j++)
            key[j] = (char)tolower((unsigned char)rest[j]);
        key[j] = '\0';
        return gd_cfg_unknown_key(c, w, sec, key);
    }
    if (!(value = strdup(eq + 1)))
        return gd_cfg_oom(c, w);
    /* Environment paths are relative to the cwd. */
    gd_cfg_set_key(c, c->cfg, ki, gd_cfg_trim(value), w, NULL, 0);
    free(value);
    return c->rc;
}

int gd_cfg_apply_env(gd_ctx *c, char *const *envp)
{
    for (; envp && *envp; envp++) {
        const char *e = *envp, *eq = strchr(e, '=');
        if (strncmp(e, "GORDON_", 7) || !eq)
            continue;
        if (apply_one(c, e, eq))
            return c->rc;
    }
    return 0;
}
