/* The bar store: one symbol's bars in a compact binary, columnar file, for
 * data too large to parse as CSV on every run (`gordon data import`).
 * Replay and ablation read it wherever they read CSV (gd_csv_load_opts
 * recognises it by its magic), memory-mapped and checked as untrusted.
 *
 * Layout, little-endian, 128-byte header then six columns of count values:
 *   "GDBARS\0\1", u32 version (1), u32 header size (128), char symbol[32]
 *   (NUL-padded), i64 interval_ms, u64 count, u64 checksum (FNV-1a 64 over
 *   the six column hashes, each FNV-1a 64 over its column's 64-bit
 *   little-endian words), zero padding;
 *   i64 open_time_ms[count]; f64 open[count], high[], low[], close[], volume[].
 * A file is valid only if its size is exactly header + 48 x count, the
 * checksum matches, and every bar keeps the CSV's rules (times strictly
 * increasing within years 1..9999 and on the interval, prices finite and
 * > 0, low <= open, close <= high, volume >= 0): a damaged or forged file
 * is an error naming the file and the bar, never a silent replay. */
#ifndef GD_STORE_H
#define GD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "data/replay.h"

#define GD_STORE_MAGIC       "GDBARS\0\1"
#define GD_STORE_HEADER_SIZE 128u

/* The header's checksum of n bars' columns at cols (n x 48 bytes). */
uint64_t gd_store_checksum(const void *cols, uint64_t n);
/* 1 if the len bytes at p start like a bar store. */
int gd_store_is(const void *p, size_t len);
/* Reads the store at buf (len bytes) as the file at path, for symbol. */
int gd_store_parse(const char *path, const char *symbol, const void *buf, size_t len, gd_series *out, gd_err *err);
/* `gordon data import`: the CSV at in (layout "csv": open_time_ms,open,
 * high,low,close,volume; "binance": Binance's public kline archive, whose
 * first six columns are those and the rest are ignored) for symbol, given
 * interval_ms (0: inferred), written as the store at out. *n_bars: how many. */
int gd_store_import(const char *in, const char *symbol, const char *layout, int64_t interval_ms, const char *out,
                    size_t *n_bars, gd_err *err);
/* Writes s (interval set) to path, mode 0644: beside, then renamed. */
int gd_store_write(const gd_series *s, const char *path, gd_err *err);

#endif
