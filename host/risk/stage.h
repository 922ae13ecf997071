/* The pre-live stage on record (issue 16): <state_dir>/stage.json, the
 * stage this installation has been promoted to (testnet when nothing is on
 * record) and the history of promotions and demotions. A configuration's
 * [gordon] stage above the one on record refuses to start. Promotions come
 * only from `gordon promote` (after preflight); a demotion is always
 * allowed (`gordon stage demote`). The file is replaced atomically and
 * durably; a damaged one is an error naming it, never "testnet". */
#ifndef GD_STAGE_H
#define GD_STAGE_H

#include <stdint.h>

#include "base/err.h"

#define GD_STAGE_HISTORY 64

typedef struct gd_stage_entry {
    int rank;      /* GD_STAGE_* (config/config.h) */
    int64_t at_ms; /* wall clock */
    char by[96];   /* "cli:root", "operator:ab12cd34" */
    char why[256];
} gd_stage_entry;

typedef struct gd_stage_rec {
    gd_stage_entry cur;                    /* testnet, at 0, when nothing is on record */
    gd_stage_entry hist[GD_STAGE_HISTORY]; /* oldest first; the newest is cur */
    uint32_t n_hist;
    int on_record; /* 0: no stage.json */
} gd_stage_rec;

/* Reads dir/stage.json. */
int gd_stage_load(const char *dir, gd_stage_rec *out, gd_err *err);

/* Records rank as the stage now (appended to the history, the oldest
 * dropped past GD_STAGE_HISTORY) and writes the file durably; *rec is
 * changed only when the write succeeded. */
int gd_stage_record(const char *dir, gd_stage_rec *rec, int rank, const char *by, const char *why, int64_t now_ms,
                    gd_err *err);

/* 0 when a configuration at stage rank may start with rec on record, else
 * GD_EPERM naming the missing promotion. */
int gd_stage_allows(const gd_stage_rec *rec, int rank, const char *dir, gd_err *err);

#endif
