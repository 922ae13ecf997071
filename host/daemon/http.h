/* The operator HTTP server: node's http_parser (Debian libhttp-parser-dev)
 * on a libuv TCP listener, on the host's loop. Requests are small and
 * handled synchronously by one handler; limits on header and body size,
 * connections and time keep a bad client from hurting the host, and keep
 * the kill switch (POST /risk/halt) reachable under a connection flood.
 *
 * Admission. At most max_connections connections may be waiting for or
 * sending a request, at most max_connections_per_peer of them from one
 * address (an IPv4 address, an IPv6 /64). A connection over either limit
 * is still admitted: the connection that has waited longest for a complete
 * request (of the same address when that address is at its limit) is closed
 * to make room. Only two kinds are never closed that way: a connection
 * whose response is being written, and one whose request header is complete
 * and bears an operator token (operator_hashes). So an idle or slow
 * connection (a slowloris) can hold a slot only until newer ones arrive, and
 * an operator's request, which arrives whole, is answered at once. A new
 * connection is refused, with a real 503 (Retry-After, Connection: close)
 * and its input drained so the kernel does not reset it, only when every
 * slot is taken by one of those two kinds. A request already waiting when a
 * connection is accepted is read and answered before the next accept.
 *
 * Host. Every HTTP/1.1 request needs exactly one Host header (400 without
 * or with two) naming this server (421 otherwise, logged), so a web page
 * whose name was rebound to 127.0.0.1 cannot reach the API: allowed are the
 * listen address as given, localhost:PORT, 127.0.0.1:PORT, [::1]:PORT (also
 * without :PORT on port 80) and allowed_hosts. An absolute request target's
 * authority is checked the same way. HTTP/1.0 may omit Host. */
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
    const char *cookie;         /* Cookie, or NULL (a repeated one is refused with 400) */
    const char *origin;         /* Origin, or NULL */
    const char *csrf_token;     /* X-CSRF-Token, or NULL */
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
    /* More header lines, "Name: value\r\n" each (checked: a malformed one
     * is a 500); the server copies them as the handler returns
     * (static text, or the handler's own buffer). NULL: none. */
    const char *headers;
    /* A GET answered 200 with stream set opens a server-sent event stream:
     * the headers and body go now, the connection then belongs to the
     * stream (gd_http_broadcast, gd_http_close_streams), keyed by
     * stream_key. */
    int stream;
    uint64_t stream_key;
} gd_http_response;

/* Called for every well-formed request. Must not block. */
typedef void (*gd_http_handler)(void *user, const gd_http_request *req, gd_http_response *resp);

typedef struct gd_http_limits {
    size_t max_header_bytes;    /* request line + headers; 0 = 8 KiB */
    size_t max_body_bytes;      /* 0 = 64 KiB */
    unsigned max_connections;   /* 0 = 64 (see Admission above) */
    unsigned max_connections_per_peer; /* 0 = only max_connections */
    /* From connect, or a kept-alive connection's next request's first byte,
     * to the end of the request header; 0 = 5 s. */
    uint64_t header_timeout_ms;
    /* A kept-alive connection between requests, a request body after its
     * header, a response the client does not read; 0 = 10 s. */
    uint64_t idle_timeout_ms;
    /* Host values accepted besides the defaults, comma-separated: HOST (then
     * also HOST:PORT of the listener) or HOST:PORT; NULL or "" = none. */
    const char *allowed_hosts;
    /* Optional: where the operator token hashes (SHA-256 hex, as
     * risk/token.h checks them) live; read at each request, so a reload
     * that rotates them is seen. NULL: no request is the operator's. */
    char **const *operator_hashes;
    const size_t *n_operator_hashes;
    /* Optional: counts[status]++ for every response the server sends,
     * its own refusals (400, 413, 421, 431, 503) included. 600 entries. */
    uint64_t *status_counts;
} gd_http_limits;

typedef struct gd_http_server gd_http_server;

/* Listens on host:port (port 0 picks a free one) on loop. GD_EINVAL for
 * bad arguments or a bad allowed_hosts entry. */
int gd_http_start(uv_loop_t *loop, const char *host, int port, const gd_http_limits *lim,
                  gd_http_handler handler, void *user, gd_http_server **out, gd_err *err);
/* The port listened on (the one picked when started with port 0); 0 for NULL. */
int gd_http_port(const gd_http_server *s);
/* "HOST:PORT" or "[V6]:PORT" as a listen key gives it: host (without
 * brackets) into host[cap] and the port. GD_EINVAL when it is not. */
int gd_http_split_listen(const char *listen, char *host, size_t cap, int *port);
/* Stops listening, closes every connection; frees the server once all
 * handles are closed (then calls on_closed if non-NULL). */
void gd_http_stop(gd_http_server *s, void (*on_closed)(void *arg), void *arg);

/* Sends data to every open stream (a client too slow to take it, more
 * than 1 MiB behind, is closed). */
void gd_http_broadcast(gd_http_server *s, const char *data, size_t len);
/* Closes the streams opened with key (0: every stream). */
void gd_http_close_streams(gd_http_server *s, uint64_t key);
unsigned gd_http_stream_count(const gd_http_server *s);

/* Parses and answers raw request bytes without sockets: the path the
 * fuzzer and the unit tests drive. The buffer is everything one client sent:
 * pipelined requests are answered in order and the full responses (status
 * line, headers, body) concatenated into *out (malloc'd, caller frees; ""
 * when nothing was answered). Parsing stops after an error response or
 * Connection: close; bytes of a request left incomplete at the end get no
 * answer (on a socket they would wait for the idle timer). *status (may be
 * NULL) is the last response's HTTP status, 0 when none was produced. The
 * peer is "buffer", and Host is checked as for a server listening on
 * 127.0.0.1:80 (so "localhost" passes). A response body left with body_len
 * 0 is sent up to its NUL.
 * Returns 0, GD_EINVAL (NULL out, out_len or handler, NULL data with a
 * length, or a bad allowed_hosts entry) or GD_ENOMEM; on error *out is NULL and *status 0. An HTTP error
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
