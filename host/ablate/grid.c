/* The parameter grid searched in sample: one axis per tunable parameter of
 * the strategy (or per [ablate] range.PARAM), thinned to max_param_sets. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ablate/ablate_int.h"
#include "config/params.h"

/* Values of one tunable parameter, thinned to at most `keep` evenly spaced
 * ones (both ends kept). */
static uint32_t axis_count(const gd_ab_axis *a) { return a->keep; }

static double axis_value(const gd_ab_axis *a, uint32_t i)
{
    if (a->keep <= 1)
        return a->min;
    /* i-th of keep values spread over the full count, ends included */
    uint64_t idx = (uint64_t)llround((double)i * (double)(a->count - 1) / (double)(a->keep - 1));
    double v = a->min + (double)idx * a->step;
    if (a->is_int)
        v = nearbyint(v);
    return v > a->max ? a->max : v;
}

uint64_t gd_ablate_grid_size(const gd_ab_axis *ax, size_t n)
{
    uint64_t p = 1;
    for (size_t i = 0; i < n; i++)
        p *= axis_count(&ax[i]);
    return p;
}

void gd_ablate_grid_thin(gd_ab_axis *ax, size_t n, uint64_t max_sets)
{
    for (size_t i = 0; i < n; i++)
        ax[i].keep = ax[i].count;
    /* Halve the widest axis until the grid fits: deterministic and keeps the
     * extremes of every range. */
    while (gd_ablate_grid_size(ax, n) > max_sets) {
        size_t w = 0;
        for (size_t i = 1; i < n; i++)
            if (ax[i].keep > ax[w].keep)
                w = i;
        if (ax[w].keep <= 1)
            break;
        ax[w].keep = ax[w].keep > 3 ? (ax[w].keep + 1) / 2 : ax[w].keep - 1;
    }
}

void gd_ablate_grid_point(const gd_ab_axis *ax, size_t n, uint64_t k, double *values)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = axis_count(&ax[i]);
        values[i] = axis_value(&ax[i], (uint32_t)(k % c));
        k /= c;
    }
}

/* Every range names a numeric parameter of the strategy, inside its
 * declared bounds. */
static int check_ranges(const ab_ctx *c, const gordon_plugin *d, const gd_params *bound, gd_err *err)
{
    for (size_t r = 0; r < c->s->n_ranges; r++) {
        const gd_ab_range *rg = &c->s->ranges[r];
        const gd_param_value *pv = gd_params_find(bound, rg->param);
        if (!pv || (pv->decl.type != GORDON_PARAM_INT && pv->decl.type != GORDON_PARAM_DOUBLE))
            return gd_err_set(err, GD_EINVAL, "%s:%d: [ablate] range.%s: plugin %s has no numeric parameter %s",
                              rg->file, rg->line, rg->param, d->name, rg->param);
        if (rg->min < pv->decl.min || rg->max > pv->decl.max)
            return gd_err_set(err, GD_ERANGE, "%s:%d: [ablate] range.%s: %g:%g leaves the declared range [%g, %g]",
                              rg->file, rg->line, rg->param, rg->min, rg->max, pv->decl.min, pv->decl.max);
    }
    return 0;
}

/* Tunable axes: the strategy's tunable parameters, or those given ranges. */
int gd_ab_axes_build(ab_ctx *c, const gordon_plugin *d, const gd_plugin_conf *pc, gd_err *err)
{
    gd_params bound;
    int rc = gd_params_bind(d, pc, &bound, err);
    if (rc)
        return rc;
    c->n_axes = 0;
    rc = check_ranges(c, d, &bound, err);
    if (rc)
        goto fail;
    for (uint32_t i = 0; i < bound.n && c->n_axes < GD_AB_MAX_TUNE; i++) {
        const gordon_param *p = &bound.v[i].decl;
        const gd_ab_range *rg = NULL;
        for (size_t r = 0; r < c->s->n_ranges; r++)
            if (!strcmp(c->s->ranges[r].param, p->name))
                rg = &c->s->ranges[r];
        /* With explicit ranges only those are searched; otherwise every tunable. */
        if (c->s->n_ranges ? !rg : !p->tunable) {
            if (c->progress && p->tunable)
                fprintf(c->progress, "ablate: %s pinned at %g (tunable, but [ablate] range.* names others)\n",
                        p->name, bound.v[i].d);
            continue;
        }
        /* A value fixed in the strategy's section is not searched. */
        if (!rg && bound.v[i].from_config) {
            if (c->progress)
                fprintf(c->progress,
                        "ablate: %s pinned at %g (set in [strategy.%s] at %s:%d; remove it or add [ablate] range.%s "
                        "to search it)\n",
                        p->name, bound.v[i].d, pc->name ? pc->name : "?", bound.v[i].file ? bound.v[i].file : "?",
                        bound.v[i].line, p->name);
            continue;
        }
        gd_ab_axis *a = &c->axes[c->n_axes++];
        memset(a, 0, sizeof *a);
        snprintf(a->param, sizeof a->param, "%s", p->name);
        a->is_int = p->type == GORDON_PARAM_INT;
        a->min = rg ? rg->min : p->min;
        a->max = rg ? rg->max : p->max;
        a->step = rg ? rg->step : p->step;
        if (a->is_int && a->step < 1)
            a->step = 1;
        double cnt = floor((a->max - a->min) / a->step + 1e-9) + 1;
        if (!(cnt >= 1)) {
            rc = gd_err_set(err, GD_ERANGE, "strategy parameter %s: empty range [%g, %g] step %g", p->name,
                            a->min, a->max, a->step);
            goto fail;
        }
        a->count = cnt > 1e6 ? 1000000u : (uint32_t)cnt;
        if (c->progress)
            fprintf(c->progress, "ablate: %s searched over %g..%g step %g (%s)\n", p->name, a->min, a->max,
                    a->step, rg ? "[ablate] range" : "declared tunable range");
    }
    gd_params_free(&bound);
    gd_ablate_grid_thin(c->axes, c->n_axes, c->s->max_param_sets);
    c->n_sets = gd_ablate_grid_size(c->axes, c->n_axes);
    return 0;
fail:
    gd_params_free(&bound);
    return rc;
}
