/* The audit trail's hash chain (<state_dir>/audit.jsonl). Every line is a
 * JSON object that starts {"seq":S,"prev":"H",...}: seq counts 1, 2, ... and
 * H is the lowercase hex SHA-256 of the previous line's exact bytes without
 * its newline (GD_AUDIT_GENESIS before the first). A record edited,
 * removed, inserted, reordered or cut off mid-line breaks the chain at the
 * first line whose seq or prev no longer fits.
 *
 * What a chain cannot show: the newest records removed whole, or the last
 * one edited (nothing after it names its hash), or a rewrite that
 * recomputes every hash from the edit on (SHA-256 has no key; the daemon's
 * own uid can write the file). The daemon logs the head (seq and hash) at
 * start and after every record, so a copy of the logs kept elsewhere
 * anchors it.
 *
 * Two records the store writes itself:
 *  - "audit_chain_start": the first chained record after lines written
 *    before the chain existed (a legacy prefix, accepted only at the start
 *    of the file). It carries "legacy_lines" (how many) and
 *    "legacy_sha256", a fold over them (d0 = genesis, dk = SHA-256 of the
 *    hex of d(k-1) followed by line k), and prev is the hash of the last
 *    of them: an edit to any legacy line is caught from then on.
 *  - "audit_chain_broken": written when the daemon found a break (and
 *    started halted). Its prev is the hash of the last line in the file
 *    (a cut last line is first ended with a newline), its seq one past the
 *    highest seq read. Verification skips from a break to the next such
 *    record whose prev names the line before it and goes on from there, so
 *    the trail stays verifiable after a break, and the break stays visible
 *    (gd_audit_verify reports every break it passes). */
#ifndef GD_AUDIT_H
#define GD_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define GD_AUDIT_GENESIS   "0000000000000000000000000000000000000000000000000000000000000000"
#define GD_AUDIT_EV_START  "audit_chain_start"
#define GD_AUDIT_EV_BROKEN "audit_chain_broken"
/* The longest line the store writes (gd_state_audit refuses longer). A
 * longer line is not ours: verification refuses the file rather than hold
 * an unbounded line in memory. Real records are a few hundred bytes. */
#define GD_AUDIT_LINE_MAX  (64 * 1024)
/* seq goes through a JSON number (a double): kept exact. */
#define GD_AUDIT_SEQ_MAX   9007199254740992ull /* 2^53 */

/* What a verification found, and where the chain goes on from. */
typedef struct gd_audit_tail {
    uint64_t lines;       /* lines in the file, a cut last line included */
    uint64_t legacy;      /* lines before the chain began (see above) */
    char legacy_sha[65];  /* the fold over them */
    int sealed;           /* a chained record follows the legacy lines */
    uint64_t seq;         /* the next record gets seq + 1 */
    char prev[65];        /* SHA-256 of the last line: the next record's prev */
    int partial;          /* the file does not end in a newline */
    uint64_t breaks;      /* breaks found, recorded after them or not */
    uint64_t break_line;  /* the first break no record acknowledges; 0: none */
    char break_what[320]; /* what is wrong there (without the line number) */
} gd_audit_tail;

enum {
    GD_AUDIT_NOTE_BREAK = 1,
    GD_AUDIT_NOTE_ACK = 2
};

/* Called for every break (line, what is wrong) and every
 * audit_chain_broken record the chain goes on from (line, ""), in file
 * order. */
typedef void (*gd_audit_note_fn)(void *arg, int kind, uint64_t line, const char *what);

/* Reads the trail at path line by line (memory bounded by
 * GD_AUDIT_LINE_MAX) and checks the chain. A file that does not exist is
 * an empty trail. Returns 0 whether or not the chain holds: out says
 * (out->break_line); note may be NULL. Errors: GD_EIO (cannot read, a
 * symbolic link, not a regular file), GD_ERANGE (a line longer than
 * GD_AUDIT_LINE_MAX, or seq exhausted), GD_ENOMEM; err names path:line. */
int gd_audit_verify(const char *path, gd_audit_tail *out, gd_audit_note_fn note, void *arg, gd_err *err);

/* Advances tail past a line just appended (bytes without the newline). */
void gd_audit_advance(gd_audit_tail *tail, uint64_t seq, const char *line, size_t len);

#endif
