/* The usual test-plugin instance: zeroed, keeping the API table and its
 * handle. Include after `typedef struct inst { const gordon_host_api *api;
 * gordon_ctx *ctx; ... } inst;`. */
#ifndef GD_TEST_INST_H
#define GD_TEST_INST_H

#include <stdlib.h>

#include <gordon/sdk.h>

static inst *inst_new(const gordon_host_api *api, gordon_ctx *ctx)
{
    inst *s = calloc(1, sizeof *s);
    if (s) {
        s->api = api;
        s->ctx = ctx;
    }
    return s;
}

#endif
