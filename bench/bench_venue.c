/* bench_venue: the venue executor's latency (issue 14), against a loopback
 * venue embedded here (a thread on 127.0.0.1 answering the executor's
 * requests with canned Binance-shaped JSON; signatures are not checked).
 * Both sides stamp CLOCK_MONOTONIC in one process, so their times compare.
 *
 * Per round trip: an ENTRY (market, with a stop) is submitted; the venue
 * fills it at once; the executor posts the stop (an algo order); then an
 * EXIT closes the position and cancels the stop, and the next round starts
 * once the slot is idle. The executor sends a stop at its next 100 ms tick,
 * and the rounds run in step with that tick (each starts a few ms after
 * one), so "stop on the wire" sits near the tick's worst case; entries at
 * random times would see it spread over 0-100 ms. Printed, p50/p99/max over N round trips:
 *   entry on the wire: submit() called -> the entry's first byte read by
 *     the venue (and -> its whole request read);
 *   stop on the wire: the venue wrote the entry's FILLED reply -> the
 *     stop's POST /fapi/v1/algoOrder first byte read (and whole request);
 *   stop confirmed: the venue wrote the stop's reply -> the executor
 *     reports the stop working (context: how long a reply waits on the loop);
 *   entry filled: submit() -> the fill sink called (context: the whole
 *     loopback round trip through curl, JSON and the executor).
 * Beside each, the goal: p99 < 1 ms (issue 14). A figure, never an assertion.
 *
 * usage: bench_venue [--n N] [--rt PRIO] [--mlock]
 *   N round trips (default 2000; about 0.1 s each); --rt: the loop thread
 *   and the venue's as SCHED_FIFO PRIO, --mlock: memory locked, as [gordon]
 *   realtime_priority and lock_memory do for the daemon (needs root or
 *   CAP_SYS_NICE / CAP_IPC_LOCK).
 *   BV_DEBUG=1 in the environment: the venue prints each request. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "base/log.h"
#include "base/rt.h"
#include "config/config.h"
#include "engine/executor.h"
#include "venue/exec.h"

#define MAX_CONNS 16
#define REQ_CAP   16384
#define ROUND_TIMEOUT_S 10.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ the venue */

/* What the venue saw, per round (indexed by its own count of entries and
 * stops). Written by the venue thread, read by the main thread only after
 * the round's counter moved, through the mutex. */
typedef struct venue {
    int lfd;
    int port;
    atomic_int quit;
    pthread_mutex_t mu;
    size_t cap;
    double *entry_first, *entry_full, *entry_replied; /* owned */
    double *stop_first, *stop_full, *stop_replied;    /* owned */
    atomic_size_t n_entry, n_stop, n_exit, n_cancel;
    long next_id;
} venue;

typedef struct conn {
    int fd;
    size_t len;
    double first; /* when this request's first byte was read */
    char buf[REQ_CAP];
} conn;

/* The value of key in a form body or query ("a=1&b=2"), into out. */
static void form_value(const char *form, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    out[0] = '\0';
    for (const char *p = form; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            size_t n = strcspn(p + kl + 1, "& \r\n");
            if (n >= cap)
                n = cap - 1;
            memcpy(out, p + kl + 1, n);
            out[n] = '\0';
            return;
        }
    }
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Answers one whole request; 0, or -1 to drop the connection. */
static int answer(venue *v, conn *c, const char *method, const char *path, const char *body, double full)
{
    char out[2048], resp[2560], qty[64], cid[96];
    const char *query = strchr(path, '?');
    size_t plen = query ? (size_t)(query - path) : strcspn(path, " ");
    const char *form = strcmp(method, "POST") == 0 ? body : (query ? query + 1 : "");
    enum { R_OTHER, R_ENTRY, R_STOP, R_EXIT, R_CANCEL } role = R_OTHER;
#define IS(p) (plen == strlen(p) && !strncmp(path, p, plen))
    if (IS("/fapi/v1/time")) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(out, sizeof out, "{\"serverTime\":%lld}", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    } else if (IS("/fapi/v1/exchangeInfo")) {
        snprintf(out, sizeof out, "%s",
                 "{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\",\"filters\":["
                 "{\"filterType\":\"PRICE_FILTER\",\"tickSize\":\"0.10\"},"
                 "{\"filterType\":\"LOT_SIZE\",\"stepSize\":\"0.001\",\"minQty\":\"0.001\",\"maxQty\":\"1000\"},"
                 "{\"filterType\":\"MARKET_LOT_SIZE\",\"stepSize\":\"0.001\",\"minQty\":\"0.001\","
                 "\"maxQty\":\"1000\"},"
                 "{\"filterType\":\"MIN_NOTIONAL\",\"notional\":\"5\"}]}]}");
    } else if (IS("/fapi/v1/positionSide/dual")) {
        snprintf(out, sizeof out, "{\"dualSidePosition\":false}");
    } else if (IS("/fapi/v2/account")) {
        snprintf(out, sizeof out, "{\"totalMarginBalance\":\"10000\",\"totalWalletBalance\":\"10000\"}");
    } else if (IS("/fapi/v2/positionRisk") || IS("/fapi/v1/openAlgoOrders")) {
        snprintf(out, sizeof out, "[]");
    } else if (IS("/fapi/v1/order") && !strcmp(method, "POST")) {
        form_value(form, "quantity", qty, sizeof qty);
        form_value(form, "newClientOrderId", cid, sizeof cid);
        role = strstr(form, "reduceOnly=true") ? R_EXIT : R_ENTRY;
        snprintf(out, sizeof out,
                 "{\"status\":\"FILLED\",\"executedQty\":\"%s\",\"avgPrice\":\"100.0\",\"orderId\":%ld,"
                 "\"clientOrderId\":\"%s\",\"symbol\":\"BTCUSDT\",\"type\":\"MARKET\"}",
                 qty, ++v->next_id, cid);
    } else if (IS("/fapi/v1/algoOrder") && !strcmp(method, "POST")) {
        form_value(form, "clientAlgoId", cid, sizeof cid);
        role = R_STOP;
        snprintf(out, sizeof out,
                 "{\"algoStatus\":\"NEW\",\"algoId\":%ld,\"clientAlgoId\":\"%s\",\"symbol\":\"BTCUSDT\","
                 "\"orderType\":\"STOP_MARKET\"}",
                 ++v->next_id, cid);
    } else if (IS("/fapi/v1/algoOrder") && !strcmp(method, "GET")) {
        /* A lookup of the working stop: still working. */
        form_value(form, "clientAlgoId", cid, sizeof cid);
        snprintf(out, sizeof out,
                 "{\"algoStatus\":\"NEW\",\"algoId\":%ld,\"clientAlgoId\":\"%s\",\"symbol\":\"BTCUSDT\"}",
                 v->next_id, cid);
    } else if (IS("/fapi/v1/algoOrder") && !strcmp(method, "DELETE")) {
        role = R_CANCEL;
        snprintf(out, sizeof out, "{}");
    } else {
        /* marginType, leverage, and anything else: an empty success. */
        snprintf(out, sizeof out, "{}");
    }
#undef IS
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(out), out);
    if (n < 0 || (size_t)n >= sizeof resp)
        return -1;
    /* Stops are stamped before the reply goes out, so the main thread never
     * sees the round done without its times. */
    if (role == R_STOP) {
        pthread_mutex_lock(&v->mu);
        size_t k = atomic_load(&v->n_stop);
        if (k < v->cap) {
            v->stop_first[k] = c->first;
            v->stop_full[k] = full;
        }
        pthread_mutex_unlock(&v->mu);
        atomic_fetch_add(&v->n_stop, 1);
    }
    /* Counted before the reply goes out: the main thread may handle the
     * reply and look at the count before this thread runs again, and then
     * it would wait for the executor's next tick. */
    if (role == R_EXIT)
        atomic_fetch_add(&v->n_exit, 1);
    else if (role == R_CANCEL)
        atomic_fetch_add(&v->n_cancel, 1);
    if (send_all(c->fd, resp, (size_t)n) != 0)
        return -1;
    double replied = now_s();
    if (role == R_STOP) {
        pthread_mutex_lock(&v->mu);
        size_t k = atomic_load(&v->n_stop) - 1;
        if (k < v->cap)
            v->stop_replied[k] = replied;
        pthread_mutex_unlock(&v->mu);
    }
    if (role == R_ENTRY) {
        pthread_mutex_lock(&v->mu);
        size_t k = atomic_load(&v->n_entry);
        if (k < v->cap) {
            v->entry_first[k] = c->first;
            v->entry_full[k] = full;
            v->entry_replied[k] = replied;
        }
        pthread_mutex_unlock(&v->mu);
        atomic_fetch_add(&v->n_entry, 1);
    }
    return 0;
}

/* Reads what arrived on c and answers every whole request; -1: close it. */
static int serve(venue *v, conn *c)
{
    if (c->len == sizeof c->buf)
        return -1; /* a request larger than the executor ever sends */
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len - 1, 0);
    double t = now_s();
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0)
        return -1;
    if (c->len == 0)
        c->first = t;
    c->len += (size_t)r;
    c->buf[c->len] = '\0';
    for (;;) {
        char *eoh = strstr(c->buf, "\r\n\r\n");
        if (!eoh)
            return 0;
        size_t hlen = (size_t)(eoh - c->buf) + 4, clen = 0;
        /* curl writes the header name as Content-Length. */
        const char *cl = strstr(c->buf, "Content-Length:");
        if (cl && cl < eoh)
            clen = strtoul(cl + 15, NULL, 10);
        if (c->len < hlen + clen)
            return 0;
        char method[8] = "", path[1024] = "", body[REQ_CAP];
        if (sscanf(c->buf, "%7s %1023s", method, path) != 2)
            return -1;
        memcpy(body, c->buf + hlen, clen);
        body[clen] = '\0';
        if (getenv("BV_DEBUG"))
            fprintf(stderr, "venue %.4f: %s %.60s [%.40s]\n", now_s(), method, path, body);
        if (answer(v, c, method, path, body, t) != 0)
            return -1;
        size_t used = hlen + clen;
        memmove(c->buf, c->buf + used, c->len - used + 1);
        c->len -= used;
        if (c->len == 0)
            return 0;
        c->first = t; /* pipelined: it arrived with the one before */
    }
}

static void *venue_main(void *arg)
{
    venue *v = arg;
    static conn conns[MAX_CONNS];
    struct pollfd pf[MAX_CONNS + 1];
    int n = 0;
    while (!atomic_load(&v->quit)) {
        pf[0] = (struct pollfd){v->lfd, POLLIN, 0};
        for (int i = 0; i < n; i++)
            pf[i + 1] = (struct pollfd){conns[i].fd, POLLIN, 0};
        /* A timeout so that quit is seen without a request. */
        int pr = poll(pf, (nfds_t)n + 1, 100);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr <= 0)
            continue;
        for (int i = n - 1; i >= 0; i--) {
            if (!pf[i + 1].revents)
                continue;
            if (serve(v, &conns[i]) != 0) {
                close(conns[i].fd);
                memmove(&conns[i], &conns[n - 1], sizeof conns[i]);
                n--;
            }
        }
        if (pf[0].revents & POLLIN) {
            int fd = accept(v->lfd, NULL, NULL);
            if (fd < 0)
                continue;
            if (n == MAX_CONNS) {
                close(fd);
                continue;
            }
            conns[n].fd = fd;
            conns[n].len = 0;
            n++;
        }
    }
    for (int i = 0; i < n; i++)
        close(conns[i].fd);
    return NULL;
}

static int venue_listen(venue *v)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    v->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (v->lfd < 0)
        return -1;
    if (bind(v->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(v->lfd, 16) != 0 ||
        getsockname(v->lfd, (struct sockaddr *)&a, &al) != 0) {
        close(v->lfd);
        return -1;
    }
    v->port = ntohs(a.sin_port);
    return 0;
}

/* ------------------------------------------------------------ the executor's side */

typedef struct bench {
    int ready_rc;   /* -1 until hooks.ready */
    int incidents;
    size_t stops_working; /* 's' working events */
    size_t entry_fills;
    double fill_at;    /* the last entry fill reached the sink */
    double working_at; /* the last stop was reported working */
    int exit_rc;       /* the EXIT submitted from on_event */
    gd_err exit_err;
} bench;

static gd_executor g_ex;

static void on_ready(void *arg, int rc, const gd_err *err)
{
    bench *b = arg;
    b->ready_rc = rc;
    if (rc)
        fprintf(stderr, "bench_venue: start-up failed: %s\n", err ? err->msg : "?");
}

static void on_incident(void *arg, uint32_t owner, const char *why)
{
    bench *b = arg;
    (void)owner;
    b->incidents++;
    fprintf(stderr, "bench_venue: incident: %s\n", why);
}

static void on_event(void *arg, uint32_t owner, uint32_t symbol, uint64_t intent, char kind, const char *status,
                     const char *detail)
{
    bench *b = arg;
    (void)owner, (void)symbol, (void)detail;
    if (kind == 's' && !strcmp(status, "working")) {
        b->working_at = now_s();
        b->stops_working++;
        /* The EXIT goes from here, inside the stop's reply, not from the
         * main loop: an EXIT submitted while the executor's periodic stop
         * lookup is in flight is lost (its reply clears the slot's pending
         * close), and the next tick starts that lookup as soon as the stop
         * works. */
        gd_order xo = {.intent_id = intent + 1, .kind = GD_ORDER_EXIT, .ref_price = 100.0};
        b->exit_rc = g_ex.ops->submit(g_ex.self, &xo, &b->exit_err);
    }
}

static void on_fill(void *host, uint32_t owner, gordon_fill *f, double stop, double tp)
{
    bench *b = host;
    (void)owner, (void)stop, (void)tp;
    if (f->reason == GORDON_FILL_ENTRY) {
        b->fill_at = now_s();
        b->entry_fills++;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* goal: the figure has issue 14's goal; otherwise it is context. */
static void report(const char *what, double *v, size_t n, int goal)
{
    qsort(v, n, sizeof *v, cmp_double);
    double p50 = v[(size_t)((double)(n - 1) * 0.50)], p99 = v[(size_t)((double)(n - 1) * 0.99)], mx = v[n - 1];
    printf("%-28s p50 %7.3f ms  p99 %7.3f ms  max %8.3f ms", what, p50 * 1e3, p99 * 1e3, mx * 1e3);
    if (goal)
        printf("   (goal p99 < 1 ms (issue 14): %s)", p99 < 1e-3 ? "met" : "NOT met");
    printf("\n");
}

/* Runs the loop until done(b, v) or the round's time is up; 0 or -1. */
static int run_until(uv_loop_t *loop, bench *b, venue *v, int (*done)(const bench *, const venue *, size_t),
                     size_t round)
{
    double deadline = now_s() + ROUND_TIMEOUT_S;
    while (!done(b, v, round)) {
        if (b->incidents || now_s() > deadline)
            return -1;
        /* The executor's tick (100 ms) bounds how long this blocks. */
        uv_run(loop, UV_RUN_ONCE);
    }
    return 0;
}

static int is_ready(const bench *b, const venue *v, size_t r)
{
    (void)v, (void)r;
    return b->ready_rc >= 0;
}

static int stop_working(const bench *b, const venue *v, size_t r)
{
    (void)v;
    return b->stops_working > r && b->entry_fills > r;
}


static int slot_idle(const bench *b, const venue *v, size_t r)
{
    (void)b;
    gd_slot_orders so;
    g_ex.ops->slot(g_ex.self, 0, 0, &so);
    return !so.entry_pending && !so.exit_pending && atomic_load(&v->n_cancel) > r;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    return ok && chmod(path, mode) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    size_t n = 2000;
    int rt = 0, lock = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc) {
            n = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--rt") && i + 1 < argc) {
            rt = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--mlock")) {
            lock = 1;
        } else {
            fprintf(stderr, "usage: bench_venue [--n N] [--rt PRIO] [--mlock]\n");
            return 2;
        }
    }
    if (n == 0) {
        fprintf(stderr, "bench_venue: --n must be at least 1\n");
        return 2;
    }
    /* The executor logs each closed position's stop as a warning: noise here. */
    gd_log_init(stderr, GD_LOG_ERROR);

    static venue v;
    v.cap = n;
    if (pthread_mutex_init(&v.mu, NULL) != 0)
        return 1;
    v.entry_first = calloc(n, sizeof(double));
    v.entry_full = calloc(n, sizeof(double));
    v.entry_replied = calloc(n, sizeof(double));
    v.stop_first = calloc(n, sizeof(double));
    v.stop_full = calloc(n, sizeof(double));
    v.stop_replied = calloc(n, sizeof(double));
    double *submit_at = calloc(n, sizeof(double)), *filled = calloc(n, sizeof(double));
    double *working_at = calloc(n, sizeof(double));
    double *s1 = calloc(n, sizeof(double)), *s2 = calloc(n, sizeof(double));
    if (!v.entry_first || !v.entry_full || !v.entry_replied || !v.stop_first || !v.stop_full || !v.stop_replied ||
        !submit_at || !filled || !working_at || !s1 || !s2) {
        fprintf(stderr, "bench_venue: out of memory\n");
        return 1;
    }
    if (venue_listen(&v) != 0) {
        perror("bench_venue: listen on 127.0.0.1");
        return 1;
    }
    /* Before the venue's thread starts: it inherits the policy. */
    gd_err rterr;
    if ((rt || lock) && gd_rt_apply(rt, lock, &rterr) != 0) {
        fprintf(stderr, "bench_venue: %s\n", rterr.msg);
        return 1;
    }
    printf("bench_venue: %zu round trips; loop and venue threads %s%s\n", n, rt ? "SCHED_FIFO" : "normal scheduling",
           lock ? ", memory locked" : "");
    pthread_t th;
    if (pthread_create(&th, NULL, venue_main, &v) != 0) {
        fprintf(stderr, "bench_venue: pthread_create failed\n");
        return 1;
    }

    /* A configuration as the daemon would load it, pointed at the venue;
     * poll_ms at its maximum so that lookups of working stops stay out of
     * the way. */
    char dir[] = "/tmp/bench_venue.XXXXXX", ini[256], secret[256], state[256], text[1024];
    if (!mkdtemp(dir)) {
        perror("bench_venue: mkdtemp");
        return 1;
    }
    snprintf(ini, sizeof ini, "%s/bench.ini", dir);
    snprintf(secret, sizeof secret, "%s/secret", dir);
    snprintf(state, sizeof state, "%s/state", dir);
    snprintf(text, sizeof text,
             "[gordon]\nmode = testnet\nstate_dir = %s\n[executor]\nkind = venue\n"
             "[venue]\nprofile = testnet\nrest_url = http://127.0.0.1:%d\nws_url = ws://127.0.0.1:9\napi_key = k\nkey_file = %s\n"
             "poll_ms = 60000\n",
             state, v.port, secret);
    int rc = 1;
    gd_config cfg;
    gd_err err;
    memset(&cfg, 0, sizeof cfg);
    int cfg_loaded = 0;
    if (write_file(secret, "bench-secret", 0600) != 0 || write_file(ini, text, 0644) != 0) {
        fprintf(stderr, "bench_venue: cannot write %s\n", dir);
        goto cleanup;
    }
    if (gd_config_load(ini, NULL, &cfg, &err) != 0) {
        fprintf(stderr, "bench_venue: config: %s\n", err.msg);
        goto cleanup;
    }
    cfg_loaded = 1;

    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        fprintf(stderr, "bench_venue: uv_loop_init failed\n");
        goto cleanup;
    }
    bench b = {.ready_rc = -1};
    const char *syms[] = {"BTCUSDT"};
    gd_vexec_opts o = {
        .loop = &loop,
        .cfg = &cfg,
        .symbols = syms,
        .n_symbols = 1,
        .n_owners = 1,
        .sink = {&b, on_fill},
        .hooks = {&b, on_ready, on_incident, on_event},
    };
    gd_vexec *x = NULL;
    if (gd_vexec_new(&o, &x, &err) != 0) {
        fprintf(stderr, "bench_venue: %s\n", err.msg);
        goto loop_done;
    }
    g_ex = gd_vexec_executor(x);
    if (gd_vexec_start(x, &err) != 0) {
        fprintf(stderr, "bench_venue: %s\n", err.msg);
        goto exec_done;
    }
    if (run_until(&loop, &b, &v, is_ready, 0) != 0 || b.ready_rc != 0) {
        fprintf(stderr, "bench_venue: the executor did not become ready\n");
        goto exec_done;
    }

    size_t done = 0;
    for (size_t r = 0; r < n; r++) {
        gd_order e = {.intent_id = 2 * r + 1, .kind = GD_ORDER_ENTRY, .side = 1, .qty = 0.1, .stop = 90.0,
                      .ref_price = 100.0, .time_ms = 0};
        submit_at[r] = now_s();
        if (g_ex.ops->submit(g_ex.self, &e, &err) != 0) {
            fprintf(stderr, "bench_venue: entry %zu: %s\n", r, err.msg);
            break;
        }
        if (run_until(&loop, &b, &v, stop_working, r) != 0) {
            fprintf(stderr, "bench_venue: round %zu: no working stop in %.0f s\n", r, ROUND_TIMEOUT_S);
            break;
        }
        filled[r] = b.fill_at - submit_at[r];
        working_at[r] = b.working_at;
        if (b.exit_rc != 0) {
            fprintf(stderr, "bench_venue: exit %zu: %s\n", r, b.exit_err.msg);
            break;
        }
        if (run_until(&loop, &b, &v, slot_idle, r) != 0) {
            gd_slot_orders so;
            g_ex.ops->slot(g_ex.self, 0, 0, &so);
            fprintf(stderr,
                    "bench_venue: round %zu: the slot did not go idle in %.0f s (entry %d exit %d; the venue saw "
                    "%zu exits, %zu cancels)\n",
                    r, ROUND_TIMEOUT_S, so.entry_pending, so.exit_pending, atomic_load(&v.n_exit),
                    atomic_load(&v.n_cancel));
            break;
        }
        /* The cancel's reply is on its way back: let the loop take it, so
         * that it is not handled inside the next round's measurement. */
        for (double until = now_s() + 0.001; now_s() < until;)
            uv_run(&loop, UV_RUN_NOWAIT);
        done++;
    }
    if (done == n) {
        pthread_mutex_lock(&v.mu);
        printf("bench_venue: the venue executor against a loopback venue in this process (issue 14)\n"
               "  %zu round trips: ENTRY submitted -> FILLED at once -> stop posted -> EXIT -> stop cancelled\n"
               "  entry on the wire: submit() called -> the venue reads the request's first byte [whole request]\n"
               "  stop on the wire: the venue wrote the entry's FILLED reply -> reads the stop's\n"
               "    POST /fapi/v1/algoOrder first byte [whole request]\n"
               "  stop confirmed: the venue wrote the stop's reply -> the executor reports it working\n"
               "  entry filled: submit() -> the fill sink (the whole loopback round trip)\n",
               n);
        for (size_t r = 0; r < n; r++) {
            s1[r] = v.entry_first[r] - submit_at[r];
            s2[r] = v.entry_full[r] - submit_at[r];
        }
        report("entry on the wire", s1, n, 1);
        report("entry on the wire [whole]", s2, n, 0);
        for (size_t r = 0; r < n; r++) {
            s1[r] = v.stop_first[r] - v.entry_replied[r];
            s2[r] = v.stop_full[r] - v.entry_replied[r];
        }
        report("stop on the wire", s1, n, 1);
        report("stop on the wire [whole]", s2, n, 0);
        for (size_t r = 0; r < n; r++)
            s1[r] = working_at[r] - v.stop_replied[r];
        report("stop confirmed", s1, n, 0);
        report("entry filled", filled, n, 0);
        pthread_mutex_unlock(&v.mu);
        rc = 0;
    }

exec_done:
    gd_vexec_stop(x);
    /* The executor's handles close on the loop; then its memory goes. */
    uv_run(&loop, UV_RUN_DEFAULT);
    g_ex.ops->destroy(x);
loop_done:
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        fprintf(stderr, "bench_venue: the loop still had handles at exit\n");
cleanup:
    atomic_store(&v.quit, 1);
    if (pthread_join(th, NULL) != 0)
        fprintf(stderr, "bench_venue: pthread_join failed\n");
    close(v.lfd);
    if (cfg_loaded)
        gd_config_free(&cfg);
    if (unlink(ini) != 0 || unlink(secret) != 0)
        fprintf(stderr, "bench_venue: leaving %s\n", dir);
    /* state_dir may have been created by the loader; remove it if so. */
    if (rmdir(state) != 0 && errno != ENOENT)
        fprintf(stderr, "bench_venue: leaving %s\n", state);
    if (rmdir(dir) != 0)
        fprintf(stderr, "bench_venue: leaving %s\n", dir);
    free(v.entry_first);
    free(v.entry_full);
    free(v.entry_replied);
    free(v.stop_first);
    free(v.stop_full);
    free(v.stop_replied);
    free(working_at);
    free(submit_at);
    free(filled);
    free(s1);
    free(s2);
    pthread_mutex_destroy(&v.mu);
    return rc;
}
