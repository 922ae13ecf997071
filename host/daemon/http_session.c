/* The HTTP request session: node's http_parser callbacks, the limits on
 * header and body size, and the responses they produce. Both the socket
 * connections (http.c) and gd_http_process_buffer feed bytes through
 * gd_http_session_feed, so the fuzzer exercises the same code as the network.
 *
 * http_parser callbacks return 0 to go on and CB_STOP to stop the parser
 * (which then reports HPE_CB_*); why is recorded in the session first. */
#include "daemon/http_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/log.h"
#include "risk/token.h"

/* http_parser's "stop": any nonzero value, except that on_headers_complete
 * gives 1 and 2 their own meanings (no body; upgrade), so always -1. */
#define CB_STOP (-1)

enum { HDR_OTHER = 0, HDR_AUTH, HDR_CTYPE, HDR_EXPECT, HDR_HOST, HDR_COOKIE, HDR_ORIGIN, HDR_CSRF };

/* http-parser's table of reason phrases (RFC 9110 names). */
static const char *reason_phrase(int status)
{
    const char *s = http_status_str((enum http_status)status);
    return (s && s[0] != '<') ? s : "Unknown";
}

void gd_http_resolve_limits(gd_http_limits *dst, const gd_http_limits *src)
{
    memset(dst, 0, sizeof *dst);
    if (src)
        *dst = *src;
    if (!dst->max_header_bytes)
        dst->max_header_bytes = GD_HTTP_DEF_HEADER_BYTES;
    if (!dst->max_body_bytes)
        dst->max_body_bytes = GD_HTTP_DEF_BODY_BYTES;
    if (!dst->max_connections)
        dst->max_connections = GD_HTTP_DEF_CONNECTIONS;
    if (!dst->idle_timeout_ms)
        dst->idle_timeout_ms = GD_HTTP_DEF_IDLE_MS;
    if (!dst->header_timeout_ms)
        dst->header_timeout_ms = GD_HTTP_DEF_HEADER_MS;
}

/* ---- the Host values a server answers to ---- */

/* Adds name (len bytes), with ":port" unless port < 0, lower-cased. */
static int hosts_add(gd_http_hosts *h, const char *name, size_t len, int port)
{
    char buf[320];
    int n = port >= 0 ? snprintf(buf, sizeof buf, "%.*s:%d", (int)len, name, port)
                      : snprintf(buf, sizeof buf, "%.*s", (int)len, name);
    if (n < 0 || (size_t)n >= sizeof buf)
        return GD_EINVAL;
    for (char *p = buf; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    char **grown = realloc(h->names, (h->n + 1) * sizeof *grown);
    if (!grown)
        return GD_ENOMEM;
    h->names = grown;
    if (!(h->names[h->n] = strdup(buf)))
        return GD_ENOMEM;
    h->n++;
    return 0;
}

/* HOST or HOST:PORT; HOST is 1..253 of [A-Za-z0-9.-] or a bracketed IPv6
 * literal ([0-9A-Fa-f:.]), PORT 0..65535. *hl: HOST's length; *port: PORT,
 * -1 without. 0 or GD_EINVAL. */
static int parse_authority(const char *v, size_t len, size_t *hl, int *port)
{
    size_t i = 0;
    if (len && v[0] == '[') {
        for (i = 1; i < len && v[i] != ']'; i++)
            if (!isxdigit((unsigned char)v[i]) && v[i] != ':' && v[i] != '.')
                return GD_EINVAL;
        if (i == len || i == 1)
            return GD_EINVAL;
        i++;
    } else {
        while (i < len && (isalnum((unsigned char)v[i]) || v[i] == '.' || v[i] == '-'))
            i++;
        if (i == 0 || i > 253)
            return GD_EINVAL;
    }
    *hl = i;
    *port = -1;
    if (i == len)
        return 0;
    if (v[i] != ':' || i + 1 == len || len - i - 1 > 5)
        return GD_EINVAL;
    int p = 0;
    for (size_t k = i + 1; k < len; k++) {
        if (!isdigit((unsigned char)v[k]))
            return GD_EINVAL;
        p = p * 10 + (v[k] - '0');
    }
    if (p > 65535)
        return GD_EINVAL;
    *port = p;
    return 0;
}

/* One allowed_hosts item: HOST:PORT as is; HOST alone also as HOST:port. */
static int hosts_add_item(gd_http_hosts *h, const char *item, size_t len, int port, gd_err *err)
{
    size_t hl;
    int ip, rc;
    if (parse_authority(item, len, &hl, &ip) != 0)
        return gd_err_set(err, GD_EINVAL,
                          "http: allowed_hosts: '%.*s' is not HOST or HOST:PORT (e.g. gordon.internal, "
                          "gordon.internal:8080, [fd00::1]:8080)",
                          (int)(len > 200 ? 200 : len), item);
    if (ip >= 0)
        rc = hosts_add(h, item, hl, ip);
    else if ((rc = hosts_add(h, item, hl, -1)) == 0)
        rc = hosts_add(h, item, hl, port);
    return rc ? gd_err_set(err, rc, "http: out of memory") : 0;
}

void gd_http_hosts_free(gd_http_hosts *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->names[i]);
    free(h->names);
    memset(h, 0, sizeof *h);
}

int gd_http_hosts_init(gd_http_hosts *h, const char *listen_host, int port, const char *extra, gd_err *err)
{
    char lh[300];
    int rc = 0;
    memset(h, 0, sizeof *h);
    /* An IPv6 literal is written bracketed in Host. */
    if (strchr(listen_host, ':') && listen_host[0] != '[')
        snprintf(lh, sizeof lh, "[%s]", listen_host);
    else
        snprintf(lh, sizeof lh, "%s", listen_host);
    const char *const defaults[] = {lh, "localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < 4 && rc == 0; i++) {
        rc = hosts_add(h, defaults[i], strlen(defaults[i]), port);
        if (rc == 0 && port == 80) /* the default port may be left out */
            rc = hosts_add(h, defaults[i], strlen(defaults[i]), -1);
    }
    if (rc) {
        rc = gd_err_set(err, rc, rc == GD_ENOMEM ? "http: out of memory" : "http: bad listen host '%s'",
                        listen_host);
        goto fail;
    }
    for (const char *p = extra ? extra : ""; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len && (rc = hosts_add_item(h, p, len, port, err)) != 0)
            goto fail;
        p = end ? end + 1 : p + len;
        if (!end)
            break;
    }
    return 0;

fail:
    gd_http_hosts_free(h);
    return rc;
}

int gd_http_host_allowed(const gd_http_hosts *h, const char *value)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(value, h->names[i]) == 0)
            return 1;
    return 0;
}

/* Buffers are kept for the next request on the connection, emptied: what
 * one request sent (its Authorization!) must never show in the next. */
static void session_reset_request(gd_http_session *s)
{
    gd_buf_clear(&s->url);
    gd_buf_clear(&s->auth);
    gd_buf_clear(&s->ctype);
    gd_buf_clear(&s->expect);
    gd_buf_clear(&s->host);
    gd_buf_clear(&s->cookie);
    gd_buf_clear(&s->origin);
    gd_buf_clear(&s->csrf);
    gd_buf_clear(&s->body);
    s->field_len = 0;
    s->field[0] = '\0';
    s->field_long = 0;
    s->in_value = 0;
    s->headers_done = 0;
    s->cur = HDR_OTHER;
    s->n_auth = s->n_ctype = s->n_expect = s->n_host = s->n_cookie = s->n_origin = s->n_csrf = 0;
    s->header_bytes = 0;
    s->in_message = 0;
    s->is_operator = 0;
}

void gd_http_session_init(gd_http_session *s, const gd_http_limits *lim, gd_http_hosts *hosts,
                          gd_http_handler handler, void *user, const char *peer)
{
    memset(s, 0, sizeof *s);
    gd_http_resolve_limits(&s->lim, lim);
    s->hosts = hosts;
    s->handler = handler;
    s->user = user;
    snprintf(s->peer, sizeof s->peer, "%s", peer);
    http_parser_init(&s->parser, HTTP_REQUEST);
    s->parser.data = s;
}

void gd_http_session_free(gd_http_session *s)
{
    gd_buf_free(&s->url);
    gd_buf_free(&s->auth);
    gd_buf_free(&s->ctype);
    gd_buf_free(&s->cookie);
    gd_buf_free(&s->origin);
    gd_buf_free(&s->csrf);
    gd_buf_free(&s->expect);
    gd_buf_free(&s->host);
    gd_buf_free(&s->body);
    gd_buf_free(&s->out);
}

/* Records why a callback refuses the request; the parser then stops with
 * an HPE_CB_* error and gd_http_session_feed answers with this status. */
static int refuse(gd_http_session *s, int status, const char *msg)
{
    if (!s->err_status) {
        s->err_status = status;
        s->err_msg = msg;
    }
    return CB_STOP;
}

static int refuse_oom(gd_http_session *s)
{
    s->oom = 1;
    return refuse(s, 500, "out of memory");
}

static int count_header_bytes(gd_http_session *s, size_t n)
{
    if (s->header_bytes > s->lim.max_header_bytes || n > s->lim.max_header_bytes - s->header_bytes) {
        s->header_bytes = s->lim.max_header_bytes + 1;
        return refuse(s, 431, "request header too large");
    }
    s->header_bytes += n;
    return 0;
}

static int on_message_begin(http_parser *p)
{
    gd_http_session *s = p->data;
    session_reset_request(s);
    s->in_message = 1;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    gd_http_session *s = p->data;
    if (count_header_bytes(s, len))
        return CB_STOP;
    /* http_parser_parse_url keeps 16-bit offsets. */
    if (s->url.len + len > UINT16_MAX)
        return refuse(s, 431, "request target too long");
    return gd_buf_append(&s->url, at, len) < 0 ? refuse_oom(s) : 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    gd_http_session *s = p->data;
    if (s->in_value || (s->field_len == 0 && !s->field_long)) {
        /* A new header line: charge its ": " and CRLF too, so a flood of
         * tiny headers is bounded like its size on the wire. */
        s->in_value = 0;
        s->field_len = 0;
        s->field[0] = '\0';
        s->field_long = 0;
        if (count_header_bytes(s, 4))
            return CB_STOP;
    }
    if (count_header_bytes(s, len))
        return CB_STOP;
    if (!s->field_long) {
        if (len >= sizeof s->field - s->field_len) {
            s->field_long = 1;
        } else {
            memcpy(s->field + s->field_len, at, len);
            s->field_len += len;
            s->field[s->field_len] = '\0';
        }
    }
    return 0;
}

/* Where a kept header's value goes; NULL for the others. */
static gd_buf *header_buf(gd_http_session *s, int which)
{
    switch (which) {
    case HDR_AUTH: return &s->auth;
    case HDR_CTYPE: return &s->ctype;
    case HDR_EXPECT: return &s->expect;
    case HDR_HOST: return &s->host;
    case HDR_COOKIE: return &s->cookie;
    case HDR_ORIGIN: return &s->origin;
    case HDR_CSRF: return &s->csrf;
    default: return NULL;
    }
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    gd_http_session *s = p->data;
    if (count_header_bytes(s, len))
        return CB_STOP;
    if (!s->in_value) {
        s->in_value = 1;
        s->cur = HDR_OTHER;
        if (!s->field_long && !s->headers_done) {
            if (strcasecmp(s->field, "authorization") == 0) {
                if (++s->n_auth > 1)
                    return refuse(s, 400, "repeated Authorization header");
                s->cur = HDR_AUTH;
            } else if (strcasecmp(s->field, "content-type") == 0) {
                if (++s->n_ctype > 1)
                    return refuse(s, 400, "repeated Content-Type header");
                s->cur = HDR_CTYPE;
            } else if (strcasecmp(s->field, "expect") == 0) {
                s->n_expect++;
                s->cur = HDR_EXPECT;
            } else if (strcasecmp(s->field, "host") == 0) {
                if (++s->n_host > 1)
                    return refuse(s, 400, "repeated Host header");
                s->cur = HDR_HOST;
            } else if (strcasecmp(s->field, "cookie") == 0) {
                if (++s->n_cookie > 1)
                    return refuse(s, 400, "repeated Cookie header");
                s->cur = HDR_COOKIE;
            } else if (strcasecmp(s->field, "origin") == 0) {
                if (++s->n_origin > 1)
                    return refuse(s, 400, "repeated Origin header");
                s->cur = HDR_ORIGIN;
            } else if (strcasecmp(s->field, "x-csrf-token") == 0) {
                if (++s->n_csrf > 1)
                    return refuse(s, 400, "repeated X-CSRF-Token header");
                s->cur = HDR_CSRF;
            }
        }
        /* Mark the header present even if its value is empty. */
        gd_buf *b = header_buf(s, s->cur);
        if (b && gd_buf_append(b, "", 0) < 0)
            return refuse_oom(s);
    }
    gd_buf *b = header_buf(s, s->cur);
    if (!b)
        return 0;
    return gd_buf_append(b, at, len) < 0 ? refuse_oom(s) : 0;
}

/* The value of a header seen present times, without trailing optional
 * whitespace (http_parser strips only the leading); NULL if absent. */
static const char *trimmed(gd_buf *b, unsigned present)
{
    if (!present || !b->p)
        return NULL;
    while (b->len && (b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\t'))
        b->p[--b->len] = '\0';
    return b->p;
}

/* A refused Host is logged, at most one line a second per server: a page
 * rebinding its name to us may try often. */
static void log_refused_host(gd_http_session *s, const char *what)
{
    gd_http_hosts *h = s->hosts;
    uint64_t now = uv_hrtime() / 1000000u;
    if (h->last_log_ms && now - h->last_log_ms < 1000) {
        h->unlogged++;
        return;
    }
    gd_log(GD_LOG_WARN, "http", NULL,
           "refused a request from %s for %.100s: not a name this server answers to (DNS rebinding?); "
           "allowed_hosts lists more (%u more refused since the last such line)",
           s->peer, what, h->unlogged);
    h->last_log_ms = now ? now : 1;
    h->unlogged = 0;
}

/* The authority of an absolute request target ("http://HOST:PORT/..."):
 * 1 when there is one, written "HOST[:PORT]" into out (IPv6 bracketed). */
static int target_authority(const gd_buf *url, char *out, size_t cap)
{
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (!url->len || http_parser_parse_url(url->p, url->len, 0, &u) != 0 || !(u.field_set & (1u << UF_HOST)))
        return 0;
    const char *h = url->p + u.field_data[UF_HOST].off;
    int hl = u.field_data[UF_HOST].len;
    int v6 = memchr(h, ':', (size_t)hl) != NULL;
    if (u.field_set & (1u << UF_PORT))
        snprintf(out, cap, "%s%.*s%s:%.*s", v6 ? "[" : "", hl, h, v6 ? "]" : "", u.field_data[UF_PORT].len,
                 url->p + u.field_data[UF_PORT].off);
    else
        snprintf(out, cap, "%s%.*s%s", v6 ? "[" : "", hl, h, v6 ? "]" : "");
    return 1;
}

/* Host (RFC 9112 3.2): one on HTTP/1.1, naming us; an absolute target's
 * authority too. 0, or the refusal (CB_STOP). */
static int check_host(gd_http_session *s, const http_parser *p)
{
    char what[300];
    const char *host = trimmed(&s->host, s->n_host);
    if (!host) {
        if (p->http_major == 1 && p->http_minor == 0)
            return 0; /* HTTP/1.0 may omit it */
        return refuse(s, 400, "missing Host header");
    }
    if (!gd_http_host_allowed(s->hosts, host)) {
        snprintf(what, sizeof what, "Host '%s'", host);
        log_refused_host(s, what);
        return refuse(s, 421, "Host not served here");
    }
    char auth[300];
    if (target_authority(&s->url, auth, sizeof auth) && !gd_http_host_allowed(s->hosts, auth)) {
        snprintf(what, sizeof what, "target authority '%s'", auth);
        log_refused_host(s, what);
        return refuse(s, 421, "request target not served here");
    }
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    gd_http_session *s = p->data;
    s->headers_done = 1;
    if (p->method == HTTP_CONNECT)
        return refuse(s, 405, "CONNECT not supported");
    if (p->upgrade)
        return refuse(s, 400, "protocol upgrade not supported");
    if (check_host(s, p))
        return CB_STOP;
    /* The operator's request in progress keeps its connection when the
     * server is full (http.c); checked here, once, so a slow body counts. */
    if (s->lim.operator_hashes && s->lim.n_operator_hashes && *s->lim.n_operator_hashes) {
        const char *a = trimmed(&s->auth, s->n_auth);
        s->is_operator = a && gd_token_check(a, (const char *const *)*s->lim.operator_hashes,
                                             *s->lim.n_operator_hashes) >= 0;
    }
    /* Refuse an oversized body before reading any of it. */
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > s->lim.max_body_bytes)
        return refuse(s, 413, "request body too large");
    /* Expect: 100-continue is ignored (the client sends its body after its
     * own short wait); any other expectation cannot be met. */
    if (s->n_expect > 1)
        return refuse(s, 417, "unsupported expectation");
    if (s->n_expect == 1) {
        const char *e = trimmed(&s->expect, s->n_expect);
        if (!e || strcasecmp(e, "100-continue") != 0)
            return refuse(s, 417, "unsupported expectation");
    }
    return 0;
}

static int on_chunk_header(http_parser *p)
{
    gd_http_session *s = p->data;
    /* content_length holds this chunk's announced size. */
    if (p->content_length > s->lim.max_body_bytes - s->body.len)
        return refuse(s, 413, "request body too large");
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    gd_http_session *s = p->data;
    if (len > s->lim.max_body_bytes - s->body.len)
        return refuse(s, 413, "request body too large");
    return gd_buf_append(&s->body, at, len) < 0 ? refuse_oom(s) : 0;
}

static int header_value_ok(const char *v)
{
    return v && v[0] && !strpbrk(v, "\r\n");
}

/* Extra header lines from a handler: "Name: value\r\n" each, a token for a
 * name, no other CR or LF (nothing a value could smuggle in). */
static int headers_ok(const char *h)
{
    while (*h) {
        const char *colon = strchr(h, ':'), *end = strstr(h, "\r\n");
        if (!colon || !end || colon > end || colon == h)
            return 0;
        for (const char *q = h; q < colon; q++)
            if (!(isalnum((unsigned char)*q) || *q == '-'))
                return 0;
        for (const char *q = colon; q < end; q++)
            if (*q == '\r' || *q == '\n' || (unsigned char)*q < 0x20)
                return 0;
        h = end + 2;
    }
    return 1;
}

/* Appends one whole response; on failure (GD_ENOMEM) leaves out as it was. */
static int append_response(gd_http_session *s, int status, const char *ctype, const char *www_auth,
                           const char *extra, int stream, const char *body, size_t body_len, int close, int head)
{
    size_t mark = s->out.len;
    int rc;
    if (stream) {
        /* A stream: no length; it ends when either side closes. */
        rc = gd_buf_printf(&s->out,
                           "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nConnection: keep-alive\r\nCache-Control: no-store\r\n",
                           status, reason_phrase(status), ctype);
    } else if (status == 204 || status == 304) {
        /* No body, and no Content-Length (RFC 9110 8.6). */
        rc = gd_buf_printf(&s->out, "HTTP/1.1 %d %s\r\nConnection: %s\r\nCache-Control: no-store\r\n",
                           status, reason_phrase(status), close ? "close" : "keep-alive");
        body_len = 0;
    } else {
        rc = gd_buf_printf(&s->out,
                           "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                           "Connection: %s\r\nCache-Control: no-store\r\n",
                           status, reason_phrase(status), ctype, body_len, close ? "close" : "keep-alive");
    }
    if (rc == 0 && www_auth)
        rc = gd_buf_printf(&s->out, "WWW-Authenticate: %s\r\n", www_auth);
    if (rc == 0 && extra)
        rc = gd_buf_append(&s->out, extra, strlen(extra));
    if (rc == 0)
        rc = gd_buf_append(&s->out, "\r\n", 2);
    if (rc == 0 && !head && body_len)
        rc = gd_buf_append(&s->out, body, body_len);
    if (rc < 0) {
        gd_buf_truncate(&s->out, mark);
        s->oom = 1;
        return GD_ENOMEM;
    }
    if (s->lim.status_counts && status >= 100 && status < 600)
        s->lim.status_counts[status]++;
    s->last_status = status;
    s->close_after = close;
    return 0;
}

/* Queues {"error": msg} and ends the exchange. Out of memory leaves s->oom
 * set for the caller (a socket is then closed without an answer). */
static void append_error(gd_http_session *s, int status, const char *msg)
{
    char esc[256], body[320];
    gd_json_escape(esc, sizeof esc, msg ? msg : "bad request");
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", esc);
    size_t blen = n < 0 ? 0 : (size_t)n < sizeof body ? (size_t)n : sizeof body - 1;
    (void)append_response(s, status, "application/json", NULL, NULL, 0, body, blen, 1, 0);
    s->close_after = 1;
    s->done = 1;
}

/* Splits the request target into path ("/" when absent) and query ("" when
 * absent), both in one malloc'd block *target for the caller to free.
 * GD_EINVAL: not a valid target; GD_ENOMEM. */
static int split_target(const gd_buf *url, char **target, const char **path_out, const char **query_out)
{
    struct http_parser_url u;
    http_parser_url_init(&u);
    *target = NULL;
    if (url->len == 0 || http_parser_parse_url(url->p, url->len, 0, &u) != 0)
        return GD_EINVAL;
    char *path = malloc(url->len + 3);
    if (!path)
        return GD_ENOMEM;
    char *query;
    if (u.field_set & (1u << UF_PATH)) {
        memcpy(path, url->p + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
        path[u.field_data[UF_PATH].len] = '\0';
    } else {
        strcpy(path, "/");
    }
    query = path + strlen(path) + 1;
    if (u.field_set & (1u << UF_QUERY)) {
        memcpy(query, url->p + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
        query[u.field_data[UF_QUERY].len] = '\0';
    } else {
        query[0] = '\0';
    }
    *target = path;
    *path_out = path;
    *query_out = query;
    return 0;
}

/* Queues the handler's answer, or a 500 when the handler broke the rules
 * (then the connection ends). 0 or GD_ENOMEM. */
static int queue_answer(gd_http_session *s, http_parser *p, const gd_http_request *req,
                        const gd_http_response *resp)
{
    int status = resp->status;
    if (status < 200 || status > 599 || (resp->body_len && !resp->body)) {
        /* A handler bug: say so rather than send something malformed. */
        gd_log(GD_LOG_ERROR, "http", NULL, "handler returned status %d (body_len %zu) for %s %s", status,
               resp->body_len, req->method, req->path);
        append_error(s, 500, "internal error");
        return 0;
    }
    if (resp->headers && !headers_ok(resp->headers)) {
        gd_log(GD_LOG_ERROR, "http", NULL, "handler returned malformed headers for %s %s", req->method, req->path);
        append_error(s, 500, "internal error");
        return 0;
    }
    const char *ctype = header_value_ok(resp->content_type) ? resp->content_type : "application/json";
    const char *www = header_value_ok(resp->www_authenticate) ? resp->www_authenticate : NULL;
    size_t blen = resp->body ? (resp->body_len ? resp->body_len : strlen(resp->body)) : 0;
    int stream = resp->stream && status == 200 && p->method == HTTP_GET;
    int close = !stream && !http_should_keep_alive(p);
    if (append_response(s, status, ctype, www, resp->headers, stream, resp->body, blen, close,
                        p->method == HTTP_HEAD))
        return GD_ENOMEM;
    if (stream) {
        /* The connection is the stream's from now on (http.c). */
        s->streaming = 1;
        s->stream_key = resp->stream_key;
        s->done = 1;
        return 0;
    }
    if (close)
        s->done = 1;
    session_reset_request(s);
    return 0;
}

/* A complete request: split the target, call the handler, queue the answer,
 * and pause the parser so the caller sends it before parsing the next. */
static int on_message_complete(http_parser *p)
{
    gd_http_session *s = p->data;
    char *target;
    const char *path = NULL, *query = NULL;
    int rc = split_target(&s->url, &target, &path, &query);
    if (rc == GD_ENOMEM)
        return refuse_oom(s);
    if (rc)
        return refuse(s, 400, "bad request target");

    gd_http_request req = {
        .method = http_method_str((enum http_method)p->method),
        .path = path,
        .query = query,
        .authorization = trimmed(&s->auth, s->n_auth),
        .content_type = trimmed(&s->ctype, s->n_ctype),
        .cookie = trimmed(&s->cookie, s->n_cookie),
        .origin = trimmed(&s->origin, s->n_origin),
        .csrf_token = trimmed(&s->csrf, s->n_csrf),
        .body = s->body.len ? s->body.p : "",
        .body_len = s->body.len,
        .peer = s->peer,
    };
    gd_http_response resp = {.status = 200};
    s->handler(s->user, &req, &resp);
    rc = queue_answer(s, p, &req, &resp);
    free(resp.body);
    free(target);
    if (rc)
        return refuse_oom(s);
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings g_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = on_chunk_header,
};

size_t gd_http_session_feed(gd_http_session *s, const char *data, size_t len)
{
    if (s->done)
        return len;
    if (HTTP_PARSER_ERRNO(&s->parser) == HPE_PAUSED)
        http_parser_pause(&s->parser, 0);
    size_t n = http_parser_execute(&s->parser, &g_settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&s->parser);
    if (e == HPE_PAUSED)
        return n;
    if (e != HPE_OK) {
        int status = s->err_status;
        const char *msg = s->err_msg;
        if (!status) {
            status = e == HPE_HEADER_OVERFLOW ? 431 : 400;
            msg = http_errno_description(e);
        }
        append_error(s, status, msg);
        return len;
    }
    return n;
}

/* ---- without sockets: the fuzzer's and the unit tests' path ---- */

static int process(const char *data, size_t len, size_t chunk, const gd_http_limits *lim,
                   gd_http_handler handler, void *user, char **out, size_t *out_len, int *status,
                   gd_err *err)
{
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (status)
        *status = 0;
    if (!out || !out_len)
        return gd_err_set(err, GD_EINVAL, "http: process: no output buffer");
    if (!handler)
        return gd_err_set(err, GD_EINVAL, "http: process: no handler");
    if (!data && len)
        return gd_err_set(err, GD_EINVAL, "http: process: NULL data of length %zu", len);
    gd_http_hosts hosts;
    int rc = gd_http_hosts_init(&hosts, "127.0.0.1", 80, lim ? lim->allowed_hosts : NULL, err);
    if (rc)
        return rc;
    gd_http_session s;
    gd_http_session_init(&s, lim, &hosts, handler, user, "buffer");
    if (!chunk)
        chunk = len ? len : 1;
    size_t off = 0;
    while (off < len && !s.done) {
        size_t piece = len - off < chunk ? len - off : chunk;
        size_t n = gd_http_session_feed(&s, data + off, piece);
        if (n == 0)
            break; /* cannot happen with http_parser; never spin */
        off += n;
    }
    if (s.oom || (!s.out.p && gd_buf_append(&s.out, "", 0) < 0)) {
        gd_http_session_free(&s);
        gd_http_hosts_free(&hosts);
        return gd_err_set(err, GD_ENOMEM, "http: out of memory answering %zu bytes of requests", len);
    }
    *out = s.out.p;
    *out_len = s.out.len;
    if (status)
        *status = s.last_status;
    s.out.p = NULL;
    gd_http_session_free(&s);
    gd_http_hosts_free(&hosts);
    return 0;
}

int gd_http_process_buffer(const char *data, size_t len, const gd_http_limits *lim, gd_http_handler handler,
                           void *user, char **out, size_t *out_len, int *status, gd_err *err)
{
    return process(data, len, 0, lim, handler, user, out, out_len, status, err);
}

int gd_http_process_chunks(const char *data, size_t len, size_t chunk, const gd_http_limits *lim,
                           gd_http_handler handler, void *user, char **out, size_t *out_len, int *status,
                           gd_err *err)
{
    return process(data, len, chunk, lim, handler, user, out, out_len, status, err);
}
