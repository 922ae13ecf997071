#include "base/rt.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int gd_rt_apply(int fifo_priority, int lock_memory, gd_err *err)
{
    if (fifo_priority < 0 || fifo_priority > 99)
        return gd_err_set(err, GD_EINVAL, "real-time priority %d: expected 0 (off) or 1 to 99", fifo_priority);
#if defined(__SANITIZE_ADDRESS__)
    /* Locking would fault in AddressSanitizer's terabytes of shadow. */
    if (lock_memory)
        return gd_err_set(err, GD_EINVAL,
                          "lock_memory: not in a build with AddressSanitizer (its shadow memory "
                          "cannot be locked)");
#endif
    if (lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
        int e = errno;
        return gd_err_set(err, e == EPERM || e == ENOMEM ? GD_EPERM : GD_EIO,
                          "cannot lock the daemon's memory (mlockall): %s (needs CAP_IPC_LOCK or a large enough "
                          "RLIMIT_MEMLOCK, e.g. LimitMEMLOCK=infinity)",
                          strerror(e));
    }
    if (fifo_priority > 0) {
        struct sched_param sp;
        memset(&sp, 0, sizeof sp);
        sp.sched_priority = fifo_priority;
        /* This thread only: sched_setscheduler(0) names the thread on Linux. */
        if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0) {
            int e = errno;
            if (lock_memory)
                munlockall();
            return gd_err_set(err, e == EPERM ? GD_EPERM : GD_EIO,
                              "cannot run the loop thread as SCHED_FIFO %d: %s (needs CAP_SYS_NICE or "
                              "RLIMIT_RTPRIO >= %d, and no RestrictRealtime= in its unit)",
                              fifo_priority, strerror(e), fifo_priority);
        }
    }
    return 0;
}

void gd_rt_helpers_begin(gd_rt_mask *saved)
{
    cpu_set_t now, others;
    saved->active = 0;
    if (sched_getaffinity(0, sizeof now, &now) != 0 || CPU_COUNT(&now) != 1)
        return;
    CPU_ZERO(&others);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < n && c < CPU_SETSIZE; c++)
        if (!CPU_ISSET((int)c, &now))
            CPU_SET((int)c, &others);
    if (CPU_COUNT(&others) == 0 || sched_setaffinity(0, sizeof others, &others) != 0)
        return;
    saved->set = now;
    saved->active = 1;
}

void gd_rt_helpers_end(const gd_rt_mask *saved)
{
    if (saved->active)
        (void)sched_setaffinity(0, sizeof saved->set, &saved->set); /* back to a CPU it had: allowed */
}

void gd_rt_normal(void)
{
    struct sched_param sp;
    memset(&sp, 0, sizeof sp);
    (void)sched_setscheduler(0, SCHED_OTHER, &sp); /* lowering needs no privilege; already normal: no-op */
}
