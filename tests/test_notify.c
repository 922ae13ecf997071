/* systemd readiness (host/notify.c): what a manager listening on $NOTIFY_SOCKET
 * receives, for a filesystem socket and an abstract one; the no-op and error
 * cases. The watchdog: how $WATCHDOG_USEC and $WATCHDOG_PID are read, and
 * that the real daemon sends WATCHDOG=1 from its loop (only when asked, and
 * not on a value it cannot read). */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/notify.h"

#include "base/err.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    int fd;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->fd = -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/gd-notify-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->fd >= 0)
        close(f->fd);
    if (f->path[0])
        unlink(f->path);
    /* What a watchdog test's daemon left. */
    static const char *const files[] = {"bars.csv", "g.ini", "log"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    unsetenv("NOTIFY_SOCKET");
    return 0;
}

/* A datagram socket bound to addr (a path, or '@' + an abstract name). */
static int listen_on(const char *addr)
{
    struct sockaddr_un sa;
    size_t len = strlen(addr);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_true(len < sizeof sa.sun_path);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, addr, len);
    if (addr[0] == '@')
        sa.sun_path[0] = '\0';
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (addr[0] == '@' ? 0 : 1));
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, salen), 0);
    return fd;
}

/* The one pending datagram, or fails if none arrived. */
static void expect_datagram(int fd, const char *want)
{
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
    /* Exactly one datagram per call. */
    assert_true(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0);
}

static void test_unset_is_noop(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(gd_notify("READY=1"), 0);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(gd_notify("READY=1"), 0);
}

static void test_path_socket(void **state)
{
    fixture *f = *state;
    snprintf(f->path, sizeof f->path, "%s/notify", f->dir);
    f->fd = listen_on(f->path);
    setenv("NOTIFY_SOCKET", f->path, 1);

    assert_int_equal(gd_notify("READY=1"), 1);
    expect_datagram(f->fd, "READY=1");
    assert_int_equal(gd_notify("RELOADING=1\nSTATUS=reloading configuration"), 1);
    expect_datagram(f->fd, "RELOADING=1\nSTATUS=reloading configuration");
    assert_int_equal(gd_notify("STOPPING=1"), 1);
    expect_datagram(f->fd, "STOPPING=1");
}

static void test_abstract_socket(void **state)
{
    fixture *f = *state;
    char addr[96];
    /* Unique per run: abstract names live in the network namespace, not a directory. */
    snprintf(addr, sizeof addr, "@gordon-test-notify-%ld-%s", (long)getpid(), f->dir + 5);
    f->fd = listen_on(addr);
    setenv("NOTIFY_SOCKET", addr, 1);

    assert_int_equal(gd_notify("READY=1\nSTATUS=trading"), 1);
    expect_datagram(f->fd, "READY=1\nSTATUS=trading");
}

static void test_errors(void **state)
{
    fixture *f = *state;
    char path[160], longp[200];

    /* Nobody listening there. */
    snprintf(path, sizeof path, "%s/absent", f->dir);
    setenv("NOTIFY_SOCKET", path, 1);
    assert_int_equal(gd_notify("READY=1"), GD_EIO);

    /* Neither a path nor '@': refused, not guessed. */
    setenv("NOTIFY_SOCKET", "relative/notify", 1);
    assert_int_equal(gd_notify("READY=1"), GD_EINVAL);
    setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    assert_int_equal(gd_notify("READY=1"), GD_EINVAL);

    /* Longer than sun_path. */
    memset(longp, 'x', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    setenv("NOTIFY_SOCKET", longp, 1);
    assert_int_equal(gd_notify("READY=1"), GD_EINVAL);

    /* An empty message is a caller bug. */
    snprintf(f->path, sizeof f->path, "%s/notify", f->dir);
    f->fd = listen_on(f->path);
    setenv("NOTIFY_SOCKET", f->path, 1);
    assert_int_equal(gd_notify(""), GD_EINVAL);
    assert_int_equal(gd_notify(NULL), GD_EINVAL);
}

static void unset_watchdog(void)
{
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

static void expect_interval(const char *usec, const char *pid, uint64_t want_ms)
{
    uint64_t ms = 12345;
    gd_err err = {{0}};
    unset_watchdog();
    if (usec)
        setenv("WATCHDOG_USEC", usec, 1);
    if (pid)
        setenv("WATCHDOG_PID", pid, 1);
    if (gd_watchdog_interval(&ms, &err) != 0)
        fail_msg("WATCHDOG_USEC=%s WATCHDOG_PID=%s refused: %s", usec ? usec : "(unset)", pid ? pid : "(unset)",
                 err.msg);
    assert_int_equal(ms, want_ms);
}

static void expect_refused(const char *usec, const char *pid, const char *needle)
{
    uint64_t ms = 12345;
    gd_err err = {{0}};
    unset_watchdog();
    setenv("WATCHDOG_USEC", usec, 1);
    if (pid)
        setenv("WATCHDOG_PID", pid, 1);
    assert_int_equal(gd_watchdog_interval(&ms, &err), GD_EINVAL);
    assert_int_equal(ms, 0);
    if (!strstr(err.msg, needle))
        fail_msg("\"%s\" does not name \"%s\"", err.msg, needle);
}

static void test_watchdog_interval(void **state)
{
    char me[32];
    (void)state;
    snprintf(me, sizeof me, "%ld", (long)getpid());
    expect_interval(NULL, NULL, 0); /* no watchdog */
    expect_interval("", NULL, 0);
    expect_interval("10000000", NULL, 5000); /* WatchdogSec=10s: every 5 s */
    expect_interval("30000000", me, 15000);
    expect_interval("3000", NULL, 1);
    expect_interval("1", NULL, 1);       /* never a 0 ms timer */
    expect_interval("10000000", "1", 0); /* meant for another process */
    expect_interval("10000000", "", 5000);

    expect_refused("10s", NULL, "WATCHDOG_USEC=10s");
    expect_refused("-5", NULL, "WATCHDOG_USEC=-5");
    expect_refused(" 10", NULL, "WATCHDOG_USEC= 10");
    expect_refused("0", NULL, "WATCHDOG_USEC=0");
    expect_refused("18446744073709551615", NULL, "WATCHDOG_USEC"); /* systemd's infinity */
    expect_refused("99999999999999999999999", NULL, "WATCHDOG_USEC");
    expect_refused("10000000", "me", "WATCHDOG_PID=me");
    expect_refused("10000000", "0", "WATCHDOG_PID=0");
    unset_watchdog();
}

/* --- the daemon's pings ----------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* `gordon run` on a few bars in backtest mode, kept up after them, with
 * NOTIFY_SOCKET at our socket and the watchdog variables given ("self" for
 * WATCHDOG_PID: the daemon's own pid). Its output goes to dir/log. */
static pid_t spawn_daemon(const fixture *f, const char *usec, const char *pid)
{
    const char *bin = getenv("GD_BIN"), *plugins = getenv("GD_PLUGIN_DIR");
    char ini[160], csv[160], log[160], text[1024];
    assert_non_null(bin);
    assert_non_null(plugins);
    snprintf(csv, sizeof csv, "%s/bars.csv", f->dir);
    snprintf(ini, sizeof ini, "%s/g.ini", f->dir);
    snprintf(log, sizeof log, "%s/log", f->dir);
    write_text(csv, "open_time_ms,open,high,low,close,volume\n"
                    "828316800000,1.193,1.193,1.193,1.193,0\n"
                    "828318600000,1.193,1.1941,1.193,1.1941,0\n");
    snprintf(text, sizeof text,
             "[gordon]\nmode = backtest\nexit_when_done = false\n[risk]\nequity = 10000\nrisk_pct = 1\n"
             "[replay]\ndata = USDCHF:%s\n[instrument.USDCHF]\ntick_size = 0.00001\nstep_size = 1\n"
             "[strategy.ema]\nplugin = ema_cross\nfast = 5\nslow = 20\n",
             csv);
    write_text(ini, text);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char self[32];
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        setenv("NOTIFY_SOCKET", f->path, 1);
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        if (usec)
            setenv("WATCHDOG_USEC", usec, 1);
        if (pid && !strcmp(pid, "self")) {
            snprintf(self, sizeof self, "%ld", (long)getpid()); /* exec keeps the pid */
            pid = self;
        }
        if (pid)
            setenv("WATCHDOG_PID", pid, 1);
        execl(bin, bin, "run", "--config", ini, "--plugin-dir", plugins, (char *)NULL);
        _exit(127);
    }
    return child;
}

static void stop_daemon(pid_t child)
{
    int status;
    assert_int_equal(kill(child, SIGTERM), 0);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts the READY=1 and WATCHDOG=1 datagrams that arrive within secs, or
 * until want_pings pings have (0: no such limit), or after_ready seconds
 * after READY=1. */
static void count_datagrams(int fd, double secs, int want_pings, double after_ready, int *ready, int *pings)
{
    double end = now_s() + secs;
    *ready = *pings = 0;
    for (;;) {
        if (*ready && now_s() + after_ready < end)
            end = now_s() + after_ready;
        double left = end - now_s();
        if (left <= 0 || (want_pings && *pings >= want_pings))
            return;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            continue;
        char buf[512];
        ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        if (n < 0)
            continue;
        buf[n] = '\0';
        if (strstr(buf, "READY=1"))
            (*ready)++;
        if (!strcmp(buf, "WATCHDOG=1"))
            (*pings)++;
    }
}

static void test_watchdog_daemon_pings(void **state)
{
    fixture *f = *state;
    int ready, pings;
    snprintf(f->path, sizeof f->path, "%s/notify", f->dir);
    f->fd = listen_on(f->path);
    /* 200 ms timeout: a ping every 100 ms; five within 5 s even under ASan. */
    pid_t child = spawn_daemon(f, "200000", "self");
    count_datagrams(f->fd, 10.0, 5, 10.0, &ready, &pings);
    stop_daemon(child);
    assert_int_equal(ready, 1);
    assert_true(pings >= 5);
}

/* No pings when the watchdog is another process's, or when its value cannot
 * be read (then a warning names it). */
static void test_watchdog_daemon_silent(void **state)
{
    fixture *f = *state;
    int ready, pings;
    char log[160];
    snprintf(f->path, sizeof f->path, "%s/notify", f->dir);
    snprintf(log, sizeof log, "%s/log", f->dir);
    f->fd = listen_on(f->path);
    static const struct {
        const char *usec, *pid, *warning;
    } cases[] = {
        {"200000", "1", NULL},
        {"200ms", "self", "watchdog not armed: WATCHDOG_USEC=200ms"},
        {NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t child = spawn_daemon(f, cases[i].usec, cases[i].pid);
        /* Up and ready, then a second: ten intervals without a ping. */
        count_datagrams(f->fd, 10.0, 0, 1.0, &ready, &pings);
        stop_daemon(child);
        assert_int_equal(ready, 1);
        assert_int_equal(pings, 0);
        FILE *fp = fopen(log, "r");
        assert_non_null(fp);
        char text[8192];
        size_t n = fread(text, 1, sizeof text - 1, fp);
        text[n] = '\0';
        fclose(fp);
        if (cases[i].warning && !strstr(text, cases[i].warning))
            fail_msg("no warning \"%s\" in the daemon's log:\n%s", cases[i].warning, text);
        if (!cases[i].warning)
            assert_null(strstr(text, "watchdog"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset_is_noop),
        cmocka_unit_test_setup_teardown(test_path_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abstract_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test(test_watchdog_interval),
        cmocka_unit_test_setup_teardown(test_watchdog_daemon_pings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_daemon_silent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
