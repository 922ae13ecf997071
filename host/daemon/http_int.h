/* Private to the HTTP server (http.c, http_session.c): the request session
 * both the sockets and gd_http_process_buffer feed bytes through, so the
 * fuzzer exercises the same code as the network. */
#ifndef GD_HTTP_INT_H
#define GD_HTTP_INT_H

#include <http_parser.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/http.h"
#include "base/buf.h"

#define GD_HTTP_DEF_HEADER_BYTES (8u * 1024u)
#define GD_HTTP_DEF_BODY_BYTES (64u * 1024u)
#define GD_HTTP_DEF_CONNECTIONS 64u
#define GD_HTTP_DEF_IDLE_MS 10000u
#define GD_HTTP_DEF_HEADER_MS 5000u

/* The Host values a server answers to (lower case, exact match ignoring
 * case), and the rate limit of the log line about the others. */
typedef struct gd_http_hosts {
    char **names;
    size_t n;
    uint64_t last_log_ms;        /* uv_hrtime-based; 0: never logged */
    unsigned unlogged;           /* refusals since that line */
} gd_http_hosts;

/* The defaults for a listener on listen_host (as given: "127.0.0.1",
 * "[::1]", "::1", a name) and port, then every item of extra (NULL: none).
 * GD_EINVAL names a bad item; GD_ENOMEM. On error h is empty. */
int gd_http_hosts_init(gd_http_hosts *h, const char *listen_host, int port, const char *extra, gd_err *err);
void gd_http_hosts_free(gd_http_hosts *h);
/* 1 if value (a Host header or a target's authority) is one of h. */
int gd_http_host_allowed(const gd_http_hosts *h, const char *value);

typedef struct gd_http_session {
    http_parser parser;
    gd_http_limits lim;          /* resolved: no zeros */
    gd_http_handler handler;
    void *user;
    gd_http_hosts *hosts;        /* borrowed: the server's (its log gate is shared) */
    char peer[INET6_ADDRSTRLEN + 16];

    /* the request being received */
    gd_buf url, auth, ctype, expect, host, cookie, origin, csrf, body;
    char field[32];              /* current header name, enough for the ones we keep */
    size_t field_len;
    int field_long;              /* name longer than field[]: not one of ours */
    int in_value;                /* last callback was a value: the next field starts a header */
    int headers_done;            /* later fields are chunked trailers: never used */
    int cur;                     /* which kept header the current value belongs to */
    unsigned n_auth, n_ctype, n_expect, n_host, n_cookie, n_origin, n_csrf;
    size_t header_bytes;
    int in_message;              /* a request has begun and is not answered yet */
    int is_operator;             /* its complete header bears an operator token */

    /* set by a callback that refuses the request */
    int err_status;
    const char *err_msg;

    gd_buf out;                  /* responses produced, not yet sent */
    int last_status;
    int close_after;             /* the last response ends the connection */
    int done;                    /* no more input is parsed */
    int streaming;               /* the last answer opened a stream (server-sent events) */
    uint64_t stream_key;         /* ... the handler's key for it */
    int oom;
} gd_http_session;

/* lim with every 0 replaced by its default (src may be NULL). */
void gd_http_resolve_limits(gd_http_limits *dst, const gd_http_limits *src);

void gd_http_session_init(gd_http_session *s, const gd_http_limits *lim, gd_http_hosts *hosts,
                          gd_http_handler handler, void *user, const char *peer);
void gd_http_session_free(gd_http_session *s);

/* Parses up to len bytes; stops after one complete request (its response is
 * then in s->out) or at an error (an error response is queued and done is
 * set). Returns how many bytes were used; the rest must be fed again later.
 * in_message and headers_done say where an unanswered request stands. */
size_t gd_http_session_feed(gd_http_session *s, const char *data, size_t len);

#endif
