/* fdatasync off the loop (host/base/bgsync.c): in the call without a loop,
 * on the threadpool with one, one at a time with the kicks that came
 * meanwhile folded into one more, failures returned by the next kick and
 * counted, and a close while a sync is out finished by its callback. A
 * pipe is the file whose fdatasync always fails (EINVAL). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "base/bgsync.h"

static int open_file(void)
{
    char path[128];
    int fd = gd_test_tmpfile(path, sizeof path, "bgsync");
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, "x\n", 2), 2);
    return fd;
}

static int is_open(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

static void test_bgsync_in_the_call_without_a_loop(void **state)
{
    (void)state;
    gd_bgsync *s;
    gd_err err;
    int fd = open_file();
    assert_int_equal(gd_bgsync_new(NULL, fd, "test", "a file", &s, &err), 0);
    assert_int_equal(gd_bgsync_kick(s, &err), 0);
    assert_int_equal(gd_bgsync_failures(s), 0);
    gd_bgsync_close(s);
    assert_false(is_open(fd));

    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(gd_bgsync_new(NULL, p[1], "test", "the pipe", &s, &err), 0);
    assert_int_equal(gd_bgsync_kick(s, &err), GD_EIO);
    assert_non_null(strstr(err.msg, "the pipe: fdatasync"));
    assert_int_equal(gd_bgsync_kick(s, &err), GD_EIO);
    assert_int_equal(gd_bgsync_failures(s), 2);
    gd_bgsync_close(s);
    assert_false(is_open(p[1]));
    close(p[0]);
}

static void test_bgsync_on_the_loop_folds_kicks(void **state)
{
    (void)state;
    uv_loop_t loop;
    gd_bgsync *s;
    gd_err err;
    int p[2];
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(gd_bgsync_new(&loop, p[1], "test", "the pipe", &s, &err), 0);
    /* The first goes to the threadpool; the nine while it is out make one more. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(gd_bgsync_kick(s, &err), 0); /* none has ended yet */
    assert_int_equal(gd_bgsync_failures(s), 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(gd_bgsync_failures(s), 2);
    /* The next kick says the last one failed, and tries again. */
    assert_int_equal(gd_bgsync_kick(s, &err), GD_EIO);
    assert_non_null(strstr(err.msg, "the pipe: fdatasync"));
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(gd_bgsync_failures(s), 3);
    gd_bgsync_close(s);
    assert_false(is_open(p[1]));
    close(p[0]);

    int fd = open_file();
    assert_int_equal(gd_bgsync_new(&loop, fd, "test", "a file", &s, &err), 0);
    assert_int_equal(gd_bgsync_kick(s, &err), 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(gd_bgsync_kick(s, &err), 0);
    /* Closed with a sync out: the callback syncs, closes and frees. */
    gd_bgsync_close(s);
    assert_true(is_open(fd));
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_false(is_open(fd));
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bgsync_in_the_call_without_a_loop),
        cmocka_unit_test(test_bgsync_on_the_loop_folds_kicks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
