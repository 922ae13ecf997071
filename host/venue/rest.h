/* Binance USD-M REST on the loop (net/curluv): signed requests, the
 * server-time offset, and replies read for what they mean. A reply that is
 * not a clear answer (no HTTP status: a timeout, a reset; or 5xx, -1006,
 * -1007) is reported as unknown, never as rejected: the caller reconciles
 * by client id before any retry (DESIGN invariant 10). Keys never appear in
 * a log line, an error or a reply. */
#ifndef GD_VENUE_REST_H
#define GD_VENUE_REST_H

#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "venue/sign.h"

#define GD_REST_MAX_BODY (4u << 20)

typedef enum gd_rest_outcome {
    GD_REST_OK = 0,       /* 2xx */
    GD_REST_REJECTED = 1, /* 4xx with a Binance code: the venue said no */
    GD_REST_UNKNOWN = 2,  /* no answer, 5xx, -1006/-1007: it may or may not have happened */
    GD_REST_LIMITED = 3   /* 429 or 418: back off (retry_after_s) */
} gd_rest_outcome;

typedef struct gd_rest_reply {
    gd_rest_outcome outcome;
    long status;            /* HTTP status; 0 when none came */
    int code;               /* Binance's error code ({"code":-2019,...}), 0 if none */
    char msg[256];          /* its msg, or the transport error */
    const char *body;       /* NUL-terminated, valid during the callback */
    size_t body_len;
    long used_weight_1m;    /* X-MBX-USED-WEIGHT-1M, -1 when absent */
    long order_count_1m;    /* X-MBX-ORDER-COUNT-1M, -1 when absent */
    long retry_after_s;     /* Retry-After, -1 when absent */
    double seconds;         /* request to reply */
    int64_t sent_ms, received_ms; /* wall clock */
} gd_rest_reply;

typedef void (*gd_rest_cb)(void *arg, const gd_rest_reply *r);

/* What a reply with HTTP status and body means: outcome, Binance's code and
 * msg (the transport's own failures are judged before). Sets outcome,
 * status, code and msg only. */
void gd_rest_judge(long status, const char *body, size_t len, gd_rest_reply *out);

typedef struct gd_rest_opts {
    uv_loop_t *loop;
    const char *base_url;      /* "https://fapi.binance.com"; copied */
    const char *api_key;       /* X-MBX-APIKEY; copied, scrubbed when freed */
    const gd_signer *signer;   /* borrowed; NULL: unsigned requests only */
    double timeout_ms;         /* per request (0: 10000) */
    double recv_window_ms;     /* recvWindow (0: 5000) */
} gd_rest_opts;

typedef struct gd_rest gd_rest;

int gd_rest_new(const gd_rest_opts *o, gd_rest **out, gd_err *err);

/* method GET, POST, PUT or DELETE; params "a=1&b=2" (already URL-encoded,
 * may be ""). Signed: recvWindow and timestamp (the local clock plus the
 * server offset) are appended, the signature over exactly those bytes after
 * them; GET and DELETE send them in the query, POST and PUT in the body. */
int gd_rest_call(gd_rest *r, const char *method, const char *path, const char *params, int sign, gd_rest_cb cb,
                 void *arg, gd_err *err);

/* The server-time offset (server minus local, ms) signed requests use. */
void gd_rest_set_offset(gd_rest *r, int64_t offset_ms);
int64_t gd_rest_offset(const gd_rest *r);

/* Measures the offset: n GET /fapi/v1/time, each offset taken at the
 * middle of its round trip, the median kept (and set). done(arg, rc,
 * offset_ms): rc 0, or GD_EIO when fewer than half the samples came. */
int gd_rest_sync_clock(gd_rest *r, int n, void (*done)(void *arg, int rc, int64_t offset_ms), void *arg,
                       gd_err *err);
/* Why the last measurement's last failed sample failed (the transport's
 * error, an HTTP status, a reply without serverTime), for the message that
 * reports it; valid until the next measurement. */
const char *gd_rest_clock_why(const gd_rest *r);

/* Requests in flight. */
unsigned gd_rest_active(const gd_rest *r);

/* Aborts what is in flight (no callbacks), frees once libuv is done. */
void gd_rest_close(gd_rest *r);

#endif
