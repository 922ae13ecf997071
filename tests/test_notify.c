/* systemd readiness (host/notify.c): what a manager listening on $NOTIFY_SOCKET
 * receives, for a filesystem socket and an abstract one; the no-op and error
 * cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset_is_noop),
        cmocka_unit_test_setup_teardown(test_path_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abstract_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
