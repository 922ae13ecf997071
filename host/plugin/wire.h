/* The plugin worker protocol: what the host and a sandboxed plugin worker
 * say to each other over one SOCK_SEQPACKET socket pair.
 *
 * Every message is one datagram: an 8-byte header {magic, type, flags} and a
 * payload of at most GD_WIRE_MAX bytes, built and read field by field
 * (little-endian integers, IEEE doubles, strings as a length and bytes).
 * Nothing is a C struct on the wire: a reader checks every length against
 * what is left, so a short, long or garbled message is refused as a whole,
 * never half-read. The host treats everything a worker sends as untrusted
 * input; the worker, as the less privileged side, trusts the host.
 *
 * The conversation is strictly call and answer. The host sends a call
 * (GD_W_BAR, GD_W_FILTER, ...); until the worker answers it with GD_W_DONE
 * (or the call's own answer), the worker may send GD_W_LOG lines and
 * requests (GD_W_EMIT, GD_W_Q_*), each of which the host answers with one
 * GD_W_REPLY before the worker goes on. */
#ifndef GD_WIRE_H
#define GD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <gordon/sdk.h>

#include "base/err.h"

#define GD_WIRE_VERSION 1u
#define GD_WIRE_MAGIC 0x31574447u /* "GDW1" */
#define GD_WIRE_HDR 8u
/* Largest payload of one message. Snapshots larger than this travel in
 * GD_W_SNAP_CHUNK pieces. */
#define GD_WIRE_MAX (60u * 1024u)
/* Longest text fields: log lines, reasons, errors, names. */
#define GD_WIRE_TEXT_MAX 1024u
/* A snapshot (all chunks) may be at most this big. */
#define GD_WIRE_SNAP_MAX (16u * 1024u * 1024u)
/* Bars per GD_W_Q_BARS answer (the SDK's bars() copies at most this many). */
#define GD_WIRE_BARS_MAX 1024u

typedef enum gd_wire_type {
    /* host -> worker: calls */
    GD_W_LOAD = 1,      /* u32 version, str path, u32 log_level, u32 flags */
    GD_W_CREATE,        /* str instance, u32 n_symbols, n x {str name, u8 subscribed}, params */
    GD_W_WARMUP,        /* answered by GD_W_DONE (rc = the plugin's warmup(), or 0) */
    GD_W_BAR,           /* ctx, u32 symbol, bar, u8 has_position[, position in symbol] */
    GD_W_FILL,          /* ctx, fill */
    GD_W_FILTER,        /* ctx, signal; answered by GD_W_FILTERED */
    GD_W_EVALUATE,      /* ctx, breaker input, result (as kept); answered by GD_W_EVALUATED */
    GD_W_RESUME,        /* ctx */
    GD_W_SNAPSHOT,      /* answered by GD_W_SNAP_CHUNK... then GD_W_DONE (rc = total bytes) */
    GD_W_RESTORE,       /* u32 total; the host then sends GD_W_SNAP_CHUNKs; answered by GD_W_DONE */
    GD_W_DESTROY,       /* the worker destroys the instance and exits 0 */
    GD_W_REPLY,         /* the answer to a worker's request: i32 rc, then the request's data */
    /* worker -> host */
    GD_W_HELLO = 64,    /* the loaded plugin's descriptor, then u8 landlock (enforced) */
    GD_W_FAIL,          /* str why: the worker could not go on; it exits */
    GD_W_DONE,          /* i64 rc, str text (create's error, or empty) */
    GD_W_LOG,           /* u32 level, str message */
    GD_W_EMIT,          /* signal */
    GD_W_Q_BARS,        /* u32 symbol, u32 n */
    GD_W_Q_POSITION,    /* u32 symbol */
    GD_W_Q_EXPOSURE,    /* u32 symbol */
    GD_W_Q_SERIES_SUB,  /* str id */
    GD_W_Q_SERIES_GET,  /* str id */
    GD_W_FILTERED,      /* i32 result, signal out, str reason */
    GD_W_EVALUATED,     /* i32 rc, result */
    GD_W_SNAP_CHUNK = 96 /* either way: bytes */
} gd_wire_type;

/* GD_W_LOAD flags */
#define GD_WIRE_LOAD_DESCRIBE 1u /* only describe the plugin, then exit */
#define GD_WIRE_LOAD_LOCK     2u /* mlockall before loading, or fail */

/* Which optional callbacks a plugin has (GD_W_HELLO). */
enum {
    GD_WCB_CREATE = 1u << 0, GD_WCB_DESTROY = 1u << 1, GD_WCB_ON_BAR = 1u << 2,
    GD_WCB_ON_FILL = 1u << 3, GD_WCB_FILTER = 1u << 4, GD_WCB_EVALUATE = 1u << 5,
    GD_WCB_SNAPSHOT = 1u << 6, GD_WCB_RESTORE = 1u << 7, GD_WCB_ON_RESUME = 1u << 8,
    GD_WCB_WARMUP = 1u << 9
};

/* A message being built in a caller's buffer of GD_WIRE_HDR + GD_WIRE_MAX
 * bytes. A field that does not fit marks it bad; sending a bad message is
 * refused. */
typedef struct gd_wbuf {
    unsigned char *p;
    size_t len;
    size_t cap;
    int bad;
} gd_wbuf;

/* A received message being read. Reading past the end or a malformed field
 * marks it bad and yields zeros; check bad (and left) once at the end. */
typedef struct gd_rbuf {
    const unsigned char *p;
    size_t len;
    size_t off;
    int bad;
    uint16_t type;
    uint16_t flags;
} gd_rbuf;

void gd_wb_start(gd_wbuf *w, void *mem, size_t cap, uint16_t type);
void gd_wb_u8(gd_wbuf *w, uint8_t v);
void gd_wb_u32(gd_wbuf *w, uint32_t v);
void gd_wb_i32(gd_wbuf *w, int32_t v);
void gd_wb_i64(gd_wbuf *w, int64_t v);
void gd_wb_u64(gd_wbuf *w, uint64_t v);
void gd_wb_f64(gd_wbuf *w, double v);
/* At most max bytes of s (NULL is ""). */
void gd_wb_str(gd_wbuf *w, const char *s, size_t max);
void gd_wb_bytes(gd_wbuf *w, const void *p, size_t n);

/* Checks the header of a received datagram of n bytes: GD_EPROTO naming
 * what is wrong, or 0 with r ready to read the payload. */
int gd_rb_start(gd_rbuf *r, const void *msg, size_t n, gd_err *err);
uint8_t gd_rb_u8(gd_rbuf *r);
uint32_t gd_rb_u32(gd_rbuf *r);
int32_t gd_rb_i32(gd_rbuf *r);
int64_t gd_rb_i64(gd_rbuf *r);
uint64_t gd_rb_u64(gd_rbuf *r);
double gd_rb_f64(gd_rbuf *r);
/* Copies a string of at most cap - 1 bytes into out, NUL-terminated; an
 * embedded NUL or a longer string marks r bad. */
void gd_rb_str(gd_rbuf *r, char *out, size_t cap);
/* A pointer to n bytes inside the message, or NULL (and bad). */
const void *gd_rb_bytes(gd_rbuf *r, size_t n);
/* 0 when everything was read and nothing was malformed, else GD_EPROTO
 * naming the message type. */
int gd_rb_end(const gd_rbuf *r, gd_err *err);

/* The SDK's structs, field by field. Readers fill the host's (or the
 * worker's) own layout, struct_size set to its sizeof. */
void gd_wb_bar(gd_wbuf *w, const gordon_bar *b);
void gd_rb_bar(gd_rbuf *r, gordon_bar *b);
void gd_wb_signal(gd_wbuf *w, const gordon_signal *s);
void gd_rb_signal(gd_rbuf *r, gordon_signal *s);
void gd_wb_position(gd_wbuf *w, const gordon_position *p);
void gd_rb_position(gd_rbuf *r, gordon_position *p);
void gd_wb_fill(gd_wbuf *w, const gordon_fill *f);
void gd_rb_fill(gd_rbuf *r, gordon_fill *f);
void gd_wb_exposure(gd_wbuf *w, const gordon_exposure *x);
void gd_rb_exposure(gd_rbuf *r, gordon_exposure *x);
void gd_wb_series(gd_wbuf *w, const gordon_series_point *p);
void gd_rb_series(gd_rbuf *r, gordon_series_point *p);
void gd_wb_breaker_in(gd_wbuf *w, const gordon_breaker_input *in);
void gd_rb_breaker_in(gd_rbuf *r, gordon_breaker_input *in);
void gd_wb_breaker_out(gd_wbuf *w, const gordon_breaker_result *o);
void gd_rb_breaker_out(gd_rbuf *r, gordon_breaker_result *o);

/* The context every call carries: the host's clock and equity. */
typedef struct gd_wire_ctx {
    int64_t now_ms;
    double equity;
} gd_wire_ctx;
void gd_wb_ctx(gd_wbuf *w, const gd_wire_ctx *c);
void gd_rb_ctx(gd_rbuf *r, gd_wire_ctx *c);

/* Sends a built message (MSG_NOSIGNAL: a dead peer is an error, not a
 * SIGPIPE). GD_EPROTO for a bad message, GD_EIO for a failed send. */
int gd_wire_send(int fd, const gd_wbuf *w, gd_err *err);
/* Receives one message into buf (GD_WIRE_HDR + GD_WIRE_MAX bytes), waiting
 * at most timeout_ms (< 0: as long as the socket's SO_RCVTIMEO, if any). GD_ETIMEDOUT, GD_EIO for a closed or
 * failed socket (EOF says "closed"), GD_EPROTO for a truncated or malformed
 * datagram; 0 with r ready. */
int gd_wire_recv(int fd, void *buf, int timeout_ms, gd_rbuf *r, gd_err *err);

const char *gd_wire_type_name(unsigned type);

#endif
