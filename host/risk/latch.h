/* The halt latch as the host holds it: set by breakers, operators and
 * flatten, cleared only by an operator, persisted through the state store,
 * and every change audited. While it is set no entry is accepted. */
#ifndef GD_LATCH_H
#define GD_LATCH_H

#include <stdint.h>

#include "base/err.h"
#include "risk/state.h"

typedef struct gd_halt {
    int halted;
    char who[96];        /* who set it: "breaker.dd", "operator:ab12cd34" */
    char why[256];       /* as given */
    char reason[160];    /* "who: why", for people */
    int64_t since_ms;    /* wall clock */
    gd_state *state;     /* borrowed; NULL: not persisted (backtests) */
    int persisted;       /* the store holds what memory says (0 without a store) */
    char store_error[200]; /* why the last write failed, "" when it did not */
    uint64_t write_failures; /* latch and audit writes that failed */
    /* Told of every audited event after the state store (the engine journals
     * them for the database); NULL: nobody. */
    void (*on_event)(void *arg, const char *event, const char *who, const char *why, const char *fields);
    void *event_arg;
} gd_halt;

/* Takes a persisted latch over from st (a halted store halts us) and
 * persists every change from now on. st may be NULL. */
void gd_halt_attach(gd_halt *h, gd_state *st);

/* Sets the latch. It is set in memory first, whatever happens to the disk:
 * no entry gets through from here on. Returns 0 only once it is durable;
 * GD_EIO (with the reason, also kept in store_error) if it could not be
 * persisted, and then gd_halt_sync retries. Setting it again while it is
 * set and not yet durable retries the write. bar_ms is the engine's clock,
 * for the audit. */
int gd_halt_set(gd_halt *h, const char *who, const char *why, int64_t bar_ms, gd_err *err);

/* Writes the in-memory latch to the store if the store is behind (after a
 * failed write). 0 when they agree (or there is no store). */
int gd_halt_sync(gd_halt *h, gd_err *err);

/* Clears the latch, audited as event ("resume", "resume_forced"). Not
 * cleared in memory unless it is cleared on disk too (GD_EIO). */
int gd_halt_clear(gd_halt *h, const char *event, const char *who, const char *why, int64_t bar_ms, gd_err *err);

/* An audit event: a warning log line and, with a store, a durable record.
 * fields is NULL or extra JSON members without braces. */
void gd_halt_audit(const gd_halt *h, const char *event, const char *who, const char *why, int64_t bar_ms,
                   const char *fields);

#endif
