/* libFuzzer target for the operator API's request body (daemon/api_body.c
 * gd_api_body_parse: the {"reason", "force"} of a halt, resume, flatten or
 * quarantine, read after the token is checked). Checked beyond "no crash":
 * a body taken gives a terminated reason of valid UTF-8 within its buffer
 * and a force of 0 or 1, and is one JSON object with only white space after
 * it; a body refused says why (the 400's message) and nothing else. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "daemon/api_body.h"

/* Well-formed UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static int utf8_ok(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s, n;
        unsigned long cp;
        if (c < 0x80) {
            s++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, cp = c & 0x07;
        } else {
            return 0;
        }
        for (unsigned k = 1; k <= n; k++) {
            if ((s[k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        s += n + 1;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The reason buffer sized from the input, small ones included, so the
     * cut at every length is tried. */
    size_t cap = size ? (size_t)data[0] % 200 + 1 : 64;
    char *reason = malloc(cap);
    const char *why = NULL;
    int force = -1;
    if (!reason)
        abort();
    int rc = gd_api_body_parse((const char *)data, size, reason, cap, &force, &why);
    if (rc == 0) {
        if (!memchr(reason, '\0', cap) || !utf8_ok((const unsigned char *)reason) || (force != 0 && force != 1) || why)
            abort();
        if (size) { /* the oracle: cJSON took one object */
            cJSON *o = cJSON_ParseWithLength((const char *)data, size);
            if (!cJSON_IsObject(o))
                abort();
            cJSON_Delete(o);
        }
    } else if (rc != GD_EPARSE || !why || !why[0]) {
        abort();
    }
    free(reason);
    return 0;
}
