/* The memory of an ablation's runs: what runner.c fills, shard.c writes and
 * reads back, and ablate.c consumes. */
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate_int.h"

void gd_ab_run_free(ab_run *r)
{
    free(r->t);
    free(r->eq);
    free(r->trades);
    free(r->sym);
    r->t = NULL;
    r->eq = NULL;
    r->trades = NULL;
    r->sym = NULL;
    r->n = 0;
}

void gd_ab_runs_free(ab_runs *r)
{
    for (size_t i = 0; r->oos && i < r->n; i++)
        gd_ab_run_free(&r->oos[i]);
    free(r->oos);
    free(r->chosen);
    memset(r, 0, sizeof *r);
}
