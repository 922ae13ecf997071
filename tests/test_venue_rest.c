/* venue/rest against a Binance-shaped stub on the loopback (venue_stub.py):
 * the server-time offset, a signed order the stub verifies, and what each
 * kind of reply means (rejected, unknown, rate limited, timed out). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "venue/rest.h"

static pid_t stub;
static char base[64];

/* The stub listens on a port picked here; it is ready once a connect
 * succeeds (its stdout is not ours to read: python may be a shim). */
static int start_stub(void **state)
{
    (void)state;
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &al) != 0)
        return -1;
    int port = ntohs(a.sin_port);
    close(fd);
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    stub = fork();
    if (stub == 0) {
        const char *src = getenv("GD_SRC");
        char path[512];
        snprintf(path, sizeof path, "%s/tests/venue_stub.py", src ? src : ".");
        int nul = open("/dev/null", O_WRONLY);
        if (nul >= 0)
            dup2(nul, 1);
        execlp("python3", "python3", path, "60", "-", ports, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0)
            close(fd);
        if (ok) {
            snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
            return 0;
        }
        usleep(50000);
    }
    return -1;
}

static int stop_stub(void **state)
{
    (void)state;
    if (stub > 0) {
        kill(stub, SIGTERM);
        waitpid(stub, NULL, 0);
    }
    return 0;
}

typedef struct got {
    int done;
    gd_rest_reply r;
    char body[512];
    int rc;
    int64_t offset;
} got;

static void on_reply(void *arg, const gd_rest_reply *r)
{
    got *g = arg;
    g->r = *r;
    snprintf(g->body, sizeof g->body, "%.*s", (int)r->body_len, r->body);
    g->r.body = g->body;
    g->done = 1;
}

static void on_clock(void *arg, int rc, int64_t offset)
{
    got *g = arg;
    g->rc = rc;
    g->offset = offset;
    g->done = 1;
}

static void run_until(uv_loop_t *loop, const got *g)
{
    for (int i = 0; i < 100000 && !g->done; i++)
        uv_run(loop, UV_RUN_ONCE);
}

static void test_rest(void **state)
{
    (void)state;
    uv_loop_t loop;
    gd_err err;
    gd_signer *s;
    gd_rest *r;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(gd_signer_hmac("test-secret", 11, &s, &err), 0);
    gd_rest_opts o = {&loop, base, "test-key", s, 1000, 5000};
    assert_int_equal(gd_rest_new(&o, &r, &err), 0);

    /* A signed order with our own clock: the stub is 8 s ahead, -1021. */
    got g = {0};
    assert_int_equal(gd_rest_call(r, "POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01"
                                  "&newClientOrderId=g7-e", 1, on_reply, &g, &err), 0);
    run_until(&loop, &g);
    assert_int_equal(g.r.outcome, GD_REST_REJECTED);
    assert_int_equal(g.r.code, -1021);
    assert_int_equal(g.r.used_weight_1m, 7);

    /* The offset: median of 5 round trips, about +8000 ms. */
    memset(&g, 0, sizeof g);
    assert_int_equal(gd_rest_sync_clock(r, 5, on_clock, &g, &err), 0);
    run_until(&loop, &g);
    assert_int_equal(g.rc, 0);
    assert_true(g.offset > 7900 && g.offset < 8100);
    assert_int_equal(gd_rest_offset(r), g.offset);

    /* Now the stub verifies signature and timestamp: accepted. */
    memset(&g, 0, sizeof g);
    assert_int_equal(gd_rest_call(r, "POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01"
                                  "&newClientOrderId=g7-e", 1, on_reply, &g, &err), 0);
    run_until(&loop, &g);
    assert_int_equal(g.r.outcome, GD_REST_OK);
    assert_int_equal(g.r.status, 200);
    assert_non_null(strstr(g.body, "\"g7-e\""));

    /* 503: unknown, not rejected (reconcile before any retry). */
    memset(&g, 0, sizeof g);
    assert_int_equal(gd_rest_call(r, "GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=g7-e", 1,
                                  on_reply, &g, &err), 0);
    run_until(&loop, &g);
    assert_int_equal(g.r.outcome, GD_REST_UNKNOWN);
    assert_int_equal(g.r.status, 503);

    /* 429 with Retry-After. */
    memset(&g, 0, sizeof g);
    assert_int_equal(gd_rest_call(r, "GET", "/limited", "", 0, on_reply, &g, &err), 0);
    run_until(&loop, &g);
    assert_int_equal(g.r.outcome, GD_REST_LIMITED);
    assert_int_equal(g.r.retry_after_s, 7);

    /* No answer within the timeout: unknown, with the transport's reason. */
    memset(&g, 0, sizeof g);
    assert_int_equal(gd_rest_call(r, "GET", "/slow", "", 0, on_reply, &g, &err), 0);
    run_until(&loop, &g);
    assert_int_equal(g.r.outcome, GD_REST_UNKNOWN);
    assert_int_equal(g.r.status, 0);
    assert_true(g.r.seconds < 2.5);

    /* A wrong secret: -1022, and the secret is in no message. */
    gd_signer *bad;
    gd_rest *r2;
    assert_int_equal(gd_signer_hmac("wrong", 5, &bad, &err), 0);
    gd_rest_opts o2 = {&loop, base, "test-key", bad, 1000, 5000};
    assert_int_equal(gd_rest_new(&o2, &r2, &err), 0);
    gd_rest_set_offset(r2, gd_rest_offset(r));
    memset(&g, 0, sizeof g);
    assert_int_equal(gd_rest_call(r2, "POST", "/fapi/v1/order", "symbol=BTCUSDT", 1, on_reply, &g, &err), 0);
    run_until(&loop, &g);
    assert_int_equal(g.r.code, -1022);
    assert_null(strstr(g.r.msg, "wrong"));

    /* A venue that refuses connections: the clock cannot be measured, and
     * the failure says why (the transport's error, not only a count). */
    int sk = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    assert_true(sk >= 0);
    assert_int_equal(bind(sk, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(sk, (struct sockaddr *)&sa, &sl), 0);
    close(sk); /* nothing listens there now */
    char closed[64];
    snprintf(closed, sizeof closed, "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    gd_rest *r4;
    gd_rest_opts o4 = {&loop, closed, "k", s, 1000, 5000};
    assert_int_equal(gd_rest_new(&o4, &r4, &err), 0);
    assert_string_equal(gd_rest_clock_why(r4), "no sample failed");
    memset(&g, 0, sizeof g);
    assert_int_equal(gd_rest_sync_clock(r4, 3, on_clock, &g, &err), 0);
    run_until(&loop, &g);
    assert_int_equal(g.rc, GD_EIO);
    assert_non_null(strstr(gd_rest_clock_why(r4), "connect"));
    gd_rest_close(r4);

    /* Plain http only to the loopback. */
    gd_rest *r3;
    gd_rest_opts o3 = {&loop, "http://example.com", "k", s, 0, 0};
    assert_int_equal(gd_rest_new(&o3, &r3, &err), GD_EINVAL);

    gd_rest_close(r);
    gd_rest_close(r2);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    gd_signer_free(s);
    gd_signer_free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rest),
    };
    return cmocka_run_group_tests(tests, start_stub, stop_stub);
}
