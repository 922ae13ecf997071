/* Durable host state that must survive a crash: the halt latch, the audit
 * trail of risk events and the intent-id sequence. A file store now (written to a temp file,
 * fsync'd, renamed, directory fsync'd); PostgreSQL implements the same
 * operations later. */
#ifndef GD_STATE_H
#define GD_STATE_H

#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "risk/audit.h"

typedef struct gd_latch {
    int halted;
    char who[96];       /* "breaker.dd", "operator:ab12cd34", ... */
    char why[256];
    int64_t since_ms;   /* wall clock */
} gd_latch;

typedef struct gd_state {
    char *dir;          /* owned */
    gd_latch latch;     /* the last committed value */
    int audit_fd;       /* <dir>/audit.jsonl, append only; -1 when inspecting */
    int lock_fd;        /* <dir>/lock, flock'd for the life of the owner; -1 when inspecting */
    uint64_t next_id;   /* intent ids below this may have been used: a run starts here */
    long holder_pid;    /* inspecting: the pid that owns the store now, 0 if none */
    /* The audit trail as gd_state_open verified it, and where the chain goes
     * on (kept current by gd_state_audit). audit.break_line stays what
     * opening found: non-zero means the chain was broken there. */
    gd_audit_tail audit;
    struct gd_bgsync *sync; /* owned: audit fdatasyncs off the loop (NULL: in the call) */
} gd_state;

enum {
    GD_STATE_OWN = 0,     /* the daemon: lock it (one owner per directory) and append to it */
    GD_STATE_INSPECT = 1  /* `gordon check`: read and validate only, take no lock */
};

/* Opens an existing state directory: it is never created here (a typo in
 * state_dir must fail, not start a fresh, un-halted store; see
 * gd_state_init). Loads <dir>/latch.json and <dir>/ids.json if present; a
 * file that cannot be parsed, has duplicate keys or is a symbolic link is an
 * error naming it, never "not halted". GD_STATE_OWN takes an exclusive lock
 * on <dir>/lock (with our pid in it): a second daemon on the same directory
 * gets GD_ESTATE naming the holder's pid.
 *
 * Both modes read and verify the whole audit trail (gd_audit_verify) into
 * st->audit; a trail that cannot be read is an error. A broken chain is
 * not: the store opens and st->audit.break_line names the line (and
 * break_what what is wrong there), so the caller can say so. With
 * GD_STATE_OWN the store then halts itself before returning: the latch is
 * set durably (who "state", why naming the line), then an
 * "audit_chain_broken" record is appended, chained to the last line read,
 * so a daemon opening it starts halted, an operator must resume it, and the
 * trail verifies again from that record on. If either write fails the open
 * fails (GD_EIO), and the next open finds the same break. Lines written
 * before the chain existed are sealed by an "audit_chain_start" record
 * (see risk/audit.h). */
int gd_state_open(const char *dir, int mode, gd_state *st, gd_err *err);
/* Safe after a failed gd_state_open, and twice. Releases the lock. */
void gd_state_close(gd_state *st);

/* `gordon init`: creates dir (0700, parents as needed) as an empty store
 * with an empty audit trail.
 * An existing store is left as it is (0); an existing directory that is not
 * empty and not a store is refused. */
int gd_state_init(const char *dir, gd_err *err);

/* Durably raises the intent-id high-water mark to upto (ids below it may be
 * used from now on, and never again after a restart). */
int gd_state_reserve_ids(gd_state *st, uint64_t upto, gd_err *err);

/* Writes, fsyncs and removes a probe file: 0 only if the store can take a
 * write now (a full or read-only disk fails here, not at the next halt). */
int gd_state_probe(const gd_state *st, gd_err *err);

/* Durably records a new latch value before returning 0. On failure
 * st->latch keeps its old value (the caller still enforces a halt it asked
 * for); a leftover latch.json.tmp never counts. */
int gd_state_set_latch(gd_state *st, const gd_latch *l, gd_err *err);

/* Audit fdatasyncs go to libuv's threadpool from now on, batched: an append
 * is in the file when gd_state_audit returns (a crash of the process loses
 * nothing) and on the disk a moment later, without the loop waiting on it
 * (an operator's flatten must answer within 100 ms whatever the disk
 * does). The latch is still written durably before its call returns.
 * gd_state_close, after the loop has finished, syncs what is left. */
int gd_state_sync_on_loop(gd_state *st, uv_loop_t *loop, gd_err *err);
/* Audit fdatasyncs that failed (logged as they happen). */
uint64_t gd_state_sync_failures(const gd_state *st);

/* Appends one audit event as a JSON line and fsyncs it (or has it synced,
 * see gd_state_sync_on_loop): event is "trip",
 * "halt", "resume", "resume_refused", "flatten", ...; fields_json is NULL or
 * extra JSON members without braces. The line is
 * {"seq":..,"prev":..,"ts_ms":at_ms,"event":..,"who":..,"why":..,<fields_json>}
 * (seq and prev continue the hash chain, see risk/audit.h); fields_json
 * that does not parse as members, has a newline or names one of those keys
 * is GD_EINVAL; a line longer than GD_AUDIT_LINE_MAX is GD_ERANGE. */
int gd_state_audit(gd_state *st, const char *event, const char *who, const char *why, int64_t at_ms,
                   const char *fields_json, gd_err *err);

#endif
