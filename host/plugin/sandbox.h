/* The plugin worker's sandbox, which the worker process puts itself in
 * before any plugin code runs (gordon-worker, worker_main.c). Layers, each
 * stopping something the others might miss:
 *  - a clean start: the host spawns the worker with an empty environment,
 *    only the IPC socket open, default signal dispositions, its own session;
 *  - prctl: PR_SET_NO_NEW_PRIVS (no setuid gain), PR_SET_DUMPABLE 0 (no
 *    ptrace or /proc/PID/mem from a same-uid process), PR_SET_PDEATHSIG
 *    (dies with the host);
 *  - rlimits: address space, CPU seconds, open files, no file writes
 *    (RLIMIT_FSIZE 0), no new processes (RLIMIT_NPROC 0), no core dumps;
 *  - Landlock, where the kernel has it: the filesystem is read-only and
 *    limited to the plugin's file and the system library directories;
 *  - seccomp-bpf (libseccomp), in two stages: while the dynamic loader maps
 *    the plugin (files opened read-only, code mapped), then, before the
 *    first plugin callback, only the IPC socket, memory that is never
 *    executable, futexes, clocks and exit. Anything else kills the process.
 * Sanitizer builds relax the second stage for the sanitizer runtime's own
 * needs (its reports); that build is for tests, never for production. */
#ifndef GD_SANDBOX_H
#define GD_SANDBOX_H

#include <stdint.h>

#include "base/err.h"

/* The socket the worker talks to the host on. */
#define GD_WORKER_FD 3

typedef struct gd_sandbox_limits {
    uint64_t address_space_mb; /* 0: no limit (sanitizer builds need terabytes of shadow) */
    uint64_t cpu_seconds;      /* 0: no limit */
} gd_sandbox_limits;

/* prctl and rlimits; GD_EIO naming the call that failed. */
int gd_sandbox_process(const gd_sandbox_limits *lim, gd_err *err);
/* Landlock: read (and map executable) only plugin_path and the system
 * library directories. Returns 1 if enforced, 0 if the kernel has no
 * Landlock (reported, not an error), or GD_EIO. */
int gd_sandbox_landlock(const char *plugin_path, gd_err *err);
/* Stage 1 filter: what loading a plugin needs. */
int gd_sandbox_seccomp_loader(gd_err *err);
/* Stage 2 filter, stacked on stage 1: what running plugin callbacks and the
 * IPC need. */
int gd_sandbox_seccomp_run(gd_err *err);

#endif
