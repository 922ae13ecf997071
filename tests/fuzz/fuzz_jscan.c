/* libFuzzer target for base/jscan, the allocation-free scanner the market
 * stream's messages go through (venue/market.c). Checked against cJSON:
 * whatever the scanner accepts cJSON accepts too, with the same number of
 * object members; what cJSON accepts within the depth bound the scanner
 * accepts as well (both read RFC 8259; cJSON is the reference). Every span
 * handed out lies inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/jscan.h"

typedef struct ctx {
    const char *base;
    size_t len, members;
} ctx;

static void inside(const ctx *c, gd_jspan s)
{
    if (s.n && (s.p < c->base || s.p + s.n > c->base + c->len))
        abort();
}

static void member(void *arg, int depth, gd_jspan parent, gd_jspan key, const gd_jval *v)
{
    ctx *c = arg;
    if (depth < 0 || depth > 8)
        abort();
    inside(c, parent);
    inside(c, key);
    inside(c, v->text);
    c->members++;
}

static size_t count(const cJSON *j, int depth, int *too_deep)
{
    size_t n = 0;
    if (depth > 9)
        *too_deep = 1;
    for (const cJSON *k = j ? j->child : NULL; k; k = k->next) {
        if (cJSON_IsObject(j))
            n++;
        n += count(k, depth + (cJSON_IsObject(k) || cJSON_IsArray(k)), too_deep);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t)
        return 0;
    memcpy(t, data, size);
    t[size] = '\0';
    ctx c = {t, size, 0};
    int rc = gd_jscan(t, size, 8, member, &c, NULL);
    /* cJSON stops at a NUL; the scanner must refuse text with one inside. */
    cJSON *j = memchr(t, '\0', size) ? NULL : cJSON_ParseWithOpts(t, NULL, 1);
    int too_deep = 0;
    size_t members = j ? count(j, 1, &too_deep) : 0;
    if (rc == 0 && !j)
        abort(); /* the scanner took what the reference refuses */
    if (rc == 0 && members != c.members)
        abort();
    if (rc != 0 && j && !too_deep) {
        /* cJSON takes a few things RFC 8259 does not (invalid escapes it
         * passes through): only a clean document must be accepted. */
        char *again = cJSON_PrintUnformatted(j);
        if (again && gd_jscan(again, strlen(again), 8, NULL, NULL, NULL) != 0)
            abort();
        free(again);
    }
    cJSON_Delete(j);
    free(t);
    return 0;
}
