/* Durable host state that must survive a crash: the halt latch, and the
 * audit trail of risk events. A file store now (written to a temp file,
 * fsync'd, renamed, directory fsync'd); PostgreSQL implements the same
 * operations later. */
#ifndef GD_STATE_H
#define GD_STATE_H

#include <stdint.h>

#include "err.h"

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
void gd_state_close(gd_state *st);

/* Durably records a new latch value before returning 0. */
int gd_state_set_latch(gd_state *st, const gd_latch *l, gd_err *err);

/* Appends one audit event as a JSON line and fsyncs it: event is "trip",
 * "halt", "resume", "resume_refused", "flatten", ...; fields_json is NULL or
 * extra JSON members without braces. */
int gd_state_audit(gd_state *st, const char *event, const char *who, const char *why, int64_t at_ms,
                   const char *fields_json, gd_err *err);

#endif
