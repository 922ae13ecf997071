/* Durable host state that must survive a crash: the halt latch, and the
 * audit trail of risk events. A file store now (written to a temp file,
 * fsync'd, renamed, directory fsync'd); PostgreSQL implements the same
 * operations later. */
#ifndef GD_STATE_H
#define GD_STATE_H

#include <stdint.h>

#include "base/err.h"

typedef struct gd_latch {
    int halted;
    char who[96];       /* "breaker.dd", "operator:ab12cd34", ... */
    char why[256];
    int64_t since_ms;   /* wall clock */
} gd_latch;

typedef struct gd_state {
    char *dir;          /* owned */
    gd_latch latch;
    int audit_fd;       /* <dir>/audit.jsonl, append only */
} gd_state;

/* Opens (creating) dir and loads <dir>/latch.json if present. A latch file
 * that cannot be parsed is an error naming the file, never "not halted". */
int gd_state_open(const char *dir, gd_state *st, gd_err *err);
/* Safe after a failed gd_state_open, and twice. */
void gd_state_close(gd_state *st);

/* Durably records a new latch value before returning 0. On failure
 * st->latch keeps its old value (the caller still enforces a halt it asked
 * for); a leftover latch.json.tmp never counts. */
int gd_state_set_latch(gd_state *st, const gd_latch *l, gd_err *err);

/* Appends one audit event as a JSON line and fsyncs it: event is "trip",
 * "halt", "resume", "resume_refused", "flatten", ...; fields_json is NULL or
 * extra JSON members without braces. The line is
 * {"ts_ms":at_ms,"event":..,"who":..,"why":..,<fields_json>}; fields_json
 * that does not parse as members (or has a newline) is GD_EINVAL. */
int gd_state_audit(gd_state *st, const char *event, const char *who, const char *why, int64_t at_ms,
                   const char *fields_json, gd_err *err);

#endif
