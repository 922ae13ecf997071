#include "venue/stream.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#define WSC_URL_MAX 1024

/* One libwebsockets context for every client of the process (the venue
 * executor's user-data stream and the market stream): two contexts on one
 * foreign loop leave one's TLS state unfreed. Counted: the last stop
 * closes its handles, the last free frees it. Loop thread only. */
static struct {
    struct lws_context *ctx;
    uv_loop_t *loop;
    int refs, stops;
} g_lws;

struct gd_wsc {
    struct lws *wsi;
    gd_wsc_cbs cb;
    char *msg; /* owned: the message being assembled */
    size_t len;
    int stopped;
    int closing;    /* closed was reported for this connection */
    int close_code; /* the peer's close frame, 0 if none */
    char url[WSC_URL_MAX];
};

static void report_closed(gd_wsc *c, const char *why)
{
    c->wsi = NULL;
    c->len = 0;
    if (c->closing || c->stopped)
        return;
    c->closing = 1;
    if (c->cb.closed)
        c->cb.closed(c->cb.arg, why);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    gd_wsc *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!c || c->stopped)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (c->cb.open)
            c->cb.open(c->cb.arg);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (lws_frame_is_binary(wsi))
            break; /* Binance sends text only */
        if (c->len + len > GD_WSC_MAX) {
            gd_log(GD_LOG_WARN, "venue", NULL, "stream: a message over %u bytes: dropping the connection", GD_WSC_MAX);
            c->len = 0;
            return -1;
        }
        memcpy(c->msg + c->len, in, len);
        c->len += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            size_t n = c->len;
            c->msg[n] = '\0';
            c->len = 0;
            if (c->cb.message)
                c->cb.message(c->cb.arg, c->msg, n);
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        const unsigned char *p = in;
        c->close_code = len >= 2 ? p[0] << 8 | p[1] : 1005;
        break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        char why[300];
        snprintf(why, sizeof why, "cannot connect: %s", in ? (const char *)in : "(no reason given)");
        report_closed(c, why);
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED: {
        char why[64];
        if (c->close_code)
            snprintf(why, sizeof why, "closed by the venue (close frame %d)", c->close_code);
        else
            snprintf(why, sizeof why, "connection lost");
        report_closed(c, why);
        break;
    }
    default: break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"gordon-user-stream", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void log_emit(int level, const char *line)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    gd_log(level == LLL_ERR ? GD_LOG_ERROR : GD_LOG_WARN, "venue", NULL, "libwebsockets: %s", buf);
}

int gd_wsc_new(uv_loop_t *loop, const gd_wsc_cbs *cbs, gd_wsc **out, gd_err *err)
{
    gd_wsc *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !(c->msg = malloc(GD_WSC_MAX + 1))) {
        if (c)
            free(c);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    c->cb = *cbs;
    if (g_lws.ctx && (g_lws.loop != loop || g_lws.stops)) {
        free(c->msg);
        free(c);
        return gd_err_set(err, GD_ESTATE, "libwebsockets: the stream clients share one loop, still running");
    }
    if (!g_lws.ctx) {
        struct lws_context_creation_info info;
        void *loops[1] = {loop};
        memset(&info, 0, sizeof info);
        lws_set_log_level(LLL_ERR | LLL_WARN, log_emit);
        info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.foreign_loops = loops;
        info.port = CONTEXT_PORT_NO_LISTEN;
        info.protocols = protocols;
        info.pcontext = &g_lws.ctx; /* lws writes NULL there once it is all freed */
        g_lws.ctx = lws_create_context(&info);
        if (!g_lws.ctx) {
            free(c->msg);
            free(c);
            return gd_err_set(err, GD_EIO,
                              "libwebsockets: cannot create a context on the loop (is "
                              "libwebsockets-evlib-uv installed?)");
        }
        g_lws.loop = loop;
        g_lws.stops = 0;
    }
    g_lws.refs++;
    *out = c;
    return 0;
}

int gd_wsc_connect(gd_wsc *c, const char *url, gd_err *err)
{
    if (c->stopped)
        return gd_err_set(err, GD_ESTATE, "the stream client is stopped");
    if (c->wsi)
        return gd_err_set(err, GD_ESTATE, "a stream connection is open already");
    if (strlen(url) >= sizeof c->url)
        return gd_err_set(err, GD_ERANGE, "stream URL too long");
    char copy[WSC_URL_MAX], path[WSC_URL_MAX + 1];
    const char *prot, *addr, *p;
    int port;
    snprintf(c->url, sizeof c->url, "%s", url);
    snprintf(copy, sizeof copy, "%s", url);
    if (lws_parse_uri(copy, &prot, &addr, &port, &p) != 0 || (strcmp(prot, "ws") != 0 && strcmp(prot, "wss") != 0))
        return gd_err_set(err, GD_EINVAL, "%s: expected ws:// or wss://HOST[:PORT]/PATH", url);
    snprintf(path, sizeof path, "/%s", p);
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = g_lws.ctx;
    i.opaque_user_data = c;
    i.address = addr;
    i.port = port;
    i.path = path;
    i.host = addr;
    i.origin = addr;
    i.ssl_connection = !strcmp(prot, "wss") ? LCCSCF_USE_SSL : 0;
    i.local_protocol_name = protocols[0].name;
    i.pwsi = &c->wsi;
    c->closing = 0;
    c->close_code = 0;
    c->len = 0;
    if (!lws_client_connect_via_info(&i)) {
        c->wsi = NULL;
        return gd_err_set(err, GD_EIO, "%s: cannot start a connection", url);
    }
    return 0;
}

void gd_wsc_disconnect(gd_wsc *c)
{
    if (c->wsi)
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

int gd_wsc_connected(const gd_wsc *c) { return c->wsi != NULL && !c->closing; }

void gd_wsc_stop(gd_wsc *c)
{
    if (!c || c->stopped)
        return;
    c->stopped = 1;
    if (c->wsi) {
        /* Its connection goes; what lws says about it later reaches no one. */
        lws_set_opaque_user_data(c->wsi, NULL);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        c->wsi = NULL;
    }
    /* On a foreign loop the first destroy closes lws's handles; they finish
     * closing on the loop's next run, and the last gd_wsc_free frees the rest. */
    if (++g_lws.stops == g_lws.refs && g_lws.ctx)
        lws_context_destroy(g_lws.ctx);
}

void gd_wsc_free(gd_wsc *c)
{
    if (!c)
        return;
    gd_wsc_stop(c);
    g_lws.stops--;
    if (--g_lws.refs == 0) {
        if (g_lws.ctx)
            lws_context_destroy(g_lws.ctx);
        g_lws.ctx = NULL;
        g_lws.loop = NULL;
        g_lws.stops = 0;
    }
    free(c->msg);
    free(c);
}
