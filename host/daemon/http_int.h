/* Private to the HTTP server (http.c, http_session.c): the request session
 * both the sockets and gd_http_process_buffer feed bytes through, so the
 * fuzzer exercises the same code as the network. */
#ifndef GD_HTTP_INT_H
#define GD_HTTP_INT_H

#include <http_parser.h>
#include <netinet/in.h>
#include <stddef.h>

#include "daemon/http.h"
#include "base/buf.h"

#define GD_HTTP_DEF_HEADER_BYTES (8u * 1024u)
#define GD_HTTP_DEF_BODY_BYTES (64u * 1024u)
#define GD_HTTP_DEF_CONNECTIONS 64u
#define GD_HTTP_DEF_IDLE_MS 10000u

typedef struct gd_http_session {
    http_parser parser;
    gd_http_limits lim;          /* resolved: no zeros */
    gd_http_handler handler;
    void *user;
    char peer[INET6_ADDRSTRLEN + 16];

    /* the request being received */
    gd_buf url, auth, ctype, expect, body;
    char field[32];              /* current header name, enough for the ones we keep */
    size_t field_len;
    int field_long;              /* name longer than field[]: not one of ours */
    int in_value;                /* last callback was a value: the next field starts a header */
    int headers_done;            /* later fields are chunked trailers: never used */
    int cur;                     /* which kept header the current value belongs to */
    unsigned n_auth, n_ctype, n_expect;
    size_t header_bytes;

    /* set by a callback that refuses the request */
    int err_status;
    const char *err_msg;

    gd_buf out;                  /* responses produced, not yet sent */
    int last_status;
    int close_after;             /* the last response ends the connection */
    int done;                    /* no more input is parsed */
    int oom;
} gd_http_session;

/* lim with every 0 replaced by its default (src may be NULL). */
void gd_http_resolve_limits(gd_http_limits *dst, const gd_http_limits *src);

void gd_http_session_init(gd_http_session *s, const gd_http_limits *lim, gd_http_handler handler,
                          void *user, const char *peer);
void gd_http_session_free(gd_http_session *s);

/* Parses up to len bytes; stops after one complete request (its response is
 * then in s->out) or at an error (an error response is queued and done is
 * set). Returns how many bytes were used; the rest must be fed again later. */
size_t gd_http_session_feed(gd_http_session *s, const char *data, size_t len);

#endif
