/* libFuzzer target for the HTTP request path: gd_http_process_buffer runs
 * the same parse/dispatch code as the sockets. Each input is parsed whole
 * with the default limits, then again with small limits both whole and
 * split into reads of 1..16 bytes (the size taken from the first byte):
 * the split must not change which requests reach the handler, nor any
 * answer, except which error ends a bad request (a whole buffer lets
 * http_parser see a bad byte before our callbacks count the bytes before
 * it: 400 whole, 431 split, for example). The small limits also name an
 * operator token (the one in the post_json seed) and an extra Host, so the
 * Host check and the operator test run on every input. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/http.h"
#include "base/log.h"

/* What reached the handler: a count and a running hash. */
typedef struct seen {
    unsigned calls;
    uint64_t hash;
} seen;

static void mix(seen *sn, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sn->hash = (sn->hash ^ (unsigned char)s[i]) * 1099511628211ull;
    sn->hash = (sn->hash ^ 0xff) * 1099511628211ull;
}

static void handler(void *user, const gd_http_request *req, gd_http_response *resp)
{
    seen *sn = user;
    sn->calls++;
    mix(sn, req->method, strlen(req->method));
    mix(sn, req->path, strlen(req->path));
    mix(sn, req->query, strlen(req->query));
    mix(sn, req->authorization ? req->authorization : "(none)", req->authorization ? strlen(req->authorization) : 7);
    mix(sn, req->content_type ? req->content_type : "(none)", req->content_type ? strlen(req->content_type) : 7);
    mix(sn, req->cookie ? req->cookie : "(none)", req->cookie ? strlen(req->cookie) : 7);
    mix(sn, req->origin ? req->origin : "(none)", req->origin ? strlen(req->origin) : 7);
    mix(sn, req->csrf_token ? req->csrf_token : "(none)", req->csrf_token ? strlen(req->csrf_token) : 7);
    mix(sn, req->body, req->body_len);
    /* Touch every string so ASan sees a bad pointer or missing NUL. */
    size_t n = strlen(req->method) + strlen(req->path) + strlen(req->query) + strlen(req->peer);
    if (req->authorization)
        n += strlen(req->authorization);
    if (req->content_type)
        n += strlen(req->content_type);
    if (req->body[req->body_len] != '\0')
        abort();
    if (strcmp(req->path, "/nc") == 0) {
        resp->status = 204;
        return;
    }
    if (strcmp(req->path, "/a") == 0) {
        resp->status = 401;
        resp->www_authenticate = "Bearer";
    }
    if (strcmp(req->path, "/bad") == 0)
        resp->status = 1000;
    /* The console's kinds of answer: extra headers (a bad one is the
     * server's 500), and an event stream (the exchange ends there). */
    if (strcmp(req->path, "/h") == 0)
        resp->headers = "Set-Cookie: s=1; HttpOnly\r\nX-Frame-Options: DENY\r\n";
    if (strcmp(req->path, "/hbad") == 0)
        resp->headers = "X-Evil: a\r\nb\r\n";
    if (strcmp(req->path, "/events") == 0) {
        resp->stream = 1;
        resp->content_type = "text/event-stream";
    }
    resp->body = malloc(32 + req->body_len);
    if (!resp->body)
        return;
    int k = snprintf(resp->body, 32, "{\"n\":%zu}", n);
    memcpy(resp->body + k, req->body, req->body_len);
    resp->body_len = (size_t)k + req->body_len;
}

/* rc is the call's result, st the last HTTP status it gave. */
static void check(int rc, int st, const char *out, size_t len)
{
    if (rc == GD_ENOMEM)
        return; /* out of memory: nothing to check */
    if (rc != 0 || !out)
        abort(); /* the arguments are valid: nothing else may fail */
    if (st != 0 && (st < 200 || st > 599))
        abort();
    if ((st == 0) != (len == 0))
        abort();
    if (len && memcmp(out, "HTTP/1.1 ", 9) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        gd_log_init(NULL, GD_LOG_OFF);
        once = 1;
    }
    const char *d = (const char *)data;
    char *out = NULL;
    size_t len = 0;
    seen s0 = {0, 14695981039346656037ull}, s1 = s0, s2 = s0;
    int st = 0;
    int rc = gd_http_process_buffer(d, size, NULL, handler, &s0, &out, &len, &st, NULL);
    check(rc, st, out, len);
    free(out);

    static char hash[] = "9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f";
    static char *hashes[1] = {hash};
    static char **hashes_p = hashes;
    static const size_t n_hashes = 1;
    gd_http_limits small = {.max_header_bytes = 200,
                            .max_body_bytes = 64,
                            .allowed_hosts = "gordon.internal, [fd00::1]:8080",
                            .operator_hashes = &hashes_p,
                            .n_operator_hashes = &n_hashes};
    char *whole = NULL, *split = NULL;
    size_t wlen = 0, slen = 0;
    int a = 0, b = 0;
    int ra = gd_http_process_buffer(d, size, &small, handler, &s1, &whole, &wlen, &a, NULL);
    size_t chunk = size ? 1 + data[0] % 16 : 1;
    int rb = gd_http_process_chunks(d, size, chunk, &small, handler, &s2, &split, &slen, &b, NULL);
    check(ra, a, whole, wlen);
    check(rb, b, split, slen);
    if (ra == 0 && rb == 0) {
        if (s1.calls != s2.calls || s1.hash != s2.hash)
            abort();
        /* The handler never answers these: they are the parser's refusals. */
        int a_err = a == 400 || a == 405 || a == 413 || a == 417 || a == 421 || a == 431;
        int b_err = b == 400 || b == 405 || b == 413 || b == 417 || b == 421 || b == 431;
        if (a_err != b_err)
            abort();
        if (!a_err && (a != b || wlen != slen || memcmp(whole, split, wlen) != 0))
            abort();
    }
    free(whole);
    free(split);
    return 0;
}
