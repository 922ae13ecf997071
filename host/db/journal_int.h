/* Private to db/: the journal's file format (journal_file.c) as the memory
 * side (journal.c) uses it. Records in memory are byte for byte what is on
 * disk, so one encoder and one checker serve both. */
#ifndef GD_JOURNAL_INT_H
#define GD_JOURNAL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "db/journal.h"

#define GD_JHDR        32          /* magic, len, seq, time_ms, type, 0, crc */
#define GD_JMAGIC      0x314A4447u /* "GDJ1" as bytes on disk, read little endian */
#define GD_JSEG_SUFFIX ".gdj"
#define GD_JSEG_DIGITS 20 /* the largest uint64_t has 20 decimal digits */
#define GD_JAPPLIED    "applied"
#define GD_JLOCK       "lock"

/* A record's size in the file and in memory: header, payload, zero padding
 * to a multiple of 8 (so every header is 8-aligned). */
static inline size_t gd_jrec_size(uint32_t len) { return GD_JHDR + (((size_t)len + 7) & ~(size_t)7); }

/* CRC-32C (Castagnoli), chainable: gd_crc32c(gd_crc32c(0, a, n), b, m) is
 * the CRC of a then b. gd_crc32c(0, "123456789", 9) == 0xE3069283. With
 * the CPU's instruction where there is one; _portable is the table that
 * runs elsewhere (both are tested, so both are declared). */
uint32_t gd_crc32c(uint32_t crc, const void *p, size_t n);
uint32_t gd_crc32c_portable(uint32_t crc, const void *p, size_t n);

/* Writes the whole record (gd_jrec_size(len) bytes) at dst. */
void gd_jrec_encode(unsigned char *dst, uint64_t seq, int64_t time_ms, uint16_t type, const void *data, uint32_t len);

/* The record at p (8-aligned, trusted: written by gd_jrec_encode or checked
 * by gd_jrec_check); r->data points into p. */
void gd_jrec_decode(const unsigned char *p, gd_jrec *r);

/* Checks the record at p with avail bytes after it: its size, or 0 with
 * why ("bad magic", "crc mismatch", ...) and r->seq set when the header
 * was readable (else 0). */
size_t gd_jrec_check(const unsigned char *p, size_t avail, gd_jrec *r, const char **why);

/* <dir>/<first, 20 digits>.gdj into buf: 0 or GD_ERANGE (too long). */
int gd_jseg_path(char *buf, size_t cap, const char *dir, uint64_t first, gd_err *err);

/* The applied mark: 0 when the file is missing, GD_EPARSE naming it when it
 * is not one decimal number (and a newline). */
int gd_japplied_read(const char *dir, uint64_t *out, gd_err *err);

/* Writes the applied mark: a temporary file, fsync, rename, fsync of dir. */
int gd_japplied_write(const char *dir, uint64_t seq, gd_err *err);

int gd_jfsync_dir(const char *dir, gd_err *err);

/* What a scan of the directory found. */
typedef struct gd_jscan {
    uint64_t *segs; /* owned: each segment's first seq, in order */
    size_t n_segs;
    uint64_t first_seq; /* the oldest segment's first seq (0: no segment) */
    uint64_t last_seq;  /* the newest record's seq (or the empty newest segment's name - 1) */
    uint64_t records;
    uint64_t applied;
    size_t newest_len; /* the newest segment's length without its torn tail */
    uint64_t torn_bytes;
    char torn_what[160];
} gd_jscan;

/* Called for every valid record in order; raw is the whole record
 * (gd_jrec_size(r->len) bytes, valid during the call). 0 to go on; anything
 * else stops the scan and is returned. */
typedef int (*gd_jscan_fn)(void *arg, const gd_jrec *r, const unsigned char *raw, gd_err *err);

/* Reads the applied mark and every segment, checks all of it (see
 * gd_journal_open) and changes nothing: a torn tail is only reported. On
 * success the caller frees s with gd_jscan_free, also on failure (it is
 * then empty or partly filled). */
int gd_jscan_dir(const char *dir, gd_jscan_fn fn, void *arg, gd_jscan *s, gd_err *err);
void gd_jscan_free(gd_jscan *s);

#endif
