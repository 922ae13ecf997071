/* Callbacks that do nothing, for test plugins whose point is elsewhere
 * (a bad descriptor, a forbidden import): static create, destroy and
 * on_bar to name in the descriptor. */
#ifndef GD_TEST_NOOP_H
#define GD_TEST_NOOP_H

#include <gordon/sdk.h>

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)api; (void)ctx; (void)err; (void)err_len;
    *instance = 0;
    return 0;
}

static void destroy(void *instance) { (void)instance; }

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    (void)instance; (void)symbol; (void)bar;
}

#endif
