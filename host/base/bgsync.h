/* fdatasync off the loop's thread. A file the loop appends to (the audit
 * trail, the intent log, the venue's ledger) is synced on libuv's
 * threadpool: one sync at a time, and one more if lines came while it ran,
 * so the loop never waits for the disk (a sync under write load takes tens
 * to hundreds of milliseconds, and the operator API waits with the loop).
 * What was written is in the page cache at once: a killed process loses
 * none of it; only the machine's crash can lose the last few. */
#ifndef GD_BGSYNC_H
#define GD_BGSYNC_H

#include <stdint.h>

#include <uv.h>

#include "base/err.h"

typedef struct gd_bgsync gd_bgsync;

/* Syncs for fd, which is the caller's to write and this object's to close
 * (gd_bgsync_close). With loop NULL every kick syncs in the call. component
 * and what (the file, for people) name the log lines of a failed sync. */
int gd_bgsync_new(uv_loop_t *loop, int fd, const char *component, const char *what, gd_bgsync **out, gd_err *err);

/* Something was appended: it gets synced (with no loop, now). Returns
 * GD_EIO, err saying why, while the last sync that ended failed (it is
 * tried again with this one); 0 otherwise. */
int gd_bgsync_kick(gd_bgsync *s, gd_err *err);

/* Syncs that failed so far (each logged when the failures start, and when
 * they end). */
uint64_t gd_bgsync_failures(const gd_bgsync *s);

/* The owner is done: the file is synced (in the call, or when a sync is on
 * the threadpool, after it, by its callback, so the loop must run again),
 * then fd is closed and s freed. Once the loop has closed, write the last
 * lines and close without a kick. NULL is ignored. */
void gd_bgsync_close(gd_bgsync *s);

#endif
