/* The intent log: one record per signal, accepted or rejected. An interface,
 * so a PostgreSQL store can replace the JSON-lines file without touching the
 * pipeline. The JSON-lines writer buffers in memory and writes between bar
 * batches, never per bar. */
#ifndef GD_INTENTLOG_H
#define GD_INTENTLOG_H

#include <stddef.h>

#include <uv.h>

#include "base/err.h"
#include "risk/pipeline.h"

typedef struct gd_intentlog_ops {
    /* strategy/symbol names are resolved by the caller. */
    int (*record)(void *self, const gd_intent *it, const char *strategy, const char *symbol);
    int (*flush)(void *self, gd_err *err); /* in the file when it returns 0 (see gd_intentlog_jsonl_open) */
    void (*close)(void *self);
} gd_intentlog_ops;

typedef struct gd_intentlog {
    const gd_intentlog_ops *ops;
    void *self;
} gd_intentlog;

/* Opens path for JSON lines. durable: append to what is there (a daemon
 * never erases its record) and fdatasync what a flush wrote: on loop's
 * threadpool when loop is given (the lines are in the file when the flush
 * returns, on the disk a moment later; the loop never waits for the disk),
 * in the flush otherwise. Not durable: truncate (a backtest writes a fresh
 * log per run) and only write. */
int gd_intentlog_jsonl_open(const char *path, int durable, uv_loop_t *loop, gd_intentlog *out, gd_err *err);

/* Formats one intent as a JSON object (no newline); returns its length or
 * the length needed, like snprintf. */
size_t gd_intent_format(char *buf, size_t cap, const gd_intent *it, const char *strategy,
                        const char *symbol);

#endif
