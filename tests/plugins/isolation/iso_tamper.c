/* Isolation class 9: a plugin that rewrites the host's state. The test
 * passes the absolute paths of the state directory's latch.json and
 * audit.jsonl as string parameters (latch, audit). On the first bar:
 *  libc:     open/write found in libc's memory: latch.json truncated and
 *            rewritten as un-halted, a forged operator resume appended to
 *            audit.jsonl;
 *  raw:      the same with raw openat/write;
 *  rename:   audit.jsonl renamed away (raw rename: no file opened);
 *  truncate: audit.jsonl truncated to nothing (raw truncate);
 *  unlink:   latch.json removed (raw unlink);
 *  read:     latch.json read (raw) and its text sent to the host's log.
 * The latch must stay as the operator set it, the trail must verify, and
 * the files must change only by the host's own records. */
#include "iso.h"

#define FORGED_LATCH "{\"halted\":false,\"who\":\"\",\"why\":\"\",\"since_ms\":0}\n"
#define FORGED_AUDIT                                                                                             \
    "{\"seq\":999999,\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"ts_ms\":1," \
    "\"event\":\"resume\",\"who\":\"operator:FORGED\",\"why\":\"FORGED-BY-PLUGIN\"}\n"

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)err, (void)err_len;
    if (iso_create_common(api, ctx, instance) != 0)
        return -1;
    iso_self *s = *instance;
    iso_str_param(s, "latch", s->marker, sizeof s->marker);
    iso_str_param(s, "audit", s->path2, sizeof s->path2);
    return 0;
}

static void with_libc(iso_self *s)
{
    iso_obj libc;
    if (iso_find_libc(&libc, "fnptr", s->api, s->ctx) != 0)
        return;
    int (*op)(const char *, int, ...) = (int (*)(const char *, int, ...))iso_sym(&libc, "open");
    long (*wr)(int, const void *, size_t) = (long (*)(int, const void *, size_t))iso_sym(&libc, "write");
    if (!op || !wr)
        return;
    iso_log(s, "libc open(latch.json, O_WRONLY|O_TRUNC)", 0);
    int fd = op(s->marker, O_WRONLY | O_TRUNC);
    iso_log(s, "libc open(latch.json, O_WRONLY|O_TRUNC)", fd);
    if (fd >= 0)
        iso_log(s, "write(latch.json)", wr(fd, FORGED_LATCH, strlen(FORGED_LATCH)));
    fd = op(s->path2, O_WRONLY | O_APPEND);
    iso_log(s, "libc open(audit.jsonl, O_WRONLY|O_APPEND)", fd);
    if (fd >= 0)
        iso_log(s, "write(audit.jsonl)", wr(fd, FORGED_AUDIT, strlen(FORGED_AUDIT)));
}

static void raw(iso_self *s)
{
    iso_log(s, "raw openat(latch.json, O_WRONLY|O_TRUNC)", 0);
    long fd = iso_sys(SYS_openat, -100, (long)s->marker, O_WRONLY | O_TRUNC, 0, 0, 0);
    iso_log(s, "raw openat(latch.json, O_WRONLY|O_TRUNC)", fd);
    if (fd >= 0)
        iso_log(s, "raw write(latch.json)", ISO_SYS3(SYS_write, fd, FORGED_LATCH, strlen(FORGED_LATCH)));
    fd = iso_sys(SYS_openat, -100, (long)s->path2, O_WRONLY | O_APPEND, 0, 0, 0);
    iso_log(s, "raw openat(audit.jsonl, O_WRONLY|O_APPEND)", fd);
    if (fd >= 0)
        iso_log(s, "raw write(audit.jsonl)", ISO_SYS3(SYS_write, fd, FORGED_AUDIT, strlen(FORGED_AUDIT)));
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    iso_self *s = instance;
    char to[600];
    (void)symbol;
    if (!iso_now(s, bar))
        return;
    if (!strcmp(s->attack, "libc")) {
        with_libc(s);
    } else if (!strcmp(s->attack, "raw")) {
        raw(s);
    } else if (!strcmp(s->attack, "rename")) {
        snprintf(to, sizeof to, "%s.gone", s->path2);
        iso_log(s, "raw renameat(audit.jsonl)", 0);
        iso_log(s, "raw renameat(audit.jsonl)", iso_sys(SYS_renameat, -100, (long)s->path2, -100, (long)to, 0, 0));
    } else if (!strcmp(s->attack, "truncate")) {
        iso_log(s, "raw truncate(audit.jsonl, 0)", 0);
        iso_log(s, "raw truncate(audit.jsonl, 0)", ISO_SYS3(SYS_truncate, s->path2, 0, 0));
    } else if (!strcmp(s->attack, "unlink")) {
        iso_log(s, "raw unlinkat(latch.json)", 0);
        iso_log(s, "raw unlinkat(latch.json)", ISO_SYS3(SYS_unlinkat, -100, s->marker, 0));
    } else if (!strcmp(s->attack, "read")) {
        char text[512];
        iso_log(s, "raw openat(latch.json, O_RDONLY)", 0);
        long n = iso_raw_read(s->marker, text, sizeof text);
        iso_log(s, "raw read(latch.json)", n);
        if (n > 0)
            s->api->log(s->ctx, GORDON_LOG_WARN, text);
    }
    iso_log(s, "still running", 0);
}

static const gordon_param params[] = {
    ISO_PARAM_FROM,
    ISO_PARAM_STR("attack", "libc, raw, rename, truncate, unlink or read"),
    ISO_PARAM_STR("latch", "the state directory's latch.json"),
    ISO_PARAM_STR("audit", "the state directory's audit.jsonl"),
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_tamper",
    .version = "1.0",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .create = create,
    .destroy = iso_destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
