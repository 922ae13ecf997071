/* FRED (St. Louis Fed) series for macro breakers: fetched with libcurl's
 * multi interface driven by the libuv loop (curl's multi-uv pattern), never
 * blocking it. Plugins never see the network or the key. */
#ifndef GD_FRED_H
#define GD_FRED_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/err.h"

#define GD_FRED_DEFAULT_URL "https://api.stlouisfed.org"
/* A full daily history is a few MiB; anything far larger is not FRED. */
#define GD_FRED_DEFAULT_MAX_BODY ((size_t)32 << 20)

typedef struct gd_fred_conf {
    const char *base_url;     /* NULL: GD_FRED_DEFAULT_URL; tests point it at a loopback server */
    const char *api_key;      /* required; never logged */
    uint64_t poll_ms;         /* refetch period; 0 = once */
    uint64_t timeout_ms;      /* per request; 0 = 10 s */
    const char *observation_start; /* "YYYY-MM-DD" or NULL (the series' whole history) */
    size_t max_body;          /* response size cap in bytes; 0 = GD_FRED_DEFAULT_MAX_BODY */
} gd_fred_conf;

typedef struct gd_fred_obs {
    int64_t t_ms;             /* observation date, UTC midnight */
    double value;
} gd_fred_obs;

/* The outcome of one fetch of one series. On success obs/n hold every
 * observation with a value (FRED's "." for missing is skipped), oldest
 * first; they are valid only during the call. On failure ok = 0 and error
 * says why; auth = 1 when FRED rejected the key (HTTP 400/401/403 naming
 * api_key), which the host treats as a startup error. */
typedef struct gd_fred_result {
    const char *series;
    int ok;
    int auth;
    long http_status;
    const char *error;
    const gd_fred_obs *obs;
    size_t n;
} gd_fred_result;

typedef void (*gd_fred_cb)(void *user, const gd_fred_result *res);

typedef struct gd_fred gd_fred;

/* Starts fetching every series on the next loop iteration, then poll_ms
 * after each round has completed (every series answered). One callback per
 * series per round. The first call runs curl_global_init, which is not
 * thread-safe: call it from the main thread before starting other threads
 * that use libcurl. The callback may call gd_fred_stop. Returns 0 or a
 * GD_E* with err set; *out is NULL on failure (if the loop had taken a
 * handle by then, the memory is released on the loop's next turn). */
int gd_fred_start(uv_loop_t *loop, const gd_fred_conf *conf, const char *const *series, size_t n,
                  gd_fred_cb cb, void *user, gd_fred **out, gd_err *err);
/* Cancels transfers and timers; the object is freed once libuv has closed
 * its handles (then on_closed, if non-NULL). */
void gd_fred_stop(gd_fred *f, void (*on_closed)(void *arg), void *arg);

/* Parses a fred/series/observations JSON reply. *obs is malloc'd (caller
 * frees). Errors name the field. */
int gd_fred_parse(const char *json, size_t len, gd_fred_obs **obs, size_t *n, gd_err *err);

#endif
