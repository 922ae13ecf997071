/* The journal queue: what the trading loop hands to the database thread.
 * One producer (the loop) reserves room, writes a record's packed arguments
 * (db/record.h) and commits; one consumer (the database thread) peeks and
 * pops them in order, formats them and appends them to the journal. So the
 * loop pays a copy per record, not the formatting, the journal's CRC or the
 * writer. An event's records may share one entry (GD_REC_GROUP, and a
 * fill's records are one, GD_REC_FILLEV, db/record.h): the counts here are
 * of entries.
 *
 * A byte ring of fixed size, faulted in at creation: pushing allocates
 * nothing, takes no lock and makes no system call (the two positions are
 * atomics; each side writes only its own). Not for more than one producer
 * or more than one consumer. */
#ifndef GD_JQ_H
#define GD_JQ_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct gd_jq gd_jq;

/* What the database thread publishes of its journal, for the loop's db
 * breaker (gd_journal_last_seq, ..., a few milliseconds old at most). */
typedef struct gd_jpub {
    _Atomic uint64_t last_seq, applied_seq, depth, bytes;
    _Atomic int full; /* the journal has no room: records wait in the queue */
} gd_jpub;

/* cap: bytes of records and their 16-byte headers (rounded down to a
 * power of two; at least 64 KiB). */
int gd_jq_new(size_t cap, gd_jq **out, gd_err *err);
void gd_jq_free(gd_jq *q); /* accepts NULL */

/* Producer. Room for len bytes (8-aligned), or NULL when the queue has not
 * that much free; nothing is visible to the consumer before commit. */
void *gd_jq_reserve(gd_jq *q, size_t len);
/* Publishes the record reserved last (len as reserved, or less). */
void gd_jq_commit(gd_jq *q, uint16_t type, int64_t time_ms, size_t len);

/* 1 once per eighth of the ring committed since it last said so: time to
 * wake the consumer (the producer's own flag, cleared by reading it). */
int gd_jq_take_hint(gd_jq *q);
/* The producer's view, from the consumer's position as last read: upper
 * bounds of the bytes used and of the records queued, without touching the
 * consumer's cache lines; gd_jq_refresh reads them anew. */
size_t gd_jq_used_upper(const gd_jq *q);
uint64_t gd_jq_count_upper(const gd_jq *q);
void gd_jq_refresh(gd_jq *q);

/* Either side. */
size_t gd_jq_cap(const gd_jq *q);
size_t gd_jq_used(const gd_jq *q);     /* bytes in the ring, headers and padding included */
uint64_t gd_jq_pushed(const gd_jq *q); /* records committed, ever */
uint64_t gd_jq_popped(const gd_jq *q); /* records popped, ever */

/* Consumer. The oldest record (data valid until gd_jq_pop), or NULL when
 * there is none. */
const void *gd_jq_peek(gd_jq *q, uint16_t *type, int64_t *time_ms, size_t *len);
void gd_jq_pop(gd_jq *q);

#endif
