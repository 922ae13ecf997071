/* A websocket client on the host's loop: libwebsockets in foreign-loop mode
 * on libuv (Debian's libwebsockets-evlib-uv), TLS by OpenSSL for wss://.
 * One connection at a time; the owner decides when to reconnect. Messages
 * are bounded (GD_WSC_MAX) and handed over whole. */
#ifndef GD_VENUE_STREAM_H
#define GD_VENUE_STREAM_H

#include <stddef.h>

#include <uv.h>

#include "base/err.h"

#define GD_WSC_MAX (256u << 10) /* a user-data event is under a kilobyte */

typedef struct gd_wsc gd_wsc;

typedef struct gd_wsc_cbs {
    void *arg;
    void (*open)(void *arg);
    /* One whole text message; valid during the call. */
    void (*message)(void *arg, const char *text, size_t len);
    /* The connection ended or never opened (why says which); no more
     * callbacks until the next gd_wsc_connect. */
    void (*closed)(void *arg, const char *why);
} gd_wsc_cbs;

int gd_wsc_new(uv_loop_t *loop, const gd_wsc_cbs *cbs, gd_wsc **out, gd_err *err);

/* ws://host:port/path or wss://...; GD_ESTATE while a connection exists. */
int gd_wsc_connect(gd_wsc *c, const char *url, gd_err *err);

/* Ends the connection (closed follows). */
void gd_wsc_disconnect(gd_wsc *c);

int gd_wsc_connected(const gd_wsc *c);

/* No callbacks after this; the handles close on the loop's next run.
 * gd_wsc_free then releases the memory (after the loop ran). */
void gd_wsc_stop(gd_wsc *c);
void gd_wsc_free(gd_wsc *c);

#endif
