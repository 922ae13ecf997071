/* Running an external program to completion (pg_dump, pg_restore, restic)
 * for a command, never on the loop: posix_spawnp with no shell and an
 * environment the caller builds from nothing, stdin from /dev/null, stdout
 * into a file or captured (bounded), the end of stderr kept for the error
 * message, every other descriptor closed, and a deadline after which the
 * child is killed. Secrets travel in the child's environment (readable by
 * its own user only), never in argv (world-readable in /proc). */
#ifndef GD_SPAWN_H
#define GD_SPAWN_H

#include <stddef.h>

#include "base/err.h"

/* The end of a child's stderr kept for messages. */
#define GD_SPAWN_TAIL 1024

/* A child environment: "K=V" strings, NULL-terminated (v[n] == NULL). */
typedef struct gd_envv {
    char **v; /* owned, each string owned */
    size_t n, cap;
    int failed; /* an allocation failed: gd_envv_check reports it */
} gd_envv;

#define GD_ENVV_INIT  \
    {                 \
        NULL, 0, 0, 0 \
    }

/* Adds name=value (a later add of the same name does not replace it: add
 * each once). */
void gd_envv_set(gd_envv *e, const char *name, const char *value);
/* Copies name from this process's environment, if it is set. */
void gd_envv_pass(gd_envv *e, const char *name);
/* Copies every variable whose name starts with prefix. */
void gd_envv_pass_prefix(gd_envv *e, const char *prefix);
/* 0, or GD_ENOMEM if anything could not be added. */
int gd_envv_check(const gd_envv *e, gd_err *err);
/* The array for posix_spawn (an empty one when nothing was added). */
char *const *gd_envv_get(const gd_envv *e);
void gd_envv_free(gd_envv *e);

typedef struct gd_spawn_opts {
    const char *label;  /* the child's name in messages ("restic backup"; NULL: argv[0]) */
    const char *cwd;    /* the child's working directory (NULL: ours) */
    int out_fd;         /* >= 0: the child's stdout; -1: captured into the result */
    size_t out_max;     /* a captured stdout longer than this is an error (0: 1 MiB) */
    double timeout_ms;  /* > 0: the child is killed after this long */
    const char *redact; /* a secret replaced by *** wherever it shows in the stderr kept (may be NULL) */
} gd_spawn_opts;

typedef struct gd_spawn_result {
    int status; /* the exit status, or 128 + the signal that ended it */
    char *out;  /* owned: the captured stdout, NUL-terminated (NULL with out_fd) */
    size_t out_len;
    char tail[GD_SPAWN_TAIL]; /* the end of stderr, on one line */
} gd_spawn_result;

/* Runs argv[0] (looked up in PATH) with envp and waits for it. 0 when it
 * exited with status 0. Otherwise: GD_EIO (it could not be started, or it
 * failed: err says "NAME exited with status N: <stderr tail>" or "killed by
 * signal"), GD_ETIMEDOUT (killed at the deadline), GD_ERANGE (its stdout
 * passed out_max; killed), GD_ECANCELED (a signal trapped by
 * gd_spawn_trap_signals arrived; killed). The result is filled in on every
 * path; free it with gd_spawn_result_free. */
int gd_spawn_run(char *const argv[], char *const envp[], const gd_spawn_opts *o, gd_spawn_result *r, gd_err *err);
void gd_spawn_result_free(gd_spawn_result *r);

/* A new private directory (0700) for a child's files: $TMPDIR (or /tmp)
 * /<prefix>.XXXXXX, into out. The caller removes it. */
int gd_spawn_tmpdir(const char *prefix, char *out, size_t cap, gd_err *err);

/* SIGINT, SIGTERM and SIGHUP no longer end this process: they set a flag
 * that a running gd_spawn_run sees (it kills its child and returns
 * GD_ECANCELED), so a command interrupted mid-way still cleans up (temp
 * files, a scratch database). For commands, not the daemon. */
int gd_spawn_trap_signals(gd_err *err);
/* 1 once a trapped signal arrived. */
int gd_spawn_canceled(void);

#endif
