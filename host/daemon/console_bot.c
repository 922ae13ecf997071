/* The console's bot placement body as a conf.d drop-in (console.h), apart
 * from the console's server so the fuzzer reaches it alone. */
#include "daemon/console.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/buf.h"

/* A word of [a-z][a-z0-9_]*, at most max characters. */
static int ident(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > max || !islower((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

/* A value that stays one INI value as given: printable, no line break,
 * comment, section or '=', and no blank at either end (the reader trims
 * those, so the value read would not be the one sent). */
static int ini_value(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > max || isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || strchr(";#[]=", s[i]))
            return 0;
    return 1;
}

/* A name made of [A-Za-z0-9_.,-] only (plugin names, symbol lists). */
static int word_of(const char *s, size_t max, const char *extra)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > max || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
            return 0;
    return 1;
}

int gd_console_bot_ini(const char *body, size_t len, const char *who, int64_t at_ms, char **text, char *name_out,
                       size_t name_cap, char *why, size_t cap)
{
    cJSON *j = cJSON_ParseWithLength(body, len);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "name"));
    const char *plugin = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "plugin"));
    const cJSON *sym = cJSON_GetObjectItemCaseSensitive(j, "symbols");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params");
    const cJSON *risk = cJSON_GetObjectItemCaseSensitive(j, "risk_pct");
    const cJSON *alloc = cJSON_GetObjectItemCaseSensitive(j, "allocation_usd");
    gd_buf b = GD_BUF_INIT;
    *text = NULL;
    why[0] = '\0';
    if (!cJSON_IsObject(j))
        snprintf(why, cap, "expected a JSON object");
    else if (!ident(name, 32))
        snprintf(why, cap, "name: a word of a-z, 0-9 and _, starting with a letter, at most 32");
    else if (!word_of(plugin, 64, "_.-") || strstr(plugin, ".."))
        snprintf(why, cap, "plugin: the name of a plugin in the plugin directory");
    else if (sym && !cJSON_IsNull(sym) &&
             (!cJSON_IsString(sym) || (*sym->valuestring && !word_of(sym->valuestring, 150, "_,-"))))
        snprintf(why, cap, "symbols: a comma-separated list");
    else if (params && !cJSON_IsNull(params) && (!cJSON_IsObject(params) || cJSON_GetArraySize(params) > 32))
        snprintf(why, cap, "params: an object of at most 32 parameters");
    else if ((risk && !cJSON_IsNull(risk) && !(cJSON_IsNumber(risk) && isfinite(risk->valuedouble))) ||
             (alloc && !cJSON_IsNull(alloc) && !(cJSON_IsNumber(alloc) && isfinite(alloc->valuedouble))))
        snprintf(why, cap, "risk_pct and allocation_usd: numbers");
    if (!why[0]) {
        gd_buf_printf(&b, "; Placed from the console by %s at %lld (epoch ms).\n[strategy.%s]\nplugin = %s\n", who,
                      (long long)at_ms, name, plugin);
        if (cJSON_IsString(sym) && *sym->valuestring)
            gd_buf_printf(&b, "symbols = %s\n", sym->valuestring);
        const cJSON *p, *plist = cJSON_IsObject(params) ? params : NULL;
        cJSON_ArrayForEach(p, plist)
        {
            char v[80];
            if (cJSON_IsNumber(p) && isfinite(p->valuedouble))
                snprintf(v, sizeof v, "%.17g", p->valuedouble);
            else if (cJSON_IsString(p) && strlen(p->valuestring) <= 64)
                snprintf(v, sizeof v, "%s", p->valuestring);
            else
                v[0] = '\0';
            /* A name given twice in the JSON would be a key given twice. */
            int dup = 0;
            for (const cJSON *q = plist->child; q != p; q = q->next)
                dup |= q->string && p->string && !strcmp(q->string, p->string);
            if (!ident(p->string, 32) || dup || !strcmp(p->string, "plugin") || !strcmp(p->string, "symbols") ||
                !strcmp(p->string, "enabled") || !ini_value(v, 64)) {
                snprintf(why, cap,
                         "params.%.40s: a parameter name, once, and a value (text of at most 64, or a number)",
                         p->string ? p->string : "?");
                break;
            }
            gd_buf_printf(&b, "%s = %s\n", p->string, v);
        }
        /* Account-wide: the stage's bounds apply (micro: at most its allocation). */
        if (!why[0] && (cJSON_IsNumber(risk) || cJSON_IsNumber(alloc))) {
            gd_buf_printf(&b, "[risk]\n");
            if (cJSON_IsNumber(risk))
                gd_buf_printf(&b, "risk_pct = %.17g\n", risk->valuedouble);
            if (cJSON_IsNumber(alloc))
                gd_buf_printf(&b, "allocation_usd = %.17g\n", alloc->valuedouble);
        }
        if (!why[0] && b.failed)
            snprintf(why, cap, "out of memory");
        if (!why[0])
            snprintf(name_out, name_cap, "%s", name);
    }
    cJSON_Delete(j);
    if (why[0]) {
        gd_buf_free(&b);
        return -1;
    }
    *text = gd_buf_take(&b);
    return 0;
}
