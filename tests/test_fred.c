/* FRED client: the parser on fixtures and hostile input, then the libcurl
 * multi + libuv client against tests/fred_server.py on loopback. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "daemon/fred.h"
#include "base/log.h"

extern char **environ;

#define KEY_GOOD "f00dfeedf00dfeedf00dfeedf00dfeed"
#define KEY_BAD "deadbeefdeadbeefdeadbeefdeadbeef"
#define KEY_ODD "sec ret&series_id=X%"
#define KEY_ODD_ESC "sec%20ret%26series_id%3DX%25"

/* ---- parser ------------------------------------------------------------ */

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    assert_true(n > 0);
    rewind(fp);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static void test_parse_vixcls(void **state)
{
    (void)state;
    size_t len, n;
    gd_fred_obs *obs;
    gd_err err = {{0}};
    char *json = read_file("tests/fixtures/fred/VIXCLS.json", &len);
    assert_int_equal(gd_fred_parse(json, len, &obs, &n, &err), 0);
    /* 1565 business days, 55 of them "." (see the fixture README). */
    assert_int_equal(n, 1510);
    assert_int_equal(obs[0].t_ms, 820540800000LL); /* 1996-01-02 */
    assert_float_equal(obs[0].value, 17.05, 1e-9);
    assert_int_equal(obs[n - 1].t_ms, 1009756800000LL); /* 2001-12-31 */
    assert_float_equal(obs[n - 1].value, 24.29, 1e-9);
    /* The market was shut 2001-09-11..14: those "." rows are skipped. */
    size_t i = 0;
    while (i < n && obs[i].t_ms != 1000080000000LL) /* 2001-09-10 */
        i++;
    assert_true(i + 1 < n);
    assert_int_equal(obs[i + 1].t_ms, 1000684800000LL); /* 2001-09-17 */
    assert_float_equal(obs[i + 1].value, 41.76, 1e-9);
    for (size_t k = 1; k < n; k++) {
        assert_true(obs[k].t_ms > obs[k - 1].t_ms);
        assert_int_equal(obs[k].t_ms % 86400000LL, 0);
    }
    free(obs);
    free(json);
}

static void test_parse_dgs10(void **state)
{
    (void)state;
    size_t len, n;
    gd_fred_obs *obs;
    gd_err err = {{0}};
    char *json = read_file("tests/fixtures/fred/DGS10.json", &len);
    assert_int_equal(gd_fred_parse(json, len, &obs, &n, &err), 0);
    assert_int_equal(n, 10); /* 2001-01-01 and 2001-01-15 are "." */
    assert_int_equal(obs[0].t_ms, 978393600000LL);
    assert_float_equal(obs[0].value, 5.11, 1e-9);
    assert_int_equal(obs[8].t_ms, 978393600000LL + 10 * 86400000LL); /* 2001-01-12 */
    assert_int_equal(obs[9].t_ms, 979603200000LL);                  /* 2001-01-16 */
    assert_float_equal(obs[9].value, 5.21, 1e-9);
    free(obs);
    free(json);
}

static int64_t parse_one_date(const char *date)
{
    char json[160];
    gd_fred_obs *obs;
    size_t n;
    gd_err err = {{0}};
    snprintf(json, sizeof json, "{\"observations\":[{\"date\":\"%s\",\"value\":\"1.5\"}]}", date);
    assert_int_equal(gd_fred_parse(json, strlen(json), &obs, &n, &err), 0);
    assert_int_equal(n, 1);
    int64_t t = obs[0].t_ms;
    free(obs);
    return t;
}

static void test_parse_dates(void **state)
{
    (void)state;
    assert_int_equal(parse_one_date("1970-01-01"), 0);
    assert_int_equal(parse_one_date("1969-12-31"), -86400000LL);
    assert_int_equal(parse_one_date("2000-02-29"), 951782400000LL);
    assert_int_equal(parse_one_date("2024-02-29"), 1709164800000LL);
    assert_int_equal(parse_one_date("1600-03-01"), -11670912000000LL);
    assert_int_equal(parse_one_date("9999-12-31"), 253402214400000LL);
}

/* Expects failure with a message containing want. */
static void parse_fails(const char *json, const char *want)
{
    gd_fred_obs *obs = (gd_fred_obs *)1;
    size_t n = 99;
    gd_err err = {{0}};
    int rc = gd_fred_parse(json, strlen(json), &obs, &n, &err);
    if (rc >= 0 || !strstr(err.msg, want))
        print_error("input %s\n  rc %d, message '%s', wanted '%s'\n", json, rc, err.msg, want);
    assert_true(rc < 0);
    assert_non_null(strstr(err.msg, want));
    assert_null(obs);
    assert_int_equal(n, 0);
}

static void test_parse_errors(void **state)
{
    (void)state;
    parse_fails("{\"observations\":[{\"date\":\"2001-01-02\",\"value\":\"1\"},"
                "{\"date\":\"2001-01-03\",\"value\":\"2\"},{\"date\":\"2001-01-04\",\"value\":\"3\"},"
                "{\"date\":\"2001-01-05\",\"value\":\"abc\"}]}",
                "observations[3].value: not a number 'abc'");
    parse_fails("{\"observations\":[{\"date\":\"2001-01-03\",\"value\":\"1\"},"
                "{\"date\":\"2001-01-04\",\"value\":\"2\"},{\"date\":\"2001-01-02\",\"value\":\"3\"}]}",
                "observations[2].date: 2001-01-02 is not after 2001-01-04");
    /* Duplicates and a "." out of order are order errors too. */
    parse_fails("{\"observations\":[{\"date\":\"2001-01-03\",\"value\":\"1\"},"
                "{\"date\":\"2001-01-03\",\"value\":\"2\"}]}",
                "observations[1].date");
    parse_fails("{\"observations\":[{\"date\":\"2001-01-03\",\"value\":\"1\"},"
                "{\"date\":\"2001-01-01\",\"value\":\".\"}]}",
                "observations[1].date");
    parse_fails("{\"observations\":[{\"date\":\"1999-02-29\",\"value\":\"1\"}]}",
                "observations[0].date: not a valid YYYY-MM-DD date '1999-02-29'");
    parse_fails("{\"observations\":[{\"date\":\"2001-1-02\",\"value\":\"1\"}]}", "observations[0].date");
    parse_fails("{\"observations\":[{\"value\":\"1\"}]}", "observations[0].date: missing");
    parse_fails("{\"observations\":[{\"date\":\"2001-01-02\"}]}", "observations[0].value: missing");
    parse_fails("{\"observations\":[{\"date\":\"2001-01-02\",\"value\":1.5}]}",
                "observations[0].value: not a string");
    parse_fails("{\"observations\":[{\"date\":\"2001-01-02\",\"value\":\"nan\"}]}", "not a number 'nan'");
    parse_fails("{\"observations\":[{\"date\":\"2001-01-02\",\"value\":\"0x10\"}]}", "not a number '0x10'");
    parse_fails("{\"observations\":[{\"date\":\"2001-01-02\",\"value\":\"1e999\"}]}", "not a number '1e999'");
    parse_fails("{\"observations\":[{\"date\":\"2001-01-02\",\"value\":\"\"}]}", "not a number ''");
    parse_fails("{\"observations\":[{\"date\":\"2001-01-02\",\"value\":\" 1\"}]}", "not a number ' 1'");
    parse_fails("{\"observations\":[7]}", "observations[0]: not an object");
    parse_fails("{\"count\":0}", "observations: missing");
    parse_fails("{\"observations\":{}}", "observations: not an array");
    parse_fails("[1,2]", "top level: not a JSON object");
    parse_fails("{\"observations\":[", "invalid JSON");
    parse_fails("", "invalid JSON");
}

static void test_parse_edge(void **state)
{
    (void)state;
    gd_fred_obs *obs;
    size_t n;
    gd_err err = {{0}};
    const char *empty = "{\"observations\":[]}";
    assert_int_equal(gd_fred_parse(empty, strlen(empty), &obs, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(obs);
    const char *dots = "{\"observations\":[{\"date\":\"2001-01-01\",\"value\":\".\"}]}";
    assert_int_equal(gd_fred_parse(dots, strlen(dots), &obs, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(obs);
    const char *neg = "{\"observations\":[{\"date\":\"2001-01-01\",\"value\":\"-0.25\"},"
                      "{\"date\":\"2001-01-02\",\"value\":\"1.5e2\"}]}";
    assert_int_equal(gd_fred_parse(neg, strlen(neg), &obs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_float_equal(obs[0].value, -0.25, 1e-12);
    assert_float_equal(obs[1].value, 150.0, 1e-12);
    free(obs);
    /* The length bounds the parse: trailing bytes past len are not read. */
    const char *trail = "{\"observations\":[]}GARBAGE";
    assert_int_equal(gd_fred_parse(trail, strlen(empty), &obs, &n, &err), 0);
}

static void noop_cb(void *user, const gd_fred_result *res)
{
    (void)user;
    (void)res;
}

static void test_start_validation(void **state)
{
    (void)state;
    uv_loop_t loop;
    gd_fred *f = (gd_fred *)1;
    gd_err err = {{0}};
    const char *ids[] = {"VIXCLS"};
    assert_int_equal(uv_loop_init(&loop), 0);
    gd_fred_conf c = {.api_key = NULL};
    assert_int_equal(gd_fred_start(&loop, &c, ids, 1, noop_cb, NULL, &f, &err), GD_EINVAL);
    assert_null(f);
    assert_non_null(strstr(err.msg, "api_key"));
    c.api_key = KEY_GOOD;
    assert_int_equal(gd_fred_start(&loop, &c, ids, 0, noop_cb, NULL, &f, &err), GD_EINVAL);
    c.observation_start = "2001-13-01";
    assert_int_equal(gd_fred_start(&loop, &c, ids, 1, noop_cb, NULL, &f, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "observation_start"));
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- the loopback server ----------------------------------------------- */

static struct {
    pid_t pid;
    int in_fd; /* its stdin: closing it stops the server */
    int port;
    char why[256]; /* why the server tests are skipped */
} g_srv = {.pid = -1, .in_fd = -1};

static int find_in_path(const char *name)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)len, len ? path : ".", name);
        if (access(buf, X_OK) == 0)
            return 1;
        path = colon ? colon + 1 : NULL;
    }
    return 0;
}

static int server_start(void **state)
{
    (void)state;
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    char *argv[] = {"python3", "tests/fred_server.py", KEY_GOOD, NULL};

    signal(SIGPIPE, SIG_IGN);
    if (!find_in_path("python3")) {
        snprintf(g_srv.why, sizeof g_srv.why, "python3 not found in PATH: loopback FRED tests skipped");
        return 0;
    }
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        print_error("pipe: %s\n", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    int rc = posix_spawnp(&g_srv.pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        snprintf(g_srv.why, sizeof g_srv.why, "posix_spawnp python3: %s: loopback FRED tests skipped",
                 strerror(rc));
        g_srv.pid = -1;
        close(in[1]);
        close(out[0]);
        return 0;
    }
    g_srv.in_fd = in[1];

    /* First stdout line: the port. */
    char line[32] = {0};
    size_t len = 0;
    while (len + 1 < sizeof line && !strchr(line, '\n')) {
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        if (poll(&p, 1, 20000) <= 0)
            break;
        ssize_t r = read(out[0], line + len, sizeof line - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(out[0]);
    g_srv.port = atoi(line);
    if (g_srv.port <= 0 || g_srv.port > 65535) {
        print_error("tests/fred_server.py did not print a port ('%s')\n", line);
        return -1;
    }
    return 0;
}

static int server_stop(void **state)
{
    (void)state;
    if (g_srv.in_fd >= 0)
        close(g_srv.in_fd);
    if (g_srv.pid > 0) {
        int st;
        for (int i = 0; i < 100; i++) {
            if (waitpid(g_srv.pid, &st, WNOHANG) == g_srv.pid)
                return 0;
            usleep(50000);
        }
        kill(g_srv.pid, SIGTERM);
        waitpid(g_srv.pid, &st, 0);
    }
    return 0;
}

#define NEED_SERVER()                                        \
    do {                                                     \
        if (g_srv.port <= 0) {                               \
            print_message("[  SKIP    ] %s\n", g_srv.why);   \
            skip();                                          \
        }                                                    \
    } while (0)

/* ---- a harness around one gd_fred on its own loop ------------------------ */

typedef struct rec {
    char series[32];
    int ok, auth;
    long status;
    char error[1024];
    size_t n;
    gd_fred_obs first, last;
} rec;

typedef struct harness {
    uv_loop_t loop;
    gd_fred *f;
    int want;   /* stop after this many callbacks */
    int calls;
    int closed;
    int watchdog_fired;
    rec recs[8];
    uv_timer_t watchdog;
    uv_timer_t ticker; /* proves the loop keeps turning during a transfer */
    int ticks;
    int ticker_on;
    uv_timer_t stopper; /* gd_fred_stop mid-transfer */
    int stopper_on;
    FILE *log;
} harness;

static void close_if_open(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void on_fred_closed(void *arg)
{
    harness *h = arg;
    h->closed++;
    close_if_open((uv_handle_t *)&h->watchdog);
    if (h->ticker_on)
        close_if_open((uv_handle_t *)&h->ticker);
    if (h->stopper_on)
        close_if_open((uv_handle_t *)&h->stopper);
}

static void on_result(void *user, const gd_fred_result *r)
{
    harness *h = user;
    if (h->calls < 8) {
        rec *c = &h->recs[h->calls];
        snprintf(c->series, sizeof c->series, "%s", r->series);
        c->ok = r->ok;
        c->auth = r->auth;
        c->status = r->http_status;
        snprintf(c->error, sizeof c->error, "%s", r->error ? r->error : "");
        c->n = r->n;
        if (r->ok) {
            assert_true(r->error == NULL);
            if (r->n) {
                c->first = r->obs[0];
                c->last = r->obs[r->n - 1];
            }
        } else {
            assert_non_null(r->error);
            assert_true(r->error[0] != '\0');
        }
    }
    if (++h->calls == h->want)
        gd_fred_stop(h->f, on_fred_closed, h);
}

static void on_watchdog(uv_timer_t *t)
{
    harness *h = t->data;
    h->watchdog_fired = 1;
    gd_fred_stop(h->f, on_fred_closed, h);
}

static void on_tick(uv_timer_t *t)
{
    harness *h = t->data;
    h->ticks++;
}

static void on_stopper(uv_timer_t *t)
{
    harness *h = t->data;
    gd_fred_stop(h->f, on_fred_closed, h);
}

static void log_to_file(harness *h)
{
    h->log = tmpfile();
    assert_non_null(h->log);
    gd_log_init(h->log, GD_LOG_DEBUG);
}

/* Runs the fetch until `want` callbacks (then the callback stops it) or a
 * stop from the test's own timer; asserts that everything closed. */
static void run(harness *h, gd_fred_conf *conf, const char *const *ids, size_t n, int want)
{
    char base[64];
    gd_err err = {{0}};
    snprintf(base, sizeof base, "http://127.0.0.1:%d", g_srv.port);
    if (!conf->base_url)
        conf->base_url = base;
    if (!conf->api_key)
        conf->api_key = KEY_GOOD;
    h->want = want;
    assert_int_equal(uv_loop_init(&h->loop), 0);
    uv_timer_init(&h->loop, &h->watchdog);
    h->watchdog.data = h;
    uv_timer_start(&h->watchdog, on_watchdog, 20000, 0);
    if (h->ticker_on) {
        uv_timer_init(&h->loop, &h->ticker);
        h->ticker.data = h;
        uv_timer_start(&h->ticker, on_tick, 10, 10);
    }
    int rc = gd_fred_start(&h->loop, conf, ids, n, on_result, h, &h->f, &err);
    if (rc != 0)
        print_error("gd_fred_start: %s\n", err.msg);
    assert_int_equal(rc, 0);
    if (h->stopper_on) {
        uv_timer_init(&h->loop, &h->stopper);
        h->stopper.data = h;
        uv_timer_start(&h->stopper, on_stopper, (uint64_t)h->stopper_on, 0);
    }
    assert_int_equal(uv_run(&h->loop, UV_RUN_DEFAULT), 0);
    assert_false(h->watchdog_fired);
    assert_int_equal(h->closed, 1);
    /* Every handle, including curl's sockets, is gone. */
    assert_int_equal(uv_loop_close(&h->loop), 0);
    if (h->log) {
        /* The key must not appear in any log line, raw or URL-escaped. */
        char buf[65536];
        rewind(h->log);
        size_t len = fread(buf, 1, sizeof buf - 1, h->log);
        buf[len] = '\0';
        fclose(h->log);
        h->log = NULL;
        gd_log_init(NULL, GD_LOG_INFO);
        assert_null(strstr(buf, conf->api_key));
        assert_null(strstr(buf, KEY_ODD_ESC));
        /* ... while the request line was logged, with the key replaced. */
        assert_non_null(strstr(buf, "api_key=<redacted>&file_type=json"));
    }
}

static const rec *find_rec(const harness *h, const char *series)
{
    for (int i = 0; i < h->calls && i < 8; i++)
        if (strcmp(h->recs[i].series, series) == 0)
            return &h->recs[i];
    fail_msg("no result for %s", series);
    return NULL;
}

static void test_good_key(void **state)
{
    (void)state;
    NEED_SERVER();
    harness h = {0};
    gd_fred_conf c = {0};
    const char *ids[] = {"VIXCLS", "DGS10", "NOPE"};
    log_to_file(&h);
    run(&h, &c, ids, 3, 3);
    assert_int_equal(h.calls, 3); /* one callback per series */
    const rec *v = find_rec(&h, "VIXCLS");
    assert_true(v->ok);
    assert_int_equal(v->status, 200);
    assert_int_equal(v->n, 1510);
    assert_int_equal(v->first.t_ms, 820540800000LL);
    assert_float_equal(v->first.value, 17.05, 1e-9);
    assert_int_equal(v->last.t_ms, 1009756800000LL);
    assert_float_equal(v->last.value, 24.29, 1e-9);
    const rec *d = find_rec(&h, "DGS10");
    assert_true(d->ok);
    assert_int_equal(d->n, 10);
    /* Unknown series: FRED's 400, not an auth failure. */
    const rec *u = find_rec(&h, "NOPE");
    assert_false(u->ok);
    assert_false(u->auth);
    assert_int_equal(u->status, 400);
    assert_string_equal(u->error, "Bad Request.  The series does not exist.");
}

static void test_observation_start(void **state)
{
    (void)state;
    NEED_SERVER();
    harness h = {0};
    gd_fred_conf c = {.observation_start = "2000-01-01"};
    const char *ids[] = {"VIXCLS"};
    run(&h, &c, ids, 1, 1);
    assert_true(h.recs[0].ok);
    assert_int_equal(h.recs[0].n, 500);
    assert_int_equal(h.recs[0].first.t_ms, 946857600000LL); /* 2000-01-03 */
    assert_float_equal(h.recs[0].first.value, 21.97, 1e-9);
}

static void test_bad_key(void **state)
{
    (void)state;
    NEED_SERVER();
    harness h = {0};
    gd_fred_conf c = {.api_key = KEY_BAD};
    const char *ids[] = {"VIXCLS"};
    log_to_file(&h);
    run(&h, &c, ids, 1, 1);
    const rec *r = &h.recs[0];
    assert_false(r->ok);
    assert_true(r->auth);
    assert_int_equal(r->status, 400);
    assert_non_null(strstr(r->error, "api_key is not registered"));
    assert_null(strstr(r->error, KEY_BAD));
}

static void test_odd_key(void **state)
{
    (void)state;
    NEED_SERVER();
    /* A key with URL metacharacters must be escaped (the server sees one
     * api_key, not an extra series_id) and never be logged either way. */
    harness h = {0};
    gd_fred_conf c = {.api_key = KEY_ODD};
    const char *ids[] = {"VIXCLS"};
    log_to_file(&h);
    run(&h, &c, ids, 1, 1);
    const rec *r = &h.recs[0];
    assert_false(r->ok);
    assert_true(r->auth);
    assert_non_null(strstr(r->error, "32 character"));
    assert_null(strstr(r->error, KEY_ODD));
    assert_null(strstr(r->error, KEY_ODD_ESC));
}

static void test_refused(void **state)
{
    (void)state;
    NEED_SERVER();
    /* A port that was just free: nothing listens there. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
    close(s);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    harness h = {0};
    gd_fred_conf c = {.base_url = base};
    const char *ids[] = {"VIXCLS"};
    run(&h, &c, ids, 1, 1);
    const rec *r = &h.recs[0];
    assert_false(r->ok);
    assert_false(r->auth);
    assert_int_equal(r->status, 0);
    assert_non_null(strstr(r->error, "onnect"));
    assert_null(strstr(r->error, KEY_GOOD));
}

static void test_slow_times_out(void **state)
{
    (void)state;
    NEED_SERVER();
    harness h = {.ticker_on = 1};
    gd_fred_conf c = {.timeout_ms = 300};
    const char *ids[] = {"SLOW"};
    uint64_t t0 = uv_hrtime();
    run(&h, &c, ids, 1, 1);
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    const rec *r = &h.recs[0];
    assert_false(r->ok);
    assert_false(r->auth);
    assert_int_equal(r->status, 0);
    assert_non_null(strstr(r->error, "timed out"));
    assert_true(ms >= 250 && ms < 5000);
    /* 10 ms ticks kept firing while the request hung. */
    if (h.ticks < 10)
        print_error("only %d ticks in %.0f ms\n", h.ticks, ms);
    assert_true(h.ticks >= 10);
}

static void test_broken_json(void **state)
{
    (void)state;
    NEED_SERVER();
    harness h = {0};
    gd_fred_conf c = {0};
    const char *ids[] = {"BROKEN"};
    run(&h, &c, ids, 1, 1);
    const rec *r = &h.recs[0];
    assert_false(r->ok);
    assert_false(r->auth);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->error, "invalid JSON"));
}

static void test_size_limit(void **state)
{
    (void)state;
    NEED_SERVER();
    harness h = {0};
    gd_fred_conf c = {.max_body = (size_t)1 << 20};
    /* With a Content-Length (refused up front) and without (cut off while
     * streaming). */
    const char *ids[] = {"HUGE", "HUGESTREAM"};
    run(&h, &c, ids, 2, 2);
    for (int i = 0; i < 2; i++) {
        assert_false(h.recs[i].ok);
        assert_non_null(strstr(h.recs[i].error, "1048576 byte limit"));
    }
}

static void test_poll_refetches(void **state)
{
    (void)state;
    NEED_SERVER();
    harness h = {0};
    gd_fred_conf c = {.poll_ms = 50};
    const char *ids[] = {"DGS10"};
    uint64_t t0 = uv_hrtime();
    run(&h, &c, ids, 1, 2);
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    assert_int_equal(h.calls, 2);
    for (int i = 0; i < 2; i++) {
        assert_true(h.recs[i].ok);
        assert_int_equal(h.recs[i].n, 10);
    }
    assert_true(ms >= 50);
}

static void test_stop_mid_transfer(void **state)
{
    (void)state;
    NEED_SERVER();
    /* SLOW never answers in time and VIXCLS may or may not have: stop after
     * 150 ms with the SLOW request in flight; ASan checks nothing leaks. */
    harness h = {.stopper_on = 150};
    gd_fred_conf c = {.timeout_ms = 10000};
    const char *ids[] = {"SLOW", "VIXCLS"};
    run(&h, &c, ids, 2, 100);
    assert_true(h.calls <= 1);
    for (int i = 0; i < h.calls; i++)
        assert_string_equal(h.recs[i].series, "VIXCLS");
}

static void test_stop_in_callback(void **state)
{
    (void)state;
    NEED_SERVER();
    /* The first result's callback stops everything with SLOW in flight. */
    harness h = {0};
    gd_fred_conf c = {.timeout_ms = 10000};
    const char *ids[] = {"SLOW", "DGS10"};
    run(&h, &c, ids, 2, 1);
    assert_int_equal(h.calls, 1);
    assert_string_equal(h.recs[0].series, "DGS10");
    assert_true(h.recs[0].ok);
}

static void test_stop_before_run(void **state)
{
    (void)state;
    /* Stopped before the loop ever ran: no callback, no request. */
    harness h = {0};
    gd_err err = {{0}};
    gd_fred_conf c = {.api_key = KEY_GOOD, .base_url = "http://127.0.0.1:9"};
    const char *ids[] = {"VIXCLS"};
    assert_int_equal(uv_loop_init(&h.loop), 0);
    assert_int_equal(gd_fred_start(&h.loop, &c, ids, 1, on_result, &h, &h.f, &err), 0);
    uv_timer_init(&h.loop, &h.watchdog);
    gd_fred_stop(h.f, on_fred_closed, &h);
    assert_int_equal(uv_run(&h.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(h.closed, 1);
    assert_int_equal(h.calls, 0);
    assert_int_equal(uv_loop_close(&h.loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_vixcls),
        cmocka_unit_test(test_parse_dgs10),
        cmocka_unit_test(test_parse_dates),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_edge),
        cmocka_unit_test(test_start_validation),
        cmocka_unit_test(test_stop_before_run),
        cmocka_unit_test(test_good_key),
        cmocka_unit_test(test_observation_start),
        cmocka_unit_test(test_bad_key),
        cmocka_unit_test(test_odd_key),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_slow_times_out),
        cmocka_unit_test(test_broken_json),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_poll_refetches),
        cmocka_unit_test(test_stop_mid_transfer),
        cmocka_unit_test(test_stop_in_callback),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
