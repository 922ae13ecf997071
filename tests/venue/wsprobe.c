/* gordon-venue-wsprobe: a websocket client for the venue's tests. Connects
 * to a ws:// URL with libwebsockets, prints each text message on its own
 * line to stdout, and reports on stderr ("wsprobe: connected", "wsprobe:
 * close frame N" when the server sent one, "wsprobe: pong" for the answer
 * to --ping's one ping, "wsprobe: closed"). Exits 0
 * when the server closes, after --seconds N or after --count N messages;
 * 1 if it cannot connect (a refused handshake included).
 * usage: gordon-venue-wsprobe ws://127.0.0.1:PORT/PATH [--seconds N] [--count N] [--ping] */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WP_MSG_MAX (1 << 20) /* a user-data event is a few hundred bytes */
#define WP_URL_MAX 1024
#define WP_TICK_US (100 * LWS_US_PER_MS) /* how often the deadline is looked at */

static struct {
    char *buf;
    size_t len;
    long count, max_count;
    int established, done, rc;
    int ping; /* --ping: send one ping once connected */
    lws_usec_t deadline;
    struct lws_context *ctx;
    lws_sorted_usec_list_t sul;
} g;

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        g.established = 1;
        fprintf(stderr, "wsprobe: connected\n");
        if (g.ping)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (g.ping) {
            unsigned char b[LWS_PRE + 4];
            memcpy(b + LWS_PRE, "ping", 4);
            g.ping = 0;
            if (lws_write(wsi, b + LWS_PRE, 4, LWS_WRITE_PING) < 0)
                return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG: fprintf(stderr, "wsprobe: pong\n"); break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (g.len + len > WP_MSG_MAX) {
            fprintf(stderr, "wsprobe: message over %d bytes\n", WP_MSG_MAX);
            g.rc = 1;
            g.done = 1;
            return -1;
        }
        memcpy(g.buf + g.len, in, len);
        g.len += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            if (fwrite(g.buf, 1, g.len, stdout) != g.len || putchar('\n') == EOF || fflush(stdout) != 0) {
                g.rc = 1; /* the reader went away */
                g.done = 1;
                return -1;
            }
            g.len = 0;
            if (g.max_count > 0 && ++g.count >= g.max_count) {
                g.done = 1;
                return -1;
            }
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        const unsigned char *p = in;
        fprintf(stderr, "wsprobe: close frame %d\n", len >= 2 ? p[0] << 8 | p[1] : 1005);
        break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        fprintf(stderr, "wsprobe: cannot connect: %s\n", in ? (const char *)in : "(no reason)");
        g.rc = 1;
        g.done = 1;
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        fprintf(stderr, "wsprobe: closed\n");
        g.done = 1;
        break;
    default: break;
    }
    return 0;
}

static const struct lws_protocols g_protocols[] = {
    {"wsprobe", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_tick(lws_sorted_usec_list_t *sul)
{
    if (g.deadline && lws_now_usecs() >= g.deadline) {
        g.done = 1;
        if (!g.established) {
            fprintf(stderr, "wsprobe: not connected before the deadline\n");
            g.rc = 1;
        }
        lws_cancel_service(g.ctx);
        return;
    }
    lws_sul_schedule(g.ctx, 0, sul, on_tick, WP_TICK_US);
}

static long num(const char *flag, const char *s)
{
    char *end = NULL;
    long x = s ? strtol(s, &end, 10) : -1;
    if (!s || end == s || *end || x <= 0 || x > 86400 * 1000L) {
        fprintf(stderr, "wsprobe: %s: expected a positive integer\n", flag);
        exit(2);
    }
    return x;
}

int main(int argc, char **argv)
{
    const char *url = NULL;
    long seconds = 0;
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--seconds"))
            seconds = num(argv[i], val), i++;
        else if (!strcmp(argv[i], "--count"))
            g.max_count = num(argv[i], val), i++;
        else if (!strcmp(argv[i], "--ping"))
            g.ping = 1;
        else if (!url && argv[i][0] != '-')
            url = argv[i];
        else {
            fprintf(stderr, "usage: gordon-venue-wsprobe ws://HOST:PORT/PATH [--seconds N] [--count N] [--ping]\n");
            return 2;
        }
    }
    char copy[WP_URL_MAX], path[WP_URL_MAX + 1];
    const char *prot, *addr, *p;
    int port;
    if (!url || strlen(url) >= sizeof(copy)) {
        fprintf(stderr, "wsprobe: a ws:// URL, under %d bytes\n", WP_URL_MAX);
        return 2;
    }
    snprintf(copy, sizeof(copy), "%s", url);
    if (lws_parse_uri(copy, &prot, &addr, &port, &p) != 0 || strcmp(prot, "ws") != 0) {
        fprintf(stderr, "wsprobe: %s: expected ws://HOST:PORT/PATH\n", url);
        return 2;
    }
    snprintf(path, sizeof(path), "/%s", p); /* lws_parse_uri drops the leading slash */
    if (!(g.buf = malloc(WP_MSG_MAX))) {
        fprintf(stderr, "wsprobe: out of memory\n");
        return 1;
    }

    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = g_protocols;
    g.ctx = lws_create_context(&info);
    if (!g.ctx) {
        fprintf(stderr, "wsprobe: lws_create_context failed\n");
        free(g.buf);
        return 1;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = g.ctx;
    ci.address = addr;
    ci.port = port;
    ci.path = path;
    ci.host = addr;
    ci.origin = addr;
    ci.local_protocol_name = g_protocols[0].name;
    if (seconds)
        g.deadline = lws_now_usecs() + (lws_usec_t)seconds * LWS_US_PER_SEC;
    lws_sul_schedule(g.ctx, 0, &g.sul, on_tick, WP_TICK_US);
    if (!lws_client_connect_via_info(&ci)) {
        fprintf(stderr, "wsprobe: cannot connect to %s\n", url);
        g.rc = 1;
        g.done = 1;
    }
    while (!g.done)
        if (lws_service(g.ctx, 0) < 0)
            break;
    lws_context_destroy(g.ctx);
    free(g.buf);
    return g.rc;
}
