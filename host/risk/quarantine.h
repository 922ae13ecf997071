/* Per-strategy quarantine (issue 16): strategies an operator (or the host,
 * after a stop it could not keep working) took out of trading. A
 * quarantined strategy's new entries are refused; its exits, stops and
 * flattens go on. The list is durable: <state_dir>/quarantine.json,
 * replaced atomically, read back at start, so a restart keeps it. */
#ifndef GD_QUARANTINE_H
#define GD_QUARANTINE_H

#include <stdint.h>

#include "base/err.h"
#include "base/names.h"

#define GD_QUARANTINE_MAX 64

typedef struct gd_qentry {
    char name[GD_NAME_MAX + 1]; /* the strategy instance */
    char who[96];               /* "operator:ab12cd34", "host" */
    char why[256];
    int64_t since_ms; /* wall clock */
} gd_qentry;

typedef struct gd_qlist {
    gd_qentry e[GD_QUARANTINE_MAX];
    uint32_t n;
} gd_qlist;

/* Reads dir/quarantine.json into *out (empty when the file does not
 * exist). A file that is not the list (bad JSON, a bad name, more than
 * GD_QUARANTINE_MAX entries, a name twice) is an error naming it and the
 * field: never an empty list. */
int gd_qlist_load(const char *dir, gd_qlist *out, gd_err *err);

/* Writes q durably (temp file, fsync, rename, directory fsync). */
int gd_qlist_save(const char *dir, const gd_qlist *q, gd_err *err);

/* The entry for name, or NULL. */
const gd_qentry *gd_qlist_find(const gd_qlist *q, const char *name);

/* Adds (or, if present, leaves) name; GD_ERANGE when full, GD_EINVAL for a
 * bad name. Removes name (0 when it was not there). */
int gd_qlist_add(gd_qlist *q, const char *name, const char *who, const char *why, int64_t since_ms, gd_err *err);
void gd_qlist_remove(gd_qlist *q, const char *name);

#endif
