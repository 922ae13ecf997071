/* Read-only memory handed to plugins. The bar history: what plugins get is
 * a read-only view between guard pages; the host's view writes through to
 * it; growing keeps the history. Strings (symbol names, string params):
 * sealed copies. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine_int.h"

#include "base/rodata.h"

static gordon_bar bar_at(uint64_t k)
{
    gordon_bar b;
    memset(&b, 0, sizeof b);
    b.open_time_ms = (int64_t)k * 60000;
    b.close_time_ms = b.open_time_ms + 60000;
    b.open = b.high = b.low = b.close = 100.0 + (double)k;
    b.volume = 1.0;
    return b;
}

static void push(gd_ring *r, uint64_t k)
{
    r->bars[r->n & r->mask] = bar_at(k);
    r->n++;
}

static void on_segv(int sig)
{
    (void)sig;
    _exit(42);
}

/* Runs the write in a child: 42 if it faulted, 0 if it went through. */
static int write_faults(volatile double *p)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_segv;
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        *p = 1e9;
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st))
        return WTERMSIG(st) == SIGSEGV || WTERMSIG(st) == SIGBUS ? 42 : -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_views(void **state)
{
    (void)state;
    gd_ring r;
    gd_err err;
    memset(&r, 0, sizeof r);
    assert_int_equal(gd_ring_reserve(&r, 256, "X", &err), 0);
    for (uint64_t k = 0; k < 300; k++) /* wraps */
        push(&r, k);
    for (uint64_t k = 300 - 256; k < 300; k++) {
        const gordon_bar *v = &r.ro[k & r.mask];
        assert_true(v->close == 100.0 + (double)k);
        assert_memory_equal(v, &r.bars[k & r.mask], sizeof *v);
    }
    /* Writing through the view, or to either side of it, faults. */
    assert_int_equal(write_faults((volatile double *)&r.ro[5].close), 42);
    assert_int_equal(write_faults((volatile double *)&r.ro[0] - 1), 42);
    assert_int_equal(write_faults((volatile double *)&r.ro[r.mask + 1]), 42);
    /* ...and the host's view is writable (the check can fail). */
    assert_int_equal(write_faults((volatile double *)&r.bars[5].close), 0);
    gd_ring_free(&r);
    assert_null(r.bars);
    assert_null(r.ro);
}

static void test_grow_keeps_history(void **state)
{
    (void)state;
    gd_ring r;
    gd_err err;
    memset(&r, 0, sizeof r);
    assert_int_equal(gd_ring_reserve(&r, 256, "X", &err), 0);
    for (uint64_t k = 0; k < 1000; k++)
        push(&r, k);
    assert_int_equal(gd_ring_reserve(&r, 128, "X", &err), 0); /* already large enough */
    assert_int_equal(r.mask, 255);
    assert_int_equal(gd_ring_reserve(&r, 4096, "X", &err), 0);
    assert_int_equal(r.mask, 4095);
    for (uint64_t k = 1000 - 256; k < 1000; k++)
        assert_true(r.ro[k & r.mask].close == 100.0 + (double)k);
    push(&r, 1000);
    assert_true(r.ro[1000 & r.mask].close == 1100.0);
    gd_ring_free(&r);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    gd_ring r;
    gd_err err;
    memset(&r, 0, sizeof r);
    assert_int_equal(gd_ring_reserve(&r, 300, "SYM", &err), GD_ERANGE);
    assert_non_null(strstr(err.msg, "SYM"));
    assert_int_equal(gd_ring_reserve(&r, 0, "SYM", &err), GD_ERANGE);
    assert_int_equal(gd_ring_reserve(&r, UINT64_C(1) << 62, "SYM", &err), GD_ERANGE);
    assert_null(r.bars);
}

static void test_rodata_strings(void **state)
{
    (void)state;
    gd_rodata ro;
    gd_err err;
    const char *in[4] = {"BTCUSDT", NULL, "", "a longer string value"};
    const char *out[4];
    assert_int_equal(gd_rodata_strings(&ro, in, 4, out, &err), 0);
    assert_string_equal(out[0], "BTCUSDT");
    assert_null(out[1]);
    assert_string_equal(out[2], "");
    assert_string_equal(out[3], "a longer string value");
    assert_true(out[0] != in[0]);
    assert_int_equal(write_faults((volatile double *)(uintptr_t)out[0]), 42);
    gd_rodata_free(&ro);
    assert_null(ro.base);
    const char *none[2] = {NULL, NULL};
    assert_int_equal(gd_rodata_strings(&ro, none, 2, out, &err), 0);
    assert_null(ro.base);
    gd_rodata_free(&ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_grow_keeps_history),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_rodata_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
