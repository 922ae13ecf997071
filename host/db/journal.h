/* The journal: an append-only local record of everything the host must not
 * lose (intents, orders, fills, positions, equity points, risk events, the
 * latch), written under state_dir before any order for it leaves, then
 * applied to PostgreSQL by the writer (db/writer.h) and compacted.
 *
 * Files: <dir>/<first seq, 20 digits>.gdj segments, each a run of records
 *   u32 magic "GDJ1" | u32 len | u64 seq | i64 time_ms | u16 type | u16 0 |
 *   u32 crc (CRC-32C of everything before it in the record and of the payload)
 *   payload[len], then zero padding to a multiple of 8
 * (little endian; the magic is the bytes 'G' 'D' 'J' '1'; a 32-byte header,
 * so every record starts 8-aligned); <dir>/applied, the highest sequence
 * number PostgreSQL is known to hold, in decimal and a newline (a hint:
 * applying again is harmless, the writes are idempotent); and <dir>/lock,
 * flock'd by the process that has it open. Other names are ignored.
 * Sequence numbers start at 1, rise by 1 and never repeat for the life of
 * the directory: the newest segment is never removed (even empty, its name
 * is the next number), so the last number survives compaction.
 *
 * Appending copies the record into memory and makes no system call;
 * gd_journal_sync writes and fdatasyncs what was appended (one write and one
 * fdatasync for a batch). Records stay in memory until applied, so the writer
 * reads them without touching the files; the memory is fixed at open
 * (max_bytes, plus an index of an eighth of it) and appending allocates
 * nothing.
 *
 * Not thread-safe: one loop thread owns it. */
#ifndef GD_JOURNAL_H
#define GD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/err.h"

#define GD_JOURNAL_MAX_RECORD (64 * 1024) /* largest payload accepted */

typedef struct gd_journal gd_journal;

typedef struct gd_journal_opts {
    const char *dir;          /* created (0700) if missing */
    size_t max_bytes;         /* memory for unapplied records, headers included (0: 64 MiB;
                                 at least one largest record, 65568) */
    size_t segment_bytes;     /* a segment is closed past this size (0: 8 MiB) */
} gd_journal_opts;

/* What opening found. */
typedef struct gd_journal_recovery {
    uint64_t records;         /* valid records in the segments */
    uint64_t unapplied;       /* of which after the applied mark: loaded for the writer */
    uint64_t last_seq;        /* the newest sequence number (0: none yet) */
    uint64_t applied_seq;     /* the applied mark as read */
    uint64_t torn_bytes;      /* cut off the end of the last segment (a torn last record) */
    char torn_what[160];      /* why: "crc mismatch at offset N (seq S)", ... ("" if none) */
    uint64_t segments;        /* segment files read */
} gd_journal_recovery;

/* One record, as the journal holds it (data points into the journal's
 * memory, valid until the record is marked applied). */
typedef struct gd_jrec {
    uint64_t seq;
    int64_t time_ms;
    uint16_t type;
    uint32_t len;
    const char *data;
} gd_jrec;

/* Opens (or creates) the journal in opts->dir. Every segment is read and
 * checked: a record that is cut short or fails its CRC at the very end of
 * the newest segment, with nothing valid after it, is a torn write (a crash
 * mid-append): the file is truncated before it, it is logged, and rec says
 * what was cut. Damage anywhere else (a bad record followed by a valid one,
 * any bad record in an older segment, a gap or a repeat in the sequence, a
 * segment name that does not match its first record, an applied mark past
 * the last record or before the oldest segment) is not a torn write:
 * GD_EPARSE naming the file, offset and sequence number, and nothing is
 * changed. Unapplied records are loaded into memory (GD_ERANGE if they do
 * not fit in max_bytes). Takes an exclusive lock on the directory
 * (GD_ESTATE if another process, or another open in this one, holds it).
 * rec may be NULL. Segments the applied file covers are removed. */
int gd_journal_open(const gd_journal_opts *opts, gd_journal **out, gd_journal_recovery *rec, gd_err *err);

/* Closes: syncs what is pending and writes the applied mark if it lags
 * (errors are logged), releases the lock. Accepts NULL. */
void gd_journal_close(gd_journal *j);

/* Appends one record in memory; *seq_out gets its sequence number. No
 * system call, no allocation. GD_ERANGE if len > GD_JOURNAL_MAX_RECORD,
 * GD_ENOMEM (no errno: the memory is full of unapplied records) if it does
 * not fit; nothing is appended then. */
int gd_journal_append(gd_journal *j, uint16_t type, int64_t time_ms, const void *data, uint32_t len,
                      uint64_t *seq_out, gd_err *err);

/* Writes every appended record to its segment and fdatasyncs it (opening a
 * new segment, and fsyncing the directory, when the current one is full:
 * a batch is never split, so a segment may pass segment_bytes by one
 * batch). Nothing pending: returns at once, no system call. On GD_EIO the
 * records stay pending and the next sync tries again, first cutting the
 * segment back to its durable length; the durable mark does not move. */
int gd_journal_sync(gd_journal *j, gd_err *err);

/* The same in three steps, so the write and fdatasync can run on another
 * thread while the loop goes on appending: begin (on the loop: what is
 * pending, a new segment if one is due) fills io; io does the write and
 * fdatasync and touches nothing but io and the bytes it names (appended
 * records never move, and are not released before they are durable and
 * applied); end (on the loop) moves the durable mark, or on failure keeps
 * the records pending. One io at a time: begin refuses (GD_ESTATE) while
 * one is out, and so does gd_journal_sync. io->n_iov == 0: nothing to do. */
typedef struct gd_journal_io {
    int fd;
    struct iovec iov[2];
    int n_iov;
    size_t bytes;
    uint64_t from, upto;
    int error;                /* errno of the write or fdatasync, 0 if none */
} gd_journal_io;
int gd_journal_sync_begin(gd_journal *j, gd_journal_io *io, gd_err *err);
void gd_journal_sync_io(gd_journal_io *io);
int gd_journal_sync_end(gd_journal *j, gd_journal_io *io, gd_err *err);

uint64_t gd_journal_last_seq(const gd_journal *j);    /* newest appended (0: none) */
uint64_t gd_journal_durable_seq(const gd_journal *j); /* newest on disk, fdatasync'd */
uint64_t gd_journal_applied_seq(const gd_journal *j); /* newest marked applied */
/* Records appended but not yet applied, and the time_ms of the oldest of
 * them (0 when there is none). */
uint64_t gd_journal_depth(const gd_journal *j);
int64_t gd_journal_oldest_ms(const gd_journal *j);
size_t gd_journal_bytes_used(const gd_journal *j);    /* of max_bytes */

/* Up to max durable records with seq > after, in order, into out; returns
 * how many. Only durable records: nothing reaches PostgreSQL that a crash
 * could still take back. */
size_t gd_journal_read(const gd_journal *j, uint64_t after, gd_jrec *out, size_t max);

/* Every record up to seq is in PostgreSQL: their memory is released, the
 * applied file is rewritten (atomically, at most once a second unless force)
 * and segments wholly applied are removed, except the newest (only once the
 * applied file that covers them is durable). seq beyond the durable mark is
 * an error (GD_EINVAL, nothing changed); seq at or below the applied mark
 * releases nothing. On GD_EIO (the applied file or a removal failed) the
 * memory is released all the same and the files are tried again by a
 * later call (a second on, or at once with force). */
int gd_journal_mark_applied(gd_journal *j, uint64_t seq, int force, gd_err *err);

/* The directory's segments as they are on disk, for `gordon journal`: calls
 * fn (may be NULL) for every valid record of every segment in order, the
 * applied ones too (the torn tail, if any, is reported in rec and not
 * passed; r->data is valid during the call). Checks what gd_journal_open
 * checks (GD_EPARSE on damage, GD_ENOENT when dir does not exist) but opens
 * nothing for writing and takes no lock; a journal being written may show
 * its last record torn. fn returns 0 to go on; anything else stops the scan
 * and is returned (err untouched). */
int gd_journal_scan(const char *dir, int (*fn)(void *arg, const gd_jrec *r), void *arg,
                    gd_journal_recovery *rec, gd_err *err);

#endif
