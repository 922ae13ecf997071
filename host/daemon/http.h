/* The operator HTTP server: node's http_parser (Debian libhttp-parser-dev)
 * on a libuv TCP listener, on the host's loop. Requests are small and
 * handled synchronously by one handler; limits on header and body size,
 * connections and idle time keep a bad client from hurting the host. */
#ifndef GD_HTTP_H
#define GD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/err.h"

typedef struct gd_http_request {
    const char *method;         /* "GET", "POST", ... */
    const char *path;           /* decoded? no: as sent, without the query */
    const char *query;          /* after '?', or "" */
    const char *authorization;  /* Authorization header value, or NULL */
    const char *content_type;   /* or NULL */
    const char *body;           /* NUL-terminated copy; "" when none */
    size_t body_len;
    const char *peer;           /* "127.0.0.1:54321" */
} gd_http_request;

typedef struct gd_http_response {
    int status;                 /* 200 by default */
    const char *content_type;   /* default "application/json" */
    char *body;                 /* malloc'd by the handler; the server frees it */
    size_t body_len;
    const char *www_authenticate; /* for 401, e.g. "Bearer" */
} gd_http_response;

/* Called for every well-formed request. Must not block. */
typedef void (*gd_http_handler)(void *user, const gd_http_request *req, gd_http_response *resp);

typedef struct gd_http_limits {
    size_t max_header_bytes;    /* request line + headers; 0 = 8 KiB */
    size_t max_body_bytes;      /* 0 = 64 KiB */
    unsigned max_connections;   /* 0 = 64 */
    uint64_t idle_timeout_ms;   /* 0 = 10 s */
    /* Optional: counts[status]++ for every response the server sends,
     * its own refusals (400, 413, 431, 503) included. 600 entries. */
    uint64_t *status_counts;
} gd_http_limits;

typedef struct gd_http_server gd_http_server;

/* Listens on host:port (port 0 picks a free one) on loop. */
int gd_http_start(uv_loop_t *loop, const char *host, int port, const gd_http_limits *lim,
                  gd_http_handler handler, void *user, gd_http_server **out, gd_err *err);
/* The port listened on (the one picked when started with port 0); 0 for NULL. */
int gd_http_port(const gd_http_server *s);
/* Stops listening, closes every connection; frees the server once all
 * handles are closed (then calls on_closed if non-NULL). */
void gd_http_stop(gd_http_server *s, void (*on_closed)(void *arg), void *arg);

/* Parses and answers raw request bytes without sockets: the path the
 * fuzzer and the unit tests drive. The buffer is everything one client sent:
 * pipelined requests are answered in order and the full responses (status
 * line, headers, body) concatenated into *out (malloc'd, caller frees; ""
 * when nothing was answered). Parsing stops after an error response or
 * Connection: close; bytes of a request left incomplete at the end get no
 * answer (on a socket they would wait for the idle timer). *status (may be
 * NULL) is the last response's HTTP status, 0 when none was produced. The
 * peer is "buffer". A response body left with body_len 0 is sent up to its
 * NUL.
 * Returns 0, GD_EINVAL (NULL out, out_len or handler, or NULL data with a
 * length) or GD_ENOMEM; on error *out is NULL and *status 0. An HTTP error
 * answer (400, 413, ...) is a success here: it is in *out and *status. */
int gd_http_process_buffer(const char *data, size_t len, const gd_http_limits *lim, gd_http_handler handler,
                           void *user, char **out, size_t *out_len, int *status, gd_err *err);

/* The same, but feeds the parser at most chunk bytes at a time (0 = all),
 * as socket reads would split a request: lets the fuzzer cover callbacks
 * that receive a name or value in pieces. */
int gd_http_process_chunks(const char *data, size_t len, size_t chunk, const gd_http_limits *lim,
                           gd_http_handler handler, void *user, char **out, size_t *out_len, int *status,
                           gd_err *err);

#endif
