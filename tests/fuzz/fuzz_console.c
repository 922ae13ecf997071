/* libFuzzer target for the console's bot placement body (daemon/console.c
 * gd_console_bot_ini): the JSON an operator's page posts, turned into the
 * conf.d drop-in the daemon then loads. Checked beyond "no crash": a body
 * that is accepted gives text that inih reads as exactly one
 * [strategy.NAME] section (NAME the body's name) and at most a [risk] one
 * holding only risk_pct and allocation_usd, no key twice in a section, the
 * plugin key first with the body's plugin; a refused body gives a reason
 * and no text. */
#include <ini.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/console.h"

typedef struct seen {
    const char *name;
    int bad;
    int n_strategy, n_risk, n_keys;
    char first_key[64];
    char plugin[128];
    char keys[64][48]; /* section-qualified keys seen */
    int nk;
} seen;

static int on_kv(void *user, const char *section, const char *key, const char *value)
{
    seen *s = user;
    char want[64], qk[48];
    snprintf(want, sizeof want, "strategy.%s", s->name);
    if (!section || !key || !value)
        return s->bad = 1, 1;
    if (strcmp(section, want) == 0) {
        if (s->n_keys++ == 0)
            snprintf(s->first_key, sizeof s->first_key, "%s", key);
        if (!strcmp(key, "plugin"))
            snprintf(s->plugin, sizeof s->plugin, "%s", value);
    } else if (strcmp(section, "risk") == 0) {
        if (strcmp(key, "risk_pct") != 0 && strcmp(key, "allocation_usd") != 0)
            s->bad = 1;
    } else {
        s->bad = 1; /* another section: structure smuggled in */
    }
    snprintf(qk, sizeof qk, "%.8s|%.38s", section, key);
    for (int i = 0; i < s->nk; i++)
        if (!strcmp(s->keys[i], qk))
            s->bad = 1;
    if (s->nk < 64)
        snprintf(s->keys[s->nk++], sizeof s->keys[0], "%s", qk);
    return 1;
}

static int on_section(void *user, const char *section)
{
    seen *s = user;
    char want[64];
    snprintf(want, sizeof want, "strategy.%s", s->name);
    if (!strcmp(section, want))
        s->n_strategy++;
    else if (!strcmp(section, "risk"))
        s->n_risk++;
    else
        s->bad = 1;
    return 1;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
    /* inih calls with key NULL for a section line when INI_CALL_HANDLER_ON_NEW_SECTION is set; not here. */
    return on_kv(user, section, key, value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = NULL, name[40] = "", why[600];
    int rc = gd_console_bot_ini((const char *)data, size, "127.0.0.1:1", 1, &text, name, sizeof name, why, sizeof why);
    if (rc != 0) {
        if (text || !why[0] || !memchr(why, '\0', sizeof why))
            abort();
        return 0;
    }
    if (!text || !name[0])
        abort();
    seen s;
    memset(&s, 0, sizeof s);
    s.name = name;
    /* Sections: count the "[...]" lines as inih will see them. */
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (*p == '[') {
            const char *e = strchr(p, ']');
            char sec[128];
            if (!e || (size_t)(e - p) >= sizeof sec)
                abort();
            snprintf(sec, sizeof sec, "%.*s", (int)(e - p - 1), p + 1);
            on_section(&s, sec);
        }
    }
    if (ini_parse_string(text, handler, &s) != 0)
        abort();
    if (s.bad || s.n_strategy != 1 || s.n_risk > 1 || strcmp(s.first_key, "plugin") != 0 || !s.plugin[0])
        abort();
    free(text);
    return 0;
}
