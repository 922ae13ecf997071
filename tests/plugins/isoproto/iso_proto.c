/* A strategy that speaks on its worker's socket behind the worker's back
 * (issue 12: a worker that sends garbage is killed, counted, and its
 * strategy quarantined). On its 50th bar it writes, with a raw system call
 * on fd 3 (the seccomp filter allows writes there: it is the worker's own
 * channel), according to its `attack` parameter:
 *   1  bytes with no protocol header at all;
 *   2  a well-formed header with a message type that does not exist;
 *   3  5000 well-formed log lines in one call (the host takes 4096);
 *   4  a datagram over the protocol's size limit;
 *   5  an emit whose tag's length runs past the message.
 * Before and after it trades like a plain moving-average strategy would not:
 * it emits nothing, so any intent in the log came from someone else. */
#include <stdint.h>
#include <string.h>

#include <gordon/sdk.h>

#if defined(__x86_64__)
static long raw_write(long fd, const void *buf, long n)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(1L), "D"(fd), "S"(buf), "d"(n) : "rcx", "r11", "memory");
    return ret;
}
#else
static long raw_write(long fd, const void *buf, long n)
{
    (void)fd, (void)buf, (void)n;
    return -38;
}
#endif

typedef struct inst {
    int64_t attack;
    uint32_t bars;
} inst;

static unsigned char big[70 * 1024];

static const gordon_param params[] = {
    {.name = "attack", .type = GORDON_PARAM_INT, .def = 1, .min = 1, .max = 5, .help = "which garbage"},
};

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }

static size_t header(unsigned char *p, uint16_t type)
{
    put32(p, 0x31574447u); /* "GDW1" */
    put16(p + 4, type);
    put16(p + 6, 0);
    return 8;
}

static void attack(int64_t how)
{
    unsigned char m[64];
    size_t n;
    switch (how) {
    case 1:
        raw_write(3, "hello host, this is not a message", 33);
        break;
    case 2:
        n = header(m, 4242);
        raw_write(3, m, (long)n);
        break;
    case 3:
        n = header(m, 67); /* log */
        put32(m + n, 1);
        put32(m + n + 4, 4);
        memcpy(m + n + 8, "spam", 4);
        for (int i = 0; i < 5000; i++)
            raw_write(3, m, (long)(n + 12));
        break;
    case 4:
        header(big, 67);
        raw_write(3, big, (long)sizeof big);
        break;
    case 5:
        n = header(m, 68); /* emit */
        memset(m + n, 0, 48);
        put32(m + n + 44, 0x7FFFFFFFu); /* the tag's length, far past the end */
        raw_write(3, m, (long)(n + 48));
        break;
    default:
        break;
    }
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    static inst one;
    (void)err, (void)err_len;
    if (api->param_int(ctx, "attack", &one.attack) != 0)
        return -1;
    one.bars = 0;
    *instance = &one;
    return 0;
}

static void destroy(void *instance) { (void)instance; }

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    (void)symbol, (void)bar;
    if (++s->bars == 50)
        attack(s->attack);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_proto",
    .version = "1",
    .description = "writes garbage on its worker's socket",
    .params = params,
    .n_params = 1,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
