/* The operator HTTP server: the byte-buffer path (gd_http_process_buffer)
 * and the real sockets. For socket tests the server runs on a libuv loop on
 * the test thread and a client of plain blocking sockets runs in a second
 * thread; the client records failures as text (cmocka asserts must stay on
 * the test thread) and finally wakes the loop, which stops the server. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/http.h"
#include "base/log.h"
#include "risk/token.h"

/* ---- a handler that records what it saw ---- */

#define MAX_REC 16

typedef struct rec {
    char method[16], path[256], query[256], auth[256], ctype[128], peer[80];
    int has_auth, has_ctype;
    char body[1024];
    size_t body_len;
} rec;

static rec g_rec[MAX_REC];
static int g_nrec;

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void handler(void *user, const gd_http_request *req, gd_http_response *resp)
{
    (void)user;
    if (g_nrec < MAX_REC) {
        rec *r = &g_rec[g_nrec];
        memset(r, 0, sizeof *r);
        snprintf(r->method, sizeof r->method, "%s", req->method);
        snprintf(r->path, sizeof r->path, "%s", req->path);
        snprintf(r->query, sizeof r->query, "%s", req->query);
        snprintf(r->peer, sizeof r->peer, "%s", req->peer);
        r->has_auth = req->authorization != NULL;
        r->has_ctype = req->content_type != NULL;
        if (req->authorization)
            snprintf(r->auth, sizeof r->auth, "%s", req->authorization);
        if (req->content_type)
            snprintf(r->ctype, sizeof r->ctype, "%s", req->content_type);
        r->body_len = req->body_len < sizeof r->body ? req->body_len : sizeof r->body - 1;
        memcpy(r->body, req->body, r->body_len);
    }
    g_nrec++;
    if (strcmp(req->path, "/nocontent") == 0) {
        resp->status = 204;
        return;
    }
    if (strcmp(req->path, "/auth") == 0) {
        resp->status = 401;
        resp->www_authenticate = "Bearer";
        resp->body = xstrdup("{\"error\":\"unauthorized\"}");
        resp->body_len = strlen(resp->body);
        return;
    }
    if (strcmp(req->path, "/broken") == 0) {
        resp->status = 42;
        resp->body = xstrdup("x");
        resp->body_len = 1;
        return;
    }
    if (strcmp(req->path, "/inject") == 0) {
        resp->content_type = "text/plain\r\nX-Evil: 1";
        resp->body = xstrdup("ok");
        return; /* body_len 0: sent up to the NUL */
    }
    if (strcmp(req->path, "/text") == 0)
        resp->content_type = "text/plain";
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "%s %s ?%s body=%.*s", req->method, req->path, req->query,
                     (int)(req->body_len < 1024 ? req->body_len : 1024), req->body);
    resp->body = xstrdup(buf);
    resp->body_len = (size_t)n;
}

static int reset(void **state)
{
    (void)state;
    memset(g_rec, 0, sizeof g_rec);
    g_nrec = 0;
    return 0;
}

/* ---- buffer path ---- */

/* Answers req; the request path never fails here, so the result is the
 * last HTTP status (0: no answer). */
static int run_buf(const char *req, size_t len, const gd_http_limits *lim, char **out, size_t *out_len)
{
    int status = -1;
    gd_err err = {""};
    int rc = gd_http_process_buffer(req, len, lim, handler, NULL, out, out_len, &status, &err);
    if (rc != 0)
        fail_msg("gd_http_process_buffer: %d (%s)", rc, err.msg);
    return status;
}

#define RUN(s, lim, out, olen) run_buf((s), sizeof(s) - 1, (lim), (out), (olen))

static void test_buf_get(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n = 0;
    int st = RUN("GET /status?x=1&y=2 HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 200);
    const char *want = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 26\r\n"
                       "Connection: keep-alive\r\nCache-Control: no-store\r\n\r\nGET /status ?x=1&y=2 body=";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
    free(out);
    assert_int_equal(g_nrec, 1);
    assert_string_equal(g_rec[0].method, "GET");
    assert_string_equal(g_rec[0].path, "/status");
    assert_string_equal(g_rec[0].query, "x=1&y=2");
    assert_string_equal(g_rec[0].peer, "buffer");
    assert_false(g_rec[0].has_auth);
    assert_false(g_rec[0].has_ctype);
    assert_int_equal(g_rec[0].body_len, 0);
}

static void test_buf_post_headers(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n = 0;
    /* Case-insensitive names; trailing whitespace is not part of a value. */
    int st = RUN("POST /risk/halt HTTP/1.1\r\nHost: localhost\r\nAUTHORIZATION: Bearer abc \t\r\ncontent-TYPE: application/json\r\n"
                 "Content-Length: 13\r\n\r\n{\"why\":\"x\"}\n\n",
                 NULL, &out, &n);
    assert_int_equal(st, 200);
    free(out);
    assert_int_equal(g_nrec, 1);
    assert_string_equal(g_rec[0].method, "POST");
    assert_string_equal(g_rec[0].path, "/risk/halt");
    assert_string_equal(g_rec[0].query, "");
    assert_string_equal(g_rec[0].auth, "Bearer abc");
    assert_string_equal(g_rec[0].ctype, "application/json");
    assert_int_equal(g_rec[0].body_len, 13);
    assert_memory_equal(g_rec[0].body, "{\"why\":\"x\"}\n\n", 13);
}

static void test_buf_malformed(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n = 0;
    int st = run_buf("\x00\x01 GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 38, NULL, &out, &n);
    assert_int_equal(st, 400);
    assert_non_null(strstr(out, "HTTP/1.1 400 Bad Request\r\n"));
    assert_non_null(strstr(out, "Connection: close\r\n"));
    assert_non_null(strstr(out, "\r\n\r\n{\"error\":\""));
    assert_int_equal(g_nrec, 0);
    free(out);

    static const char *const bad[] = {
        "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n",
        "GET /\x01 HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: localhost\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Type: a\r\ncontent-type: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "GET host:80 HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = run_buf(bad[i], strlen(bad[i]), NULL, &out, &n);
        if (st != 400)
            fail_msg("case %zu: status %d", i, st);
        assert_non_null(strstr(out, "Connection: close"));
        free(out);
    }
    assert_int_equal(g_nrec, 0);

    st = RUN("CONNECT a:443 HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 405);
    free(out);
    st = RUN("BREW / HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 400);
    free(out);
}

static void test_buf_truncated(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n = 99;
    static const char *const cut[] = {
        "",
        "GE",
        "GET /x HTTP/1.1\r\nHost: localhost\r\n",
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        int st = run_buf(cut[i], strlen(cut[i]), NULL, &out, &n);
        assert_int_equal(st, 0);
        assert_non_null(out);
        assert_int_equal(n, 0);
        free(out);
    }
    assert_int_equal(g_nrec, 0);
    /* A complete request, then half of the next: one answer. */
    int st = RUN("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\nGET /b HTT", NULL, &out, &n);
    assert_int_equal(st, 200);
    assert_int_equal(g_nrec, 1);
    free(out);

    /* Bad arguments are errors, never a status: *out NULL, *status 0. */
    gd_err err;
    out = (char *)"garbage";
    st = 77;
    assert_int_equal(gd_http_process_buffer(NULL, 1, NULL, handler, NULL, &out, &n, &st, &err), GD_EINVAL);
    assert_null(out);
    assert_int_equal(st, 0);
    assert_non_null(strstr(err.msg, "NULL data"));
    assert_int_equal(gd_http_process_buffer("x", 1, NULL, NULL, NULL, &out, &n, &st, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "no handler"));
    assert_int_equal(gd_http_process_buffer("x", 1, NULL, handler, NULL, NULL, &n, &st, &err), GD_EINVAL);
    /* status is optional. */
    assert_int_equal(gd_http_process_buffer("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 35, NULL, handler, NULL, &out, &n, NULL, &err), 0);
    assert_memory_equal(out, "HTTP/1.1 200 ", 13);
    free(out);
}

static int count(const char *hay, const char *needle)
{
    int k = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        k++;
    return k;
}

static void test_buf_pipelined_and_close(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n = 0;
    int st = RUN("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\nGET /c HTTP/1.1\r\nHost: localhost\r\n\r\n",
                 NULL, &out, &n);
    assert_int_equal(st, 200);
    assert_int_equal(g_nrec, 2); /* nothing after Connection: close */
    assert_string_equal(g_rec[0].path, "/a");
    assert_string_equal(g_rec[1].path, "/b");
    const char *a = strstr(out, "GET /a");
    const char *b = strstr(out, "GET /b");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    assert_int_equal(count(out, "Connection: keep-alive"), 1);
    assert_int_equal(count(out, "Connection: close"), 1);
    free(out);

    /* HTTP/1.0 closes unless asked otherwise. */
    st = RUN("GET /x HTTP/1.0\r\n\r\nGET /y HTTP/1.0\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 200);
    assert_int_equal(g_nrec, 3);
    assert_non_null(strstr(out, "Connection: close"));
    free(out);

    /* Nothing of one request shows in the next on the same connection. */
    st = RUN("POST /s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer one\r\nContent-Type: a/b\r\nExpect: 100-continue\r\n"
             "Content-Length: 3\r\n\r\nabcGET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
             NULL, &out, &n);
    assert_int_equal(st, 200);
    free(out);
    assert_int_equal(g_nrec, 5);
    assert_string_equal(g_rec[3].auth, "Bearer one");
    assert_string_equal(g_rec[4].path, "/t");
    assert_false(g_rec[4].has_auth);
    assert_false(g_rec[4].has_ctype);
    assert_int_equal(g_rec[4].body_len, 0);
    g_nrec = 3;

    /* A request then garbage: the answer, then 400. */
    st = RUN("GET /z HTTP/1.1\r\nHost: localhost\r\n\r\n\x7f\x7f\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 400);
    assert_int_equal(g_nrec, 4);
    assert_non_null(strstr(out, "200 OK"));
    assert_non_null(strstr(out, "400 Bad Request"));
    free(out);
}

static void test_buf_limits(void **state)
{
    (void)state;
    gd_http_limits lim = {.max_header_bytes = 1024, .max_body_bytes = 16};
    char *out = NULL;
    size_t n = 0;
    char big[4096];
    int k = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ");
    memset(big + k, 'a', 2000);
    memcpy(big + k + 2000, "\r\n\r\n", 5);
    int st = run_buf(big, strlen(big), &lim, &out, &n);
    assert_int_equal(st, 431);
    assert_non_null(strstr(out, "431 Request Header Fields Too Large"));
    free(out);

    /* Many tiny headers count too. */
    k = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: localhost\r\n");
    while (k < 3000)
        k += snprintf(big + k, sizeof big - (size_t)k, "a:\r\n");
    snprintf(big + k, sizeof big - (size_t)k, "\r\n");
    st = run_buf(big, strlen(big), &lim, &out, &n);
    assert_int_equal(st, 431);
    free(out);

    /* A long URL is header bytes. */
    k = snprintf(big, sizeof big, "GET /");
    memset(big + k, 'u', 2000);
    snprintf(big + k + 2000, sizeof big - (size_t)k - 2000, " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    st = run_buf(big, strlen(big), &lim, &out, &n);
    assert_int_equal(st, 431);
    free(out);

    /* Content-Length over the limit: refused before any body byte. */
    st = RUN("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 17\r\n\r\n", &lim, &out, &n);
    assert_int_equal(st, 413);
    assert_non_null(strstr(out, "413 Payload Too Large"));
    free(out);
    st = RUN("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999\r\n\r\n", &lim, &out, &n);
    assert_int_equal(st, 413);
    free(out);
    st = RUN("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 16\r\n\r\n0123456789abcdef", &lim, &out, &n);
    assert_int_equal(st, 200);
    free(out);

    /* Chunked: assembled, and the limit holds across chunks. */
    st = RUN("POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &lim,
             &out, &n);
    assert_int_equal(st, 200);
    free(out);
    assert_int_equal(g_nrec, 2);
    assert_int_equal(g_rec[1].body_len, 11);
    assert_memory_equal(g_rec[1].body, "hello world", 11);
    st = RUN("POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n8\r\n12345678\r\n0\r\n\r\n", &lim,
             &out, &n);
    assert_int_equal(st, 413);
    free(out);
    st = RUN("POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n", &lim, &out, &n);
    assert_int_equal(st, 413);
    free(out);
    /* A trailer named Authorization is not the request's Authorization. */
    st = RUN("POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nAuthorization: t\r\n\r\n", &lim,
             &out, &n);
    assert_int_equal(st, 200);
    free(out);
    assert_int_equal(g_nrec, 3);
    assert_false(g_rec[2].has_auth);
}

static void test_buf_expect_and_status(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n = 0;
    int st = RUN("POST / HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", NULL, &out, &n);
    assert_int_equal(st, 200);
    assert_null(strstr(out, "100 Continue"));
    free(out);
    st = RUN("POST / HTTP/1.1\r\nHost: localhost\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\nhi", NULL, &out, &n);
    assert_int_equal(st, 417);
    assert_non_null(strstr(out, "417 Expectation Failed"));
    free(out);

    st = RUN("GET /nocontent HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 204);
    assert_null(strstr(out, "Content-Length"));
    assert_true(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0);
    free(out);

    st = RUN("GET /auth HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 401);
    assert_non_null(strstr(out, "HTTP/1.1 401 Unauthorized\r\n"));
    assert_non_null(strstr(out, "WWW-Authenticate: Bearer\r\n"));
    free(out);

    st = RUN("GET /broken HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 500);
    assert_non_null(strstr(out, "Connection: close"));
    free(out);

    st = RUN("GET /inject HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 200);
    assert_null(strstr(out, "X-Evil"));
    assert_non_null(strstr(out, "Content-Type: application/json\r\nContent-Length: 2\r\n"));
    assert_true(n >= 2 && memcmp(out + n - 2, "ok", 2) == 0);
    free(out);

    st = RUN("HEAD /text HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 200);
    assert_non_null(strstr(out, "Content-Type: text/plain\r\nContent-Length: 18\r\n"));
    assert_true(memcmp(out + n - 4, "\r\n\r\n", 4) == 0); /* no body */
    free(out);

    st = RUN("GET http://localhost/p/q?r=1#frag HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 200);
    free(out);
    assert_string_equal(g_rec[g_nrec - 1].path, "/p/q");
    assert_string_equal(g_rec[g_nrec - 1].query, "r=1");
    st = RUN("GET /empty HTTP/1.1\r\nHost: localhost\r\nAuthorization:\r\n\r\n", NULL, &out, &n);
    assert_int_equal(st, 200);
    free(out);
    assert_true(g_rec[g_nrec - 1].has_auth);
    assert_string_equal(g_rec[g_nrec - 1].auth, "");
}

/* Every split of a request into reads gives the same answer. */
static void test_buf_chunked_reads(void **state)
{
    (void)state;
    static const char req[] = "POST /split?q=1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer tok\r\n"
                              "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nGET /two HTTP/1.1\r\nHost: localhost\r\n\r\n";
    char *ref = NULL;
    size_t ref_len = 0;
    int ref_st = 0;
    assert_int_equal(gd_http_process_buffer(req, sizeof req - 1, NULL, handler, NULL, &ref, &ref_len, &ref_st, NULL), 0);
    assert_int_equal(ref_st, 200);
    for (size_t chunk = 1; chunk < sizeof req; chunk++) {
        char *out = NULL;
        size_t n = 0;
        g_nrec = 0;
        int st = 0;
        assert_int_equal(gd_http_process_chunks(req, sizeof req - 1, chunk, NULL, handler, NULL, &out, &n, &st, NULL),
                         0);
        assert_int_equal(st, 200);
        assert_int_equal(n, ref_len);
        assert_memory_equal(out, ref, n);
        free(out);
        assert_int_equal(g_nrec, 2);
        assert_string_equal(g_rec[0].auth, "Bearer tok");
        assert_string_equal(g_rec[0].ctype, "text/plain");
        assert_string_equal(g_rec[0].query, "q=1");
        assert_int_equal(g_rec[0].body_len, 5);
        assert_memory_equal(g_rec[0].body, "abcde", 5);
        assert_string_equal(g_rec[1].path, "/two");
    }
    free(ref);
}

/* Host: one, naming this server (the buffer path is 127.0.0.1:80). */
static void test_buf_host(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n = 0;
    static const struct {
        const char *req;
        int status;
    } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/1.0\r\n\r\n", 200},
        {"GET / HTTP/1.1\r\nHost: localhost\r\nhost: localhost\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", 421},
        {"GET / HTTP/1.0\r\nHost: evil.example\r\n\r\n", 421},
        {"GET / HTTP/1.1\r\nHost:\r\n\r\n", 421},
        {"GET / HTTP/1.1\r\nHost: LocalHost \r\n\r\n", 200},
        {"GET / HTTP/1.1\r\nHost: localhost:80\r\n\r\n", 200},
        {"GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", 421},
        {"GET / HTTP/1.1\r\nHost: localhost.\r\n\r\n", 421},
        {"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200},
        {"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 200},
        {"GET / HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n", 421},
        /* an absolute target's authority is checked too */
        {"GET http://evil.example/x HTTP/1.1\r\nHost: localhost\r\n\r\n", 421},
        {"GET http://localhost:81/x HTTP/1.1\r\nHost: localhost\r\n\r\n", 421},
        {"GET http://[::1]/x HTTP/1.1\r\nHost: localhost\r\n\r\n", 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st = run_buf(cases[i].req, strlen(cases[i].req), NULL, &out, &n);
        if (st != cases[i].status)
            fail_msg("case %zu: status %d, want %d", i, st, cases[i].status);
        if (st == 421) {
            assert_non_null(strstr(out, "HTTP/1.1 421 Misdirected Request\r\n"));
            assert_non_null(strstr(out, "Connection: close\r\n"));
        }
        free(out);
    }
    assert_int_equal(g_nrec, 6); /* the refused ones never reach the handler */

    /* allowed_hosts: HOST also on the listener's port, HOST:PORT exactly. */
    gd_http_limits lim = {.allowed_hosts = " gordon.internal , [fd00::1]:8080"};
    static const struct {
        const char *host;
        int status;
    } more[] = {{"gordon.internal", 200}, {"GORDON.internal:80", 200}, {"gordon.internal:81", 421},
                {"[fd00::1]:8080", 200},  {"[fd00::1]", 421},          {"localhost", 200}};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        char req[128];
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", more[i].host);
        int st = run_buf(req, strlen(req), &lim, &out, &n);
        if (st != more[i].status)
            fail_msg("%s: status %d, want %d", more[i].host, st, more[i].status);
        free(out);
    }
    static const char *const bad[] = {"a b", "x:", "x:70000", "[zz]", "[]:1", "a/b", "x:1:2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gd_err err = {""};
        lim.allowed_hosts = bad[i];
        int st = 7;
        int rc = gd_http_process_buffer("GET / HTTP/1.0\r\n\r\n", 18, &lim, handler, NULL, &out, &n, &st, &err);
        if (rc != GD_EINVAL || out || st != 0 || !strstr(err.msg, "allowed_hosts"))
            fail_msg("allowed_hosts '%s': rc %d, message '%s'", bad[i], rc, err.msg);
    }
}

/* ---- sockets ---- */

typedef struct harness harness;
struct harness {
    uv_loop_t loop;
    uv_async_t async;
    gd_http_server *srv;
    int port;
    int closed;
    int stop_sent;
    gd_http_limits lim;
    void (*client)(harness *h);
    char fail[512];
    int local_port;     /* a client's local port, to compare with the peer */
    int flag;           /* test-specific */
};

#define CK(h, cond)                                                                                      \
    do {                                                                                                 \
        if (!(cond)) {                                                                                   \
            if (!(h)->fail[0])                                                                           \
                snprintf((h)->fail, sizeof (h)->fail, "%s:%d: %s (errno %d)", __FILE__, __LINE__, #cond, \
                         errno);                                                                         \
            goto out;                                                                                    \
        }                                                                                                \
    } while (0)

typedef struct tconn {
    int fd;
    char buf[1 << 16];
    size_t len;
} tconn;

static int tc_open(tconn *c, int family, int port)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc;
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = connect(c->fd, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        a.sin6_addr = in6addr_loopback;
        rc = connect(c->fd, (struct sockaddr *)&a, sizeof a);
    }
    if (rc < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

/* A loopback IPv4 connection from source address src (e.g. "127.0.0.2": a
 * second peer on the same machine). */
static int tc_open_from(tconn *c, const char *src, int port)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (inet_pton(AF_INET, src, &from.sin_addr) != 1 || bind(c->fd, (struct sockaddr *)&from, sizeof from) < 0 ||
        connect(c->fd, (struct sockaddr *)&to, sizeof to) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static int tc_local_port(const tconn *c)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) < 0)
        return -1;
    return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                   : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void tc_close(tconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int tc_send(tconn *c, const char *d, size_t n)
{
    while (n) {
        ssize_t w = send(c->fd, d, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        d += w;
        n -= (size_t)w;
    }
    return 0;
}

static int tc_sends(tconn *c, const char *s)
{
    return tc_send(c, s, strlen(s));
}

/* Reads more into the buffer: >0 bytes, 0 EOF, -1 error or timeout. */
static ssize_t tc_fill(tconn *c)
{
    if (c->len >= sizeof c->buf - 1)
        return -1;
    for (;;) {
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r > 0) {
            c->len += (size_t)r;
            c->buf[c->len] = '\0';
        }
        return r;
    }
}

/* One whole response into out (NUL-terminated); returns its status, or -1
 * if the connection ended or stalled first. */
static int tc_response(tconn *c, char *out, size_t cap)
{
    for (;;) {
        c->buf[c->len] = '\0';
        char *end = strstr(c->buf, "\r\n\r\n");
        if (end) {
            size_t head = (size_t)(end + 4 - c->buf);
            size_t body = 0;
            char *cl = strstr(c->buf, "Content-Length: ");
            if (cl && cl < end)
                body = strtoul(cl + 16, NULL, 10);
            if (c->len >= head + body) {
                size_t total = head + body;
                if (total >= cap)
                    return -1;
                memcpy(out, c->buf, total);
                out[total] = '\0';
                memmove(c->buf, c->buf + total, c->len - total);
                c->len -= total;
                return atoi(out + 9);
            }
        }
        if (tc_fill(c) <= 0)
            return -1;
    }
}

/* 1 while the server keeps the connection open and silent (checked after a
 * short wait). */
static int tc_open_still(tconn *c)
{
    usleep(30000);
    char b;
    ssize_t r = recv(c->fd, &b, 1, MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* 1 when the server closed the connection (EOF or reset) and sent nothing
 * more; 0 on timeout or unexpected bytes. */
static int tc_closed(tconn *c)
{
    size_t before = c->len;
    for (;;) {
        ssize_t r = tc_fill(c);
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            return c->len == before;
        if (r < 0)
            return 0;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_closed(void *arg)
{
    harness *h = arg;
    h->closed = 1;
}

static void on_async(uv_async_t *a)
{
    harness *h = a->data;
    if (h->stop_sent)
        return;
    h->stop_sent = 1;
    gd_http_stop(h->srv, on_closed, h);
    uv_close((uv_handle_t *)&h->async, NULL);
}

static void client_main(void *arg)
{
    harness *h = arg;
    h->client(h);
    uv_async_send(&h->async); /* a second send is harmless */
}

static int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            n++;
    return n;
}

static void run_harness(harness *h, const char *host)
{
    gd_err err = {{0}};
    int fds = count_fds();
    assert_int_equal(uv_loop_init(&h->loop), 0);
    assert_int_equal(uv_async_init(&h->loop, &h->async, on_async), 0);
    h->async.data = h;
    int rc = gd_http_start(&h->loop, host, 0, &h->lim, handler, NULL, &h->srv, &err);
    if (rc != 0)
        fail_msg("gd_http_start: %s", err.msg);
    h->port = gd_http_port(h->srv);
    assert_true(h->port > 0);
    uv_thread_t t;
    assert_int_equal(uv_thread_create(&t, client_main, h), 0);
    assert_int_equal(uv_run(&h->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_thread_join(&t), 0);
    if (h->fail[0])
        fail_msg("client: %s", h->fail);
    assert_true(h->closed);
    /* Every handle closed: nothing left behind on the loop, no socket. */
    assert_int_equal(uv_loop_close(&h->loop), 0);
    assert_int_equal(count_fds(), fds);
}

static harness *new_harness(void (*client)(harness *))
{
    harness *h = calloc(1, sizeof *h);
    assert_non_null(h);
    h->client = client;
    h->lim.allowed_hosts = "x"; /* what the socket tests send; the Host tests name the defaults */
    return h;
}

static void cl_get(harness *h)
{
    tconn *c = malloc(sizeof *c);
    char *resp = malloc(65536);
    if (!c || !resp)
        goto out;
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    h->local_port = tc_local_port(c);
    CK(h, tc_sends(c, "GET /status?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(c, resp, 65536) == 200);
    CK(h, strstr(resp, "Connection: keep-alive\r\n") != NULL);
    CK(h, strstr(resp, "Cache-Control: no-store\r\n") != NULL);
    CK(h, strstr(resp, "\r\n\r\nGET /status ?verbose=1 body=") != NULL);
out:
    if (c)
        tc_close(c);
    free(c);
    free(resp);
}

static void test_sock_get(void **state)
{
    (void)state;
    harness *h = new_harness(cl_get);
    run_harness(h, "127.0.0.1");
    assert_int_equal(g_nrec, 1);
    assert_string_equal(g_rec[0].method, "GET");
    assert_string_equal(g_rec[0].path, "/status");
    assert_string_equal(g_rec[0].query, "verbose=1");
    char peer[64];
    snprintf(peer, sizeof peer, "127.0.0.1:%d", h->local_port);
    assert_string_equal(g_rec[0].peer, peer);
    free(h);
}

static void cl_get6(harness *h)
{
    tconn *c = malloc(sizeof *c);
    char resp[4096];
    if (!c)
        goto out;
    CK(h, tc_open(c, AF_INET6, h->port) == 0);
    h->local_port = tc_local_port(c);
    CK(h, tc_sends(c, "GET /v6 HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
out:
    if (c)
        tc_close(c);
    free(c);
}

static void test_sock_ipv6_peer(void **state)
{
    (void)state;
    /* Skip where the machine has no IPv6 loopback. */
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6};
    a.sin6_addr = in6addr_loopback;
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        skip();
    harness *h = new_harness(cl_get6);
    run_harness(h, "::1");
    char peer[64];
    snprintf(peer, sizeof peer, "[::1]:%d", h->local_port);
    assert_int_equal(g_nrec, 1);
    assert_string_equal(g_rec[0].peer, peer);
    free(h);
}

static void cl_post_keepalive(harness *h)
{
    tconn *c = malloc(sizeof *c);
    char resp[4096];
    if (!c)
        goto out;
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_sends(c, "POST /risk/resume HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
                      "Content-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"reason\":\"ok\"}") == 0);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    CK(h, strstr(resp, "body={\"reason\":\"ok\"}") != NULL);
    CK(h, strstr(resp, "Connection: keep-alive") != NULL);
    /* Same connection, second request, then Connection: close. */
    CK(h, tc_sends(c, "GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 0);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    CK(h, strstr(resp, "Connection: close") != NULL);
    CK(h, strstr(resp, "GET /second") != NULL);
    CK(h, tc_closed(c));
out:
    if (c)
        tc_close(c);
    free(c);
}

static void test_sock_post_keepalive(void **state)
{
    (void)state;
    harness *h = new_harness(cl_post_keepalive);
    run_harness(h, "127.0.0.1");
    assert_int_equal(g_nrec, 2);
    assert_string_equal(g_rec[0].method, "POST");
    assert_string_equal(g_rec[0].path, "/risk/resume");
    assert_string_equal(g_rec[0].auth, "Bearer s3cret");
    assert_string_equal(g_rec[0].ctype, "application/json");
    assert_int_equal(g_rec[0].body_len, 15);
    assert_memory_equal(g_rec[0].body, "{\"reason\":\"ok\"}", 15);
    assert_string_equal(g_rec[1].path, "/second");
    assert_string_equal(g_rec[0].peer, g_rec[1].peer); /* one connection */
    free(h);
}

static void cl_pipelined(harness *h)
{
    tconn *c = malloc(sizeof *c);
    char resp[4096];
    if (!c)
        goto out;
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_sends(c, "GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                      "GET /three HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    CK(h, strstr(resp, "GET /one") != NULL);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    CK(h, strstr(resp, "POST /two ? body=abc") != NULL);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    CK(h, strstr(resp, "GET /three") != NULL);
    /* A request sent byte by byte (several reads) still works. */
    static const char slow[] = "GET /slow?a=b HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer zz\r\n\r\n";
    for (size_t i = 0; i < sizeof slow - 1; i++) {
        CK(h, tc_send(c, slow + i, 1) == 0);
        usleep(500);
    }
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    CK(h, strstr(resp, "GET /slow ?a=b") != NULL);
out:
    if (c)
        tc_close(c);
    free(c);
}

static void test_sock_pipelined(void **state)
{
    (void)state;
    harness *h = new_harness(cl_pipelined);
    run_harness(h, "127.0.0.1");
    assert_int_equal(g_nrec, 4);
    assert_string_equal(g_rec[0].path, "/one");
    assert_string_equal(g_rec[1].path, "/two");
    assert_string_equal(g_rec[2].path, "/three");
    assert_string_equal(g_rec[3].auth, "Bearer zz");
    free(h);
}

static void cl_errors(harness *h)
{
    tconn *c = malloc(sizeof *c);
    char *resp = malloc(65536);
    char *big = malloc(200000);
    if (!c || !resp || !big)
        goto out;
    /* Garbage: 400, a JSON body, then the server closes. */
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_send(c, "\x00\x01 GET", 6) == 0);
    CK(h, tc_response(c, resp, 65536) == 400);
    CK(h, strstr(resp, "Connection: close") != NULL);
    CK(h, strstr(resp, "\r\n\r\n{\"error\":\"") != NULL);
    CK(h, tc_closed(c));
    tc_close(c);

    /* Huge headers, sent whole: 431 arrives even though we keep sending. */
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    int k = snprintf(big, 200000, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + k, 'h', 150000);
    memcpy(big + k + 150000, "\r\n\r\n", 5);
    (void)tc_sends(c, big); /* may fail once the server closed: fine */
    CK(h, tc_response(c, resp, 65536) == 431);
    CK(h, strstr(resp, "Connection: close") != NULL);
    tc_close(c);

    /* A big Content-Length: 413 at once, without sending the body. */
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_sends(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\nsome") == 0);
    CK(h, tc_response(c, resp, 65536) == 413);
    CK(h, tc_closed(c));
    tc_close(c);

    /* Repeated Authorization. */
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_sends(c, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n") == 0);
    CK(h, tc_response(c, resp, 65536) == 400);
    CK(h, strstr(resp, "Authorization") != NULL);
    tc_close(c);
out:
    if (c)
        tc_close(c);
    free(c);
    free(resp);
    free(big);
}

static void test_sock_errors(void **state)
{
    (void)state;
    harness *h = new_harness(cl_errors);
    run_harness(h, "127.0.0.1");
    assert_int_equal(g_nrec, 0);
    free(h);
}

static void cl_idle(harness *h)
{
    tconn *c = malloc(sizeof *c);
    char resp[4096];
    if (!c)
        goto out;
    /* Silent connection: the kernel holds it until it says something
     * (TCP_DEFER_ACCEPT, 1 s here), then the header deadline runs. */
    double t0 = now_s();
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_closed(c));
    double dt = now_s() - t0;
    CK(h, dt >= 0.15 && dt < 4.5);
    tc_close(c);

    /* Slowloris: a byte every 50 ms never completes the header; the header
     * deadline is for the whole header, so it closes on time anyway. */
    t0 = now_s();
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_sends(c, "GET / HTTP/1.1\r\nHost: x\r\n") == 0);
    int closed = 0;
    for (int i = 0; i < 60 && !closed; i++) {
        if (send(c->fd, "X", 1, MSG_NOSIGNAL) < 0)
            closed = 1;
        usleep(50000);
        char b;
        ssize_t r = recv(c->fd, &b, 1, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            closed = 1;
    }
    CK(h, closed);
    dt = now_s() - t0;
    CK(h, dt < 1.5);
    tc_close(c);

    /* After a response the idle timer restarts and closes the keep-alive. */
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_sends(c, "GET /k HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    CK(h, tc_closed(c));
out:
    if (c)
        tc_close(c);
    free(c);
}

static void test_sock_idle_timeout(void **state)
{
    (void)state;
    harness *h = new_harness(cl_idle);
    h->lim.idle_timeout_ms = 300;
    h->lim.header_timeout_ms = 300;
    run_harness(h, "127.0.0.1");
    assert_int_equal(g_nrec, 1);
    free(h);
}

/* An operator token, and its hash where gd_http_limits reads it. */
static char g_token[65], g_hash[65];
static char *g_hashes[1] = {g_hash};
static char **g_hashes_p = g_hashes;
static size_t g_n_hashes = 1;

static void set_operator(harness *h)
{
    gd_err err;
    assert_int_equal(gd_token_new(g_token, g_hash, &err), 0);
    h->lim.operator_hashes = &g_hashes_p;
    h->lim.n_operator_hashes = &g_n_hashes;
}

/* An operator's request in progress: its header complete, its body not. */
static int send_operator_head(tconn *c, const char *token)
{
    char req[512];
    snprintf(req, sizeof req,
             "POST /risk/halt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 10\r\n\r\nabc", token);
    return tc_sends(c, req);
}

/* Full of connections that must not be closed: a newcomer gets a real 503,
 * its request read and dropped (no reset), every time; the slots serve
 * again once free; an idle or a non-operator connection goes first. */
static void cl_maxconn(harness *h)
{
    tconn *c = malloc(4 * sizeof *c);
    char resp[4096];
    if (!c)
        goto out;
    for (int i = 0; i < 4; i++)
        c[i].fd = -1;
    for (int i = 0; i < 2; i++) {
        CK(h, tc_open(&c[i], AF_INET, h->port) == 0);
        CK(h, send_operator_head(&c[i], g_token) == 0);
        usleep(20000);
    }
    for (int k = 0; k < 20; k++) {
        CK(h, tc_open(&c[2], AF_INET, h->port) == 0);
        CK(h, tc_sends(&c[2], "GET /x HTTP/1.1\r\nHost: x\r\nX-Pad: 0123456789\r\n\r\n") == 0);
        CK(h, tc_response(&c[2], resp, sizeof resp) == 503);
        CK(h, strstr(resp, "Retry-After: 1\r\n") != NULL);
        CK(h, strstr(resp, "Connection: close\r\n") != NULL);
        CK(h, strstr(resp, "{\"error\":\"too many connections\"}") != NULL);
        CK(h, tc_closed(&c[2]));
        tc_close(&c[2]);
    }
    /* A wrong token is nobody in particular: it does not keep a slot. */
    CK(h, tc_sends(&c[0], "defghij") == 0); /* c[0]'s request completes: 200, then idle */
    CK(h, tc_response(&c[0], resp, sizeof resp) == 200);
    CK(h, tc_open(&c[2], AF_INET, h->port) == 0);
    CK(h, send_operator_head(&c[2], "0000") == 0);
    CK(h, tc_closed(&c[0])); /* the idle one made room */
    CK(h, tc_open(&c[3], AF_INET, h->port) == 0);
    CK(h, tc_sends(&c[3], "GET /new HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(&c[3], resp, sizeof resp) == 200);
    CK(h, tc_closed(&c[2])); /* ... then the wrong token's */
    CK(h, tc_open_still(&c[1]));
    CK(h, tc_sends(&c[1], "defghij") == 0);
    CK(h, tc_response(&c[1], resp, sizeof resp) == 200);
out:
    if (c)
        for (int i = 0; i < 4; i++)
            tc_close(&c[i]);
    free(c);
}

static void test_sock_max_connections(void **state)
{
    (void)state;
    static uint64_t counts[600];
    memset(counts, 0, sizeof counts);
    harness *h = new_harness(cl_maxconn);
    h->lim.max_connections = 2;
    h->lim.status_counts = counts;
    set_operator(h);
    run_harness(h, "127.0.0.1");
    assert_int_equal(counts[503], 20);
    assert_int_equal(g_nrec, 3);
    free(h);
}

/* At max_connections the connection that has waited longest for a request
 * is closed for the newcomer: slow headers and idle keep-alives alike, in
 * the order they began to wait. */
static void cl_evict(harness *h)
{
    tconn *c = malloc(6 * sizeof *c);
    char resp[4096];
    if (!c)
        goto out;
    for (int i = 0; i < 6; i++)
        c[i].fd = -1;
    CK(h, tc_open(&c[0], AF_INET, h->port) == 0);
    CK(h, tc_sends(&c[0], "GET / HTTP/1.1\r\nHost: x\r\nX-") == 0);
    usleep(20000);
    CK(h, tc_open(&c[1], AF_INET, h->port) == 0);
    CK(h, tc_sends(&c[1], "GET / HTTP/1.1\r\n") == 0);
    usleep(20000);
    CK(h, tc_open(&c[2], AF_INET, h->port) == 0);
    CK(h, tc_sends(&c[2], "GET /k HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(&c[2], resp, sizeof resp) == 200); /* then idle: it waits from now */
    usleep(20000);
    CK(h, tc_open(&c[3], AF_INET, h->port) == 0);
    CK(h, tc_sends(&c[3], "GET / HTTP/1.1\r\nHo") == 0);
    CK(h, tc_closed(&c[0]));
    CK(h, tc_open_still(&c[1]));
    CK(h, tc_open(&c[4], AF_INET, h->port) == 0);
    CK(h, tc_sends(&c[4], "GET /served HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(&c[4], resp, sizeof resp) == 200);
    CK(h, tc_closed(&c[1]));
    CK(h, tc_open(&c[5], AF_INET, h->port) == 0);
    CK(h, tc_sends(&c[5], "G") == 0);
    CK(h, tc_closed(&c[2])); /* idle since before c[3] arrived */
    CK(h, tc_open_still(&c[3]));
    CK(h, tc_sends(&c[3], "st: x\r\n\r\n") == 0);
    CK(h, tc_response(&c[3], resp, sizeof resp) == 200);
out:
    if (c)
        for (int i = 0; i < 6; i++)
            tc_close(&c[i]);
    free(c);
}

static void test_sock_evicts_longest_waiting(void **state)
{
    (void)state;
    harness *h = new_harness(cl_evict);
    h->lim.max_connections = 3;
    run_harness(h, "127.0.0.1");
    assert_int_equal(g_nrec, 3);
    free(h);
}

/* max_connections_per_peer: an address at its limit makes room among its
 * own connections (however old another address's are), and gets 503 when
 * its own are all operators' requests while another address is served. */
static void cl_per_peer(harness *h)
{
    tconn *c = malloc(8 * sizeof *c);
    char resp[4096];
    if (!c)
        goto out;
    for (int i = 0; i < 8; i++)
        c[i].fd = -1;
    CK(h, tc_open_from(&c[0], "127.0.0.2", h->port) == 0);
    CK(h, tc_sends(&c[0], "GET / HTTP/1.1\r\n") == 0);
    usleep(20000);
    for (int i = 1; i <= 2; i++) {
        CK(h, tc_open(&c[i], AF_INET, h->port) == 0);
        CK(h, tc_sends(&c[i], "GET / HTTP/1.1\r\n") == 0);
        usleep(20000);
    }
    CK(h, tc_open(&c[3], AF_INET, h->port) == 0);
    CK(h, tc_sends(&c[3], "GET /third HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(&c[3], resp, sizeof resp) == 200);
    CK(h, tc_closed(&c[1]));
    CK(h, tc_open_still(&c[0]));
    /* 127.0.0.1's two slots become operators' requests in progress. */
    for (int i = 4; i <= 5; i++) {
        CK(h, tc_open(&c[i], AF_INET, h->port) == 0);
        CK(h, send_operator_head(&c[i], g_token) == 0);
        usleep(20000);
    }
    CK(h, tc_closed(&c[2]));
    CK(h, tc_closed(&c[3]));
    CK(h, tc_open(&c[6], AF_INET, h->port) == 0);
    CK(h, tc_sends(&c[6], "GET /more HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(&c[6], resp, sizeof resp) == 503);
    CK(h, tc_open_from(&c[7], "127.0.0.2", h->port) == 0);
    CK(h, tc_sends(&c[7], "GET /other HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(&c[7], resp, sizeof resp) == 200);
    CK(h, tc_open_still(&c[0]));
    for (int i = 4; i <= 5; i++) {
        CK(h, tc_sends(&c[i], "defghij") == 0);
        CK(h, tc_response(&c[i], resp, sizeof resp) == 200);
    }
out:
    if (c)
        for (int i = 0; i < 8; i++)
            tc_close(&c[i]);
    free(c);
}

static void test_sock_per_peer(void **state)
{
    (void)state;
    /* Skip where 127.0.0.2 is not a local address (it is on Linux). */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.2", &a.sin_addr);
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        skip();
    harness *h = new_harness(cl_per_peer);
    h->lim.max_connections = 8;
    h->lim.max_connections_per_peer = 2;
    set_operator(h);
    run_harness(h, "127.0.0.1");
    assert_int_equal(g_nrec, 4);
    free(h);
}

/* The header deadline is short and its own: a kept-alive connection may
 * idle longer than it, but a trickled header may not. */
static void cl_header_deadline(harness *h)
{
    tconn *c = malloc(sizeof *c);
    char resp[4096];
    if (!c)
        goto out;
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_sends(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    usleep(700000); /* past the header deadline, within the idle one */
    CK(h, tc_sends(c, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    usleep(500000);
    double t0 = now_s();
    CK(h, tc_sends(c, "GET /c HTTP/1.1\r\n") == 0); /* the deadline runs from here */
    int closed = 0;
    while (!closed && now_s() - t0 < 3) {
        if (send(c->fd, "X", 1, MSG_NOSIGNAL) < 0)
            closed = 1;
        usleep(50000);
        char b;
        ssize_t r = recv(c->fd, &b, 1, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            closed = 1;
    }
    double dt = now_s() - t0;
    CK(h, closed);
    CK(h, dt >= 0.25 && dt < 1.2);
    tc_close(c);
    /* Idle after a response: closed at the idle deadline. */
    CK(h, tc_open(c, AF_INET, h->port) == 0);
    CK(h, tc_sends(c, "GET /d HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
    CK(h, tc_response(c, resp, sizeof resp) == 200);
    t0 = now_s();
    CK(h, tc_closed(c));
    dt = now_s() - t0;
    CK(h, dt >= 1.3 && dt < 3.5);
out:
    if (c)
        tc_close(c);
    free(c);
}

static void test_sock_header_timeout(void **state)
{
    (void)state;
    harness *h = new_harness(cl_header_deadline);
    h->lim.header_timeout_ms = 300;
    h->lim.idle_timeout_ms = 1500;
    run_harness(h, "127.0.0.1");
    assert_int_equal(g_nrec, 3);
    free(h);
}

/* Host on a real listener: its address, localhost, 127.0.0.1 and [::1] on
 * its port, allowed_hosts; anything else 421, none 400 (HTTP/1.1). */
static void cl_host(harness *h)
{
    tconn *c = malloc(sizeof *c);
    char resp[4096], req[256];
    if (!c)
        goto out;
    static const struct {
        const char *host;
        int with_port; /* ":PORT" of the listener follows */
        int status;
    } cases[] = {{"127.0.0.1", 1, 200},    {"localhost", 1, 200}, {"LOCALHOST", 1, 200}, {"[::1]", 1, 200},
                 {"x", 0, 200},            {"x", 1, 200},         {"127.0.0.1", 0, 421}, {"127.0.0.1:1", 0, 421},
                 {"evil.example", 1, 421}, {"", 0, 400}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char host[64];
        if (cases[i].with_port)
            snprintf(host, sizeof host, "%s:%d", cases[i].host, h->port);
        else
            snprintf(host, sizeof host, "%s", cases[i].host);
        if (cases[i].host[0])
            snprintf(req, sizeof req, "GET /h HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host);
        else
            snprintf(req, sizeof req, "GET /h HTTP/1.1\r\nConnection: close\r\n\r\n");
        CK(h, tc_open(c, AF_INET, h->port) == 0);
        CK(h, tc_sends(c, req) == 0);
        int st = tc_response(c, resp, sizeof resp);
        if (st != cases[i].status)
            snprintf(h->fail, sizeof h->fail, "Host '%s': status %d, want %d", host, st, cases[i].status);
        CK(h, st == cases[i].status);
        CK(h, tc_closed(c));
        tc_close(c);
    }
out:
    if (c)
        tc_close(c);
    free(c);
}

static void test_sock_host(void **state)
{
    (void)state;
    harness *h = new_harness(cl_host);
    run_harness(h, "127.0.0.1");
    assert_int_equal(g_nrec, 6);
    free(h);
    /* A bad allowed_hosts entry: refused at start, nothing left open. */
    uv_loop_t loop;
    gd_err err = {{0}};
    gd_http_server *s = NULL;
    gd_http_limits lim = {.allowed_hosts = "ok.example, not/ok"};
    assert_int_equal(uv_loop_init(&loop), 0);
    int fds = count_fds();
    assert_int_equal(gd_http_start(&loop, "127.0.0.1", 0, &lim, handler, NULL, &s, &err), GD_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err.msg, "'not/ok'"));
    assert_int_equal(count_fds(), fds);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* Stop while connections are open, one mid-request, one idle, one with a
 * pipelined backlog: every connection is closed and nothing leaks. */
static void cl_stop(harness *h)
{
    tconn *c = malloc(3 * sizeof *c);
    char resp[4096];
    if (!c)
        goto out;
    for (int i = 0; i < 3; i++)
        c[i].fd = -1;
    for (int i = 0; i < 3; i++) {
        CK(h, tc_open(&c[i], AF_INET, h->port) == 0);
        CK(h, tc_sends(&c[i], "GET /hi HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
        CK(h, tc_response(&c[i], resp, sizeof resp) == 200);
    }
    CK(h, tc_sends(&c[0], "POST /half HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc") == 0);
    CK(h, tc_sends(&c[2], "GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\nGET /p3 HTT") == 0);
    usleep(50000);
    uv_async_send(&h->async);
    for (int i = 0; i < 3; i++) {
        /* c[2] may first get its pipelined answers. */
        int r;
        while ((r = tc_response(&c[i], resp, sizeof resp)) == 200)
            ;
        CK(h, r == -1);
    }
out:
    if (c)
        for (int i = 0; i < 3; i++)
            tc_close(&c[i]);
    free(c);
}

static void test_sock_stop_with_connections(void **state)
{
    (void)state;
    harness *h = new_harness(cl_stop);
    h->lim.idle_timeout_ms = 60000;
    run_harness(h, "127.0.0.1");
    free(h);
}

/* Stop from inside the handler of an open connection. */
static gd_http_server *g_stop_srv;
static void stopping_handler(void *user, const gd_http_request *req, gd_http_response *resp)
{
    (void)req;
    harness *h = user;
    gd_http_stop(g_stop_srv, on_closed, h);
    h->stop_sent = 1;
    resp->status = 200;
}

static void test_stop_in_handler_and_bind_error(void **state)
{
    (void)state;
    uv_loop_t loop;
    gd_err err = {{0}};
    harness *h = new_harness(NULL);
    assert_int_equal(uv_loop_init(&loop), 0);
    gd_http_server *a = NULL, *b = NULL;
    assert_int_equal(gd_http_start(&loop, "127.0.0.1", 0, NULL, stopping_handler, h, &a, &err), 0);
    int port = gd_http_port(a);
    /* Same port again: a clear error naming host:port, nothing to free. */
    int rc = gd_http_start(&loop, "127.0.0.1", port, NULL, handler, NULL, &b, &err);
    assert_int_equal(rc, GD_EEXIST);
    assert_null(b);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    if (!strstr(err.msg, want) || !strstr(err.msg, "in use"))
        fail_msg("message: %s", err.msg);
    rc = gd_http_start(&loop, "not a host name!", 0, NULL, handler, NULL, &b, &err);
    assert_true(rc < 0);
    assert_null(b);

    g_stop_srv = a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[128];
    int rl = snprintf(req, sizeof req, "GET /bye HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port);
    assert_int_equal(send(fd, req, (size_t)rl, MSG_NOSIGNAL), (ssize_t)rl);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_true(h->closed);
    char b2[256];
    ssize_t r = recv(fd, b2, sizeof b2, 0);
    assert_true(r <= 0); /* closed without an answer: the server was stopping */
    close(fd);
    assert_int_equal(uv_loop_close(&loop), 0);
    free(h);
}

int main(void)
{
    gd_log_init(stderr, GD_LOG_OFF);
    /* libuv opens a process-wide pipe with the first loop; open it now so
     * the per-test descriptor counts compare like with like. */
    uv_loop_t warm;
    if (uv_loop_init(&warm) == 0)
        uv_loop_close(&warm);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_buf_get, reset),
        cmocka_unit_test_setup(test_buf_post_headers, reset),
        cmocka_unit_test_setup(test_buf_malformed, reset),
        cmocka_unit_test_setup(test_buf_truncated, reset),
        cmocka_unit_test_setup(test_buf_pipelined_and_close, reset),
        cmocka_unit_test_setup(test_buf_limits, reset),
        cmocka_unit_test_setup(test_buf_expect_and_status, reset),
        cmocka_unit_test_setup(test_buf_chunked_reads, reset),
        cmocka_unit_test_setup(test_buf_host, reset),
        cmocka_unit_test_setup(test_sock_get, reset),
        cmocka_unit_test_setup(test_sock_ipv6_peer, reset),
        cmocka_unit_test_setup(test_sock_post_keepalive, reset),
        cmocka_unit_test_setup(test_sock_pipelined, reset),
        cmocka_unit_test_setup(test_sock_errors, reset),
        cmocka_unit_test_setup(test_sock_idle_timeout, reset),
        cmocka_unit_test_setup(test_sock_max_connections, reset),
        cmocka_unit_test_setup(test_sock_evicts_longest_waiting, reset),
        cmocka_unit_test_setup(test_sock_per_peer, reset),
        cmocka_unit_test_setup(test_sock_header_timeout, reset),
        cmocka_unit_test_setup(test_sock_host, reset),
        cmocka_unit_test_setup(test_sock_stop_with_connections, reset),
        cmocka_unit_test_setup(test_stop_in_handler_and_bind_error, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
