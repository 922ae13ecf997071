/* Plugin workers, the host's side: starting a sandboxed gordon-worker for a
 * plugin file, talking to it with deadlines, and ending it. The protocol is
 * in wire.h, the worker's own side in worker_main.c and sandbox.h.
 *
 * The host never maps plugin code in isolated mode: even the descriptor
 * (`gordon plugin check`, `gordon check`, a reload's validation) is read by
 * a sacrificial worker (gd_worker_describe) and re-validated by the host as
 * untrusted input. */
#ifndef GD_WORKER_H
#define GD_WORKER_H

#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "plugin/loader.h"
#include "plugin/wire.h"

typedef struct gd_worker_conf {
    char exe[4096];            /* the gordon-worker program */
    uint32_t deadline_ms;      /* a callback's answer, worker time only */
    uint32_t start_ms;         /* loading the plugin and create() */
    uint64_t address_space_mb; /* RLIMIT_AS of a worker; 0 none */
    uint64_t cpu_seconds;      /* RLIMIT_CPU of a worker; 0 none */
    int cpu;                   /* pin workers to this CPU; -1 not */
    int lock_memory;           /* workers mlockall what they map ([gordon] lock_memory) */
    int rt_priority;           /* started workers run SCHED_FIFO at this; 0 normal */
} gd_worker_conf;

/* Defaults: deadline 50 ms, start 5 s, 1024 MiB, 24 h of CPU; exe found
 * by gd_worker_find_exe. */
void gd_worker_conf_default(gd_worker_conf *c);
/* The worker program: `explicit` if non-empty, else gordon-worker beside the
 * running executable, else the installed one. GD_ENOENT naming what was
 * tried. */
int gd_worker_find_exe(const char *explicit_path, char *out, size_t cap, gd_err *err);

typedef struct gd_worker {
    pid_t pid;   /* 0 when not running */
    int fd;      /* -1 when not running */
    char why[256]; /* why it ended, when it was killed */
    int status;  /* waitpid status once reaped */
    unsigned char buf[GD_WIRE_HDR + GD_WIRE_MAX]; /* the last message received */
    unsigned char out[GD_WIRE_HDR + GD_WIRE_MAX]; /* the message being built */
} gd_worker;

/* Spawns a worker for the plugin file (a private copy the host linted and
 * hashed) and sends it GD_W_LOAD. The caller then reads GD_W_HELLO. */
int gd_worker_spawn(const gd_worker_conf *c, const char *plugin_path, uint32_t load_flags, gd_worker *w,
                    gd_err *err);
int gd_worker_send(gd_worker *w, const gd_wbuf *m, gd_err *err);
/* One message, waiting at most timeout_ms. */
int gd_worker_recv(gd_worker *w, int timeout_ms, gd_rbuf *r, gd_err *err);
/* A started worker (its plugin created) to SCHED_FIFO at c->rt_priority,
 * the loop thread's: a call is then one switch there and one back, not two
 * each way (a woken host no longer preempts the worker before it blocks
 * again, nor a woken worker the host before it has sent every message).
 * The deadline is then the kernel's, in CPU time: RLIMIT_RTTIME (SIGXCPU
 * past the deadline's CPU time without blocking, SIGKILL at twice that);
 * the host's wall-clock wait, which now includes the neighbours it shares
 * the CPU with in FIFO order, becomes a backstop of GD_WORKER_RT_WALL
 * deadlines, so that a neighbour's spin is not blamed on a worker that
 * waited for the CPU. Nothing to do for rt_priority 0; GD_EPERM without the
 * privilege. */
#define GD_WORKER_RT_WALL 4
int gd_worker_realtime(gd_worker *w, const gd_worker_conf *c, uint32_t deadline_ms, gd_err *err);
/* SIGKILL and reap; why is kept in w->why. Safe on a stopped worker. */
void gd_worker_kill(gd_worker *w, const char *why);
/* Asks the worker to destroy its instance and exit, waits up to wait_ms,
 * then kills it. */
void gd_worker_stop(gd_worker *w, uint32_t wait_ms);
/* How the reaped worker ended, for messages ("killed by SIGSYS", "exit 1"). */
void gd_worker_describe_end(const gd_worker *w, char *out, size_t cap);

/* Reads a GD_W_HELLO into a host-owned descriptor: strings, parameter table
 * and callbacks (stand-ins that must never be called in-process) in memory
 * of lib's own, then validated as any descriptor. */
int gd_worker_read_hello(gd_rbuf *r, gd_plugin_lib *lib, uint32_t *callbacks, gd_err *err);

/* `gordon plugin check` and isolated loading: a sacrificial worker loads the
 * plugin and describes it; lib gets the validated descriptor, no code. */
int gd_worker_describe(const gd_worker_conf *c, const char *path, const char *origin, const char *sha256_hex,
                       gd_plugin_lib *lib, gd_err *err);

/* gd_loader_open's counterpart that runs no plugin code here: the file
 * is linted and hashed in this process, then described by a worker. */
int gd_worker_inspect(const gd_worker_conf *c, const char *path, gd_plugin_lib *out, gd_err *err);

#endif
