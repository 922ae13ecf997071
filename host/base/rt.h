/* Real-time scheduling for the thread that runs the loop: the venue path's
 * tail latency is mostly the wait for a CPU and page faults, not work. */
#ifndef GD_RT_H
#define GD_RT_H

#include <sched.h>

#include "base/err.h"

/* The calling thread to SCHED_FIFO at fifo_priority (1..99; 0 leaves the
 * policy alone), with SCHED_RESET_ON_FORK so processes it starts (plugin
 * workers, restic, pg_dump) run normally; lock_memory: mlockall of what is
 * mapped now and later. Threads created afterwards inherit the policy: start
 * thread pools first. GD_EPERM naming what is missing (CAP_SYS_NICE,
 * CAP_IPC_LOCK or their rlimits); nothing is half-applied for the
 * scheduling, the memory lock is undone when the scheduling fails. */
int gd_rt_apply(int fifo_priority, int lock_memory, gd_err *err);
/* The calling thread back to the normal policy (always allowed): for a
 * thread a real-time one starts that is not on the hot path. */
void gd_rt_normal(void);

/* Threads inherit their creator's CPU set. When the calling thread is
 * pinned to one CPU (the loop thread and its plugin workers share one) and
 * others are online, threads it starts between gd_rt_helpers_begin and
 * gd_rt_helpers_end get every other CPU instead: a helper that signals the
 * loop (libuv's thread pool, the market-data loader: uv_async_send) must
 * not wait for the CPU a real-time loop thread holds, while the loop spins
 * in libuv waiting for that very send to finish. Otherwise no-ops. */
typedef struct gd_rt_mask {
    int active;
    cpu_set_t set; /* the caller's, restored by _end */
} gd_rt_mask;
void gd_rt_helpers_begin(gd_rt_mask *saved);
void gd_rt_helpers_end(const gd_rt_mask *saved);

#endif
