/* The venue executor's ledger: what gordon has on the venue, kept under
 * state_dir so a restart (or a kill -9) finds its orders and positions by
 * their client ids instead of meeting them as strangers.
 *
 * <state_dir>/venue.ledger, JSON lines, append only:
 *   {"t":"entry","id":N,"strategy":S,"symbol":Y,"side":1|-1,"qty":Q,"stop":P,"tp":P,"ref":P,"at":MS}
 *     written before the entry g<N>-e leaves;
 *   {"t":"fill","id":N,"filled":Q,"avg":P}  the entry fill the host was told of, in total;
 *   {"t":"close","id":N,"close":M,"kind":"x|f|c"}  before the close g<M>-<kind> leaves;
 *   {"t":"flat","id":N}  the position (or an entry that never filled) is done.
 * Each line is one write(): a kill -9 cannot lose a line that was written
 * before the request it names was sent. fdatasync follows on libuv's
 * threadpool (a power loss can lose the newest lines: the venue's own
 * listing is then the fallback, see exec.c). Opening reads the file (a torn
 * last line, from a crash mid-write, is dropped and logged; a bad line
 * anywhere else is an error naming file and line), keeps the records not
 * yet flat, and rewrites the file with only those (durably, by rename).
 *
 * Not thread-safe: the loop's thread owns it. */
#ifndef GD_VENUE_LEDGER_H
#define GD_VENUE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "base/names.h"

#define GD_VLEDGER_MAX_OPEN 1024 /* records not flat; a file with more is refused */
#define GD_VLEDGER_LINE_MAX 1024

typedef struct gd_vledger gd_vledger;

typedef struct gd_vledger_rec {
    uint64_t id; /* the entry's intent: names g<id>-e, -s, -t */
    char strategy[GD_NAME_MAX + 1];
    char symbol[32];
    int side; /* 1 long, -1 short */
    double qty, stop, tp, ref;
    int64_t at_ms;      /* wall clock when the entry went */
    double filled, avg; /* the entry fill the host was told of */
    uint64_t close_id;  /* the newest close order's intent, 0 if none */
    char close_kind;    /* its kind: 'x', 'f' or 'c' */
    int line;           /* where the record began in the file read at open (0: this run's) */
} gd_vledger_rec;

/* Opens (creating if missing, mode 0600) and compacts the ledger at path.
 * loop may be NULL: each line is then fdatasync'd in the call. */
int gd_vledger_open(const char *path, uv_loop_t *loop, gd_vledger **out, gd_err *err);

/* Syncs what is written and frees l (a sync still on the threadpool ends
 * with its callback). NULL is a no-op. */
void gd_vledger_free(gd_vledger *l);

const char *gd_vledger_path(const gd_vledger *l);

/* The records not flat, in the order they were entered. The pointer is
 * valid until the next call that changes the ledger. */
size_t gd_vledger_count(const gd_vledger *l);
const gd_vledger_rec *gd_vledger_at(const gd_vledger *l, size_t i);
const gd_vledger_rec *gd_vledger_find(const gd_vledger *l, uint64_t id);

/* Each writes its line (see above) and updates the record. An error means
 * the line is not in the file: the caller must not send what it names. */
int gd_vledger_entry(gd_vledger *l, const gd_vledger_rec *r, gd_err *err);
int gd_vledger_fill(gd_vledger *l, uint64_t id, double filled, double avg, gd_err *err);
int gd_vledger_close(gd_vledger *l, uint64_t id, uint64_t close_id, char kind, gd_err *err);
int gd_vledger_flat(gd_vledger *l, uint64_t id, gd_err *err);

#endif
