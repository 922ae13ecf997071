/* External series (FRED) as the engine holds them for breakers: the host
 * fetches, plugins subscribe in create() and read with series_get. */
#include "engine/engine_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/sized.h"

static gd_series_data *series_find(gd_engine *e, const char *id)
{
    for (uint32_t i = 0; i < e->n_series; i++)
        if (!strcmp(e->series[i].id, id))
            return &e->series[i];
    return NULL;
}

static int series_id_ok(const char *id)
{
    size_t n = 0;
    for (; n < 64 && id[n]; n++) /* a plugin's string: read no further than the longest id */
        if (!((id[n] >= 'A' && id[n] <= 'Z') || (id[n] >= '0' && id[n] <= '9') || id[n] == '_'))
            return 0;
    return n >= 1 && n < 64;
}

int gd_series_subscribe(gd_engine *e, const char *id)
{
    if (!id || !series_id_ok(id))
        return -1;
    /* Sources are wired once at start-up: subscriptions come from create(),
     * and a reload may only use series that are already being fetched. */
    if (!e->in_create)
        return -1;
    if (series_find(e, id))
        return 0;
    if (!e->series_source || e->reloading)
        return -1;
    if (e->n_series == GD_SERIES_MAX)
        return -1;
    gd_series_data *grown = realloc(e->series, (e->n_series + 1) * sizeof *grown);
    if (!grown)
        return -1;
    e->series = grown;
    memset(&e->series[e->n_series], 0, sizeof e->series[0]);
    snprintf(e->series[e->n_series].id, sizeof e->series[0].id, "%s", id);
    e->n_series++;
    return 0;
}

int gd_series_get(gd_engine *e, const char *id, gordon_series_point *out)
{
    if (!id || !out || out->struct_size < GD_SIZE_THROUGH(gordon_series_point, prev_value))
        return -1;
    gd_series_data *sd = series_find(e, id);
    if (!sd)
        return -1;
    gordon_series_point pt;
    memset(&pt, 0, sizeof pt);
    pt.struct_size = sizeof pt;
    pt.value = pt.prev_value = NAN;
    /* The newest observation dated at or before the host's clock. */
    size_t lo = 0, hi = sd->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sd->t[mid] <= e->now_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0) {
        pt.obs_ms = sd->t[lo - 1];
        pt.value = sd->v[lo - 1];
        if (lo > 1)
            pt.prev_value = sd->v[lo - 2];
    }
    pt.stale = !sd->ok;
    /* In replay the clock is bar time: a series fetched fine is as fresh
     * as the bar; live, the wall time of the fetch. */
    pt.fetched_ms = sd->fetched_ms == 0 ? 0 : e->replay ? (sd->ok ? e->now_ms : 0) : sd->fetched_ms;
    gd_sized_out(out, out->struct_size, &pt, sizeof pt);
    return 0;
}

uint32_t gd_engine_series_count(const gd_engine *e) { return e->n_series; }

const char *gd_engine_series_id(const gd_engine *e, uint32_t i) { return i < e->n_series ? e->series[i].id : NULL; }

int gd_engine_series_update(gd_engine *e, const char *id, const int64_t *t, const double *v, size_t n, int ok)
{
    gd_series_data *sd = series_find(e, id);
    if (!sd)
        return GD_ENOENT;
    if (!ok) { /* keep what we had: stale, not gone */
        sd->ok = 0;
        return 0;
    }
    int64_t *nt = malloc((n ? n : 1) * sizeof *nt);
    double *nv = malloc((n ? n : 1) * sizeof *nv);
    if (!nt || !nv) {
        free(nt);
        free(nv);
        sd->ok = 0;
        return GD_ENOMEM;
    }
    memcpy(nt, t, n * sizeof *nt);
    memcpy(nv, v, n * sizeof *nv);
    free(sd->t);
    free(sd->v);
    sd->t = nt;
    sd->v = nv;
    sd->n = n;
    sd->ok = 1;
    sd->fetched_ms = gd_wall_ms();
    return 0;
}

void gd_series_free_all(gd_engine *e)
{
    for (uint32_t i = 0; i < e->n_series; i++) {
        free(e->series[i].t);
        free(e->series[i].v);
    }
    free(e->series);
    e->series = NULL;
    e->n_series = 0;
}
