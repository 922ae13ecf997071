#include "net/curluv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

/* What a curl callback returns to fail the transfer that called it. */
#define CURL_CB_FAIL (-1)

typedef struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    gd_curluv *c;
    struct sock *prev, *next;
} sock;

/* What the driver keeps per transfer (CURLOPT_PRIVATE). */
typedef struct xfer {
    CURL *easy;
    gd_curluv_done done;
    void *arg;
    struct xfer *prev, *next;
} xfer;

struct gd_curluv {
    uv_loop_t *loop;
    char name[24];
    CURLM *multi;
    uv_timer_t timer;
    sock *socks;
    xfer *xfers;
    unsigned active;
    unsigned open_handles;
    int stopping;
    void (*closed)(void *arg);
    void *closed_arg;
};

int gd_curl_global(gd_err *err)
{
    static int ready;
    if (ready)
        return 0;
    CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (cc != CURLE_OK)
        return gd_err_set(err, GD_EIO, "curl_global_init: %s", curl_easy_strerror(cc));
    ready = 1;
    return 0;
}

static void handle_closed(gd_curluv *c)
{
    if (--c->open_handles > 0 || !c->stopping)
        return;
    void (*cb)(void *) = c->closed;
    void *arg = c->closed_arg;
    if (c->multi)
        curl_multi_cleanup(c->multi);
    free(c);
    if (cb)
        cb(arg);
}

static void on_timer_closed(uv_handle_t *h) { handle_closed(h->data); }

static void on_sock_closed(uv_handle_t *h)
{
    sock *sk = h->data;
    gd_curluv *c = sk->c;
    free(sk);
    handle_closed(c);
}

static void sock_close(sock *sk)
{
    gd_curluv *c = sk->c;
    if (sk->prev)
        sk->prev->next = sk->next;
    else
        c->socks = sk->next;
    if (sk->next)
        sk->next->prev = sk->prev;
    (void)uv_poll_stop(&sk->poll); /* always 0 */
    uv_close((uv_handle_t *)&sk->poll, on_sock_closed);
}

static void xfer_unlink(gd_curluv *c, xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        c->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
}

static void check_multi_info(gd_curluv *c)
{
    CURLMsg *m;
    int left;
    while (!c->stopping && (m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        /* m is invalid after curl_multi_remove_handle: copy what we need. */
        CURL *easy = m->easy_handle;
        CURLcode cc = m->data.result;
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        xfer *x = (xfer *)(void *)priv;
        curl_multi_remove_handle(c->multi, easy);
        xfer_unlink(c, x);
        c->active--;
        gd_curluv_done done = x->done;
        void *arg = x->arg;
        free(x);
        /* The callback may add transfers, or close the driver. */
        done(arg, easy, cc);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock *sk = h->data;
    gd_curluv *c = sk->c;
    int flags = 0, running;
    if (c->stopping)
        return;
    if (status < 0)
        flags = CURL_CSELECT_ERR; /* let curl find out what broke */
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    /* sk may be closed by curl's socket callback inside this call; it stays
     * allocated until its close callback, and is not touched again. */
    CURLMcode mc = curl_multi_socket_action(c->multi, sk->fd, flags, &running);
    if (mc != CURLM_OK)
        gd_log(GD_LOG_WARN, c->name, NULL, "curl_multi_socket_action: %s", curl_multi_strerror(mc));
    check_multi_info(c);
}

static void on_curl_timeout(uv_timer_t *t)
{
    gd_curluv *c = t->data;
    int running;
    if (c->stopping)
        return;
    CURLMcode mc = curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    if (mc != CURLM_OK)
        gd_log(GD_LOG_WARN, c->name, NULL, "curl_multi_socket_action: %s", curl_multi_strerror(mc));
    check_multi_info(c);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    gd_curluv *c = userp;
    (void)multi;
    if (timeout_ms < 0 || c->stopping) {
        (void)uv_timer_stop(&c->timer); /* always 0 */
        return 0;
    }
    /* 0 means "call socket_action now": never from inside curl's callback,
     * so from a 0 ms timer, which libuv runs on this loop turn's timer pass
     * or the next (multi-uv.c's 1 ms cost every request a millisecond). */
    int rc = uv_timer_start(&c->timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
    if (rc < 0) {
        gd_log(GD_LOG_ERROR, c->name, NULL, "curl timer: uv_timer_start: %s", uv_strerror(rc));
        return CURL_CB_FAIL;
    }
    return 0;
}

static sock *sock_open(gd_curluv *c, curl_socket_t s)
{
    sock *sk = calloc(1, sizeof *sk);
    if (!sk) {
        gd_log(GD_LOG_ERROR, c->name, NULL, "out of memory watching a socket");
        return NULL;
    }
    int rc = uv_poll_init_socket(c->loop, &sk->poll, s);
    if (rc < 0) {
        gd_log(GD_LOG_ERROR, c->name, NULL, "uv_poll_init_socket: %s", uv_strerror(rc));
        free(sk);
        return NULL;
    }
    sk->fd = s;
    sk->c = c;
    sk->poll.data = sk;
    sk->next = c->socks;
    if (c->socks)
        c->socks->prev = sk;
    c->socks = sk;
    c->open_handles++;
    curl_multi_assign(c->multi, s, sk);
    return sk;
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int action, void *userp, void *socketp)
{
    gd_curluv *c = userp;
    sock *sk = socketp;
    int events = 0;
    (void)easy;
    if (action == CURL_POLL_REMOVE) {
        if (sk) {
            /* During teardown curl is dropping its socket hash anyway. */
            if (!c->stopping)
                curl_multi_assign(c->multi, s, NULL);
            sock_close(sk);
        }
        return 0;
    }
    if ((action != CURL_POLL_IN && action != CURL_POLL_OUT && action != CURL_POLL_INOUT) || c->stopping)
        return 0;
    if (!sk && !(sk = sock_open(c, s)))
        return CURL_CB_FAIL;
    if (action != CURL_POLL_IN)
        events |= UV_WRITABLE;
    if (action != CURL_POLL_OUT)
        events |= UV_READABLE;
    int rc = uv_poll_start(&sk->poll, events, on_poll);
    if (rc < 0) {
        gd_log(GD_LOG_ERROR, c->name, NULL, "uv_poll_start: %s", uv_strerror(rc));
        return CURL_CB_FAIL;
    }
    return 0;
}

int gd_curluv_new(uv_loop_t *loop, const char *name, gd_curluv **out, gd_err *err)
{
    *out = NULL;
    int rc = gd_curl_global(err);
    if (rc)
        return rc;
    gd_curluv *c = calloc(1, sizeof *c);
    if (!c)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", name);
    c->loop = loop;
    snprintf(c->name, sizeof c->name, "%s", name);
    if (!(c->multi = curl_multi_init())) {
        free(c);
        return gd_err_set(err, GD_ENOMEM, "%s: curl_multi_init failed", name);
    }
    if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK) {
        curl_multi_cleanup(c->multi);
        free(c);
        return gd_err_set(err, GD_EIO, "%s: curl_multi_setopt failed", name);
    }
    if ((rc = uv_timer_init(loop, &c->timer)) != 0) {
        curl_multi_cleanup(c->multi);
        free(c);
        return gd_err_set(err, GD_EIO, "%s: uv_timer_init: %s", name, uv_strerror(rc));
    }
    c->timer.data = c;
    c->open_handles = 1;
    *out = c;
    return 0;
}

int gd_curluv_add(gd_curluv *c, CURL *easy, gd_curluv_done done, void *arg, gd_err *err)
{
    if (c->stopping)
        return gd_err_set(err, GD_ESTATE, "%s: closing", c->name);
    xfer *x = calloc(1, sizeof *x);
    if (!x)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", c->name);
    x->easy = easy;
    x->done = done;
    x->arg = arg;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)x);
    CURLMcode mc = curl_multi_add_handle(c->multi, easy);
    if (mc != CURLM_OK) {
        free(x);
        return gd_err_set(err, GD_EIO, "%s: curl_multi_add_handle: %s", c->name, curl_multi_strerror(mc));
    }
    x->next = c->xfers;
    if (c->xfers)
        c->xfers->prev = x;
    c->xfers = x;
    c->active++;
    return 0;
}

void gd_curluv_cancel(gd_curluv *c, CURL *easy)
{
    for (xfer *x = c->xfers; x; x = x->next)
        if (x->easy == easy) {
            curl_multi_remove_handle(c->multi, easy);
            xfer_unlink(c, x);
            c->active--;
            free(x);
            return;
        }
}

unsigned gd_curluv_active(const gd_curluv *c) { return c->active; }

void gd_curluv_close(gd_curluv *c, void (*closed)(void *arg), void *arg)
{
    if (!c || c->stopping)
        return;
    c->stopping = 1;
    c->closed = closed;
    c->closed_arg = arg;
    while (c->xfers) {
        xfer *x = c->xfers;
        curl_multi_remove_handle(c->multi, x->easy);
        xfer_unlink(c, x);
        free(x);
    }
    c->active = 0;
    while (c->socks)
        sock_close(c->socks);
    (void)uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}
