/* An ablation as the row `gordon ablate --record` writes to
 * trading.ablation_runs (db/record_run.h does the writing).
 *
 * run_id is the SHA-256 of what decides the result: the host version (with
 * git describe), the configuration (config_sha256), each plugin's .so hash
 * and the data's hash. The ablation is deterministic (the same at any
 * --jobs), so the same run_id means the same run, and recording it again is
 * idempotent; --jobs, --out and the paths of the plugins are not part of it.
 *
 * The row's fields:
 *   config       the sections the ablation reads ([gordon], [risk],
 *                [executor], [replay], [instrument.*], plugin sections,
 *                [ablate]) as gd_config_json gives them: never a secret
 *   config_sha256  SHA-256 of that JSON text
 *   plugins      {"strategy.ema": SHA-256 of the .so loaded, ...}
 *   data_sha256  gd_ab_result.data_sha256
 *   metrics      ablation.json's content, without the config file's path
 *                and the plugins' paths (not results; a re-run from
 *                elsewhere compares equal) */
#ifndef GD_AB_RECORD_H
#define GD_AB_RECORD_H

#include "ablate/ablate.h"
#include "base/err.h"
#include "config/config.h"
#include "db/record_run.h"

#define GD_AB_RECORD_SECTIONS                                                                                      \
    (GD_CFG_JSON_GORDON | GD_CFG_JSON_RISK | GD_CFG_JSON_EXECUTOR | GD_CFG_JSON_REPLAY | GD_CFG_JSON_INSTRUMENTS | \
     GD_CFG_JSON_PLUGINS | GD_CFG_JSON_ABLATE)

typedef struct gd_ab_record {
    gd_ablation_record row; /* points into this struct, the result and report_path */
    char run_id[65];
    char config_sha256[65];
    char host_version[128];
    char *config_json;  /* owned */
    char *plugins_json; /* owned */
    char *symbols_json; /* owned */
    char *metrics_json; /* owned */
} gd_ab_record;

/* Builds the row of a finished ablation r, run with cfg. report_path (may be
 * NULL) and r are borrowed: they must outlive rec. On error rec holds
 * nothing (free it anyway, or not: both are safe). */
int gd_ab_record_build(const gd_ab_result *r, const gd_config *cfg, const char *report_path, gd_ab_record *rec,
                       gd_err *err);
void gd_ab_record_free(gd_ab_record *rec);

#endif
