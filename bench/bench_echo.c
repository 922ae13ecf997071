/* bench_echo: the stand-in for gordon-worker in bench_live's comparison of
 * what switching alone costs. Started as the host starts a worker
 * (gd_worker_spawn: an empty environment, its own session, only its socket,
 * on the host's CPU), it puts itself in the worker's sandbox (rlimits,
 * Landlock, both seccomp stages) and then answers every message with
 * itself: a worker that runs no plugin code. With GD_WIRE_LOAD_LOCK it
 * locks its memory, as a worker does.
 *
 * The GD_W_LOAD it is sent names the file Landlock leaves readable (the
 * bench passes this program); it answers that message, once sandboxed,
 * with an empty one. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plugin/sandbox.h"
#include "plugin/wire.h"

static unsigned char buf[GD_WIRE_HDR + GD_WIRE_MAX];

static int fail(const char *what, const char *why)
{
    /* stderr is /dev/null outside sanitizer builds: the exit code says it. */
    fprintf(stderr, "bench_echo: %s: %s\n", what, why);
    return 1;
}

int main(void)
{
    gd_err err;
    gd_rbuf r;
    char path[4096];
    gd_sandbox_limits lim;

    if (gd_wire_recv(GD_WORKER_FD, buf, -1, &r, &err) != 0)
        return fail("the load message", err.msg);
    if (r.type != GD_W_LOAD)
        return fail("the first message", "not a load");
    (void)gd_rb_u32(&r); /* the protocol version: the bench's own */
    gd_rb_str(&r, path, sizeof path);
    uint32_t flags = gd_rb_u32(&r);
    lim.address_space_mb = gd_rb_u64(&r);
    lim.cpu_seconds = gd_rb_u64(&r);
    if (gd_rb_end(&r, &err) != 0)
        return fail("the load message", err.msg);
#if defined(__SANITIZE_ADDRESS__)
    lim.address_space_mb = 0;
    flags &= ~GD_WIRE_LOAD_LOCK; /* its shadow memory cannot be locked */
#endif
    if (gd_sandbox_process(&lim, &err) != 0)
        return fail("sandbox", err.msg);
    /* Locked where the workers lock theirs (bench_live --mlock), as they do. */
    if ((flags & GD_WIRE_LOAD_LOCK) && mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        return fail("mlockall", "refused");
    if (gd_sandbox_landlock(path, &err) < 0 ||
        gd_sandbox_seccomp_loader(&err) != 0 || gd_sandbox_seccomp_run(&err) != 0)
        return fail("sandbox", err.msg);
    if (send(GD_WORKER_FD, buf, 1, MSG_NOSIGNAL) != 1)
        return 1;
    ssize_t n;
    while ((n = recv(GD_WORKER_FD, buf, sizeof buf, 0)) > 0)
        if (send(GD_WORKER_FD, buf, (size_t)n, MSG_NOSIGNAL) != n)
            return 1;
    return 0;
}
