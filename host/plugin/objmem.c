/* A loaded plugin's readable memory, from its program headers. */
#include "plugin/objmem.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

/* Reading a plugin's bytes must not trip AddressSanitizer on the redzones
 * of an instrumented plugin's globals: they are mapped memory inside the
 * object, and an over-long count is what the host is there to refuse. */
#if defined(__GNUC__)
#define GD_NO_ASAN __attribute__((no_sanitize_address))
#else
#define GD_NO_ASAN
#endif

/* Raw segments collected before merging: several per object at most. */
#define RAW_MAX 64

typedef struct find_ctx {
    uintptr_t dyn;             /* the object's l_ld: identifies it among all loaded */
    gd_objmem_seg raw[RAW_MAX];
    size_t n;
    int found, overflow;
} find_ctx;

static int on_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    find_ctx *c = arg;
    int mine = 0;
    (void)size;

    /* Match by the dynamic section's address: l_addr alone is 0 for a
     * non-PIE program and names are not unique. */
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC &&
            (uintptr_t)info->dlpi_addr + info->dlpi_phdr[i].p_vaddr == c->dyn)
            mine = 1;
    if (!mine)
        return 0;
    c->found = 1;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo, hi;

        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_R) || ph->p_memsz == 0)
            continue;
        lo = (uintptr_t)info->dlpi_addr + (uintptr_t)ph->p_vaddr;
        hi = lo + (uintptr_t)ph->p_memsz;
        if (hi < lo)
            continue; /* wraps: not a mapping anyone made */
        if (c->n == RAW_MAX) {
            c->overflow = 1;
            break;
        }
        c->raw[c->n++] = (gd_objmem_seg){lo, hi};
    }
    return 1; /* stop: the object is found */
}

int gd_objmem_init(gd_objmem *m, void *handle, gd_err *err)
{
    struct link_map *lm = NULL;
    find_ctx c;

    memset(m, 0, sizeof *m);
    memset(&c, 0, sizeof c);
    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_ld) {
        const char *e = handle ? dlerror() : NULL;
        return gd_err_set(err, GD_EINVAL, "cannot find the loaded object: %s",
                          e ? e : "no link map");
    }
    c.dyn = (uintptr_t)lm->l_ld;
    dl_iterate_phdr(on_object, &c);
    if (!c.found || c.n == 0)
        return gd_err_set(err, GD_EINVAL, "cannot find the loaded segments of the object");
    if (c.overflow)
        return gd_err_set(err, GD_EINVAL, "the object has more than %d loadable segments", RAW_MAX);

    /* Sort (insertion: a handful), then merge touching or overlapping ones,
     * so that a range spanning two adjacent segments is still inside. */
    for (size_t i = 1; i < c.n; i++)
        for (size_t j = i; j > 0 && c.raw[j].lo < c.raw[j - 1].lo; j--) {
            gd_objmem_seg t = c.raw[j];
            c.raw[j] = c.raw[j - 1];
            c.raw[j - 1] = t;
        }
    for (size_t i = 0; i < c.n; i++) {
        gd_objmem_seg *last = m->n ? &m->seg[m->n - 1] : NULL;

        if (last && c.raw[i].lo <= last->hi) {
            if (c.raw[i].hi > last->hi)
                last->hi = c.raw[i].hi;
            continue;
        }
        if (m->n == GD_OBJMEM_MAX_SEGS) {
            memset(m, 0, sizeof *m);
            return gd_err_set(err, GD_EINVAL, "the object has more than %d separate loadable segments",
                              GD_OBJMEM_MAX_SEGS);
        }
        m->seg[m->n++] = c.raw[i];
    }
    return GD_OK;
}

/* The segment holding address a, or NULL. */
static const gd_objmem_seg *seg_of(const gd_objmem *m, uintptr_t a)
{
    for (size_t i = 0; i < m->n; i++)
        if (a >= m->seg[i].lo && a < m->seg[i].hi)
            return &m->seg[i];
    return NULL;
}

int gd_objmem_range_ok(const gd_objmem *m, const void *p, size_t len)
{
    uintptr_t a = (uintptr_t)p;
    const gd_objmem_seg *s;

    if (!p)
        return 0;
    if (!m)
        return 1;
    if (len == 0)
        len = 1;
    s = seg_of(m, a);
    /* a < s->hi, so s->hi - a cannot wrap; comparing lengths cannot overflow. */
    return s && len <= s->hi - a;
}

GD_NO_ASAN void gd_objmem_read(void *dst, const void *src, size_t len)
{
    /* volatile: keeps the compiler from turning the loop back into a
     * (sanitized) memcpy call. */
    const volatile unsigned char *s = src;
    unsigned char *d = dst;

    for (size_t i = 0; i < len; i++)
        d[i] = s[i];
}

GD_NO_ASAN static size_t scan_nul(const void *p, size_t n)
{
    const volatile unsigned char *s = p;
    size_t i = 0;

    while (i < n && s[i] != 0)
        i++;
    return i;
}

int gd_objmem_strnlen(const gd_objmem *m, const void *p, size_t max, size_t *len)
{
    uintptr_t a = (uintptr_t)p;
    const gd_objmem_seg *s;
    size_t avail, want = max < SIZE_MAX ? max + 1 : max, n;

    *len = 0;
    if (!p)
        return 0;
    if (!m) {
        *len = strnlen(p, want);
        return 1;
    }
    s = seg_of(m, a);
    if (!s)
        return 0;
    avail = s->hi - a;
    n = scan_nul(p, avail < want ? avail : want);
    if (n == avail && avail < want)
        return 0; /* the object ends before a NUL */
    *len = n;
    return 1;
}

const char *gd_objmem_string(const gd_objmem *m, const void *p, size_t max, gd_err *err)
{
    size_t len;

    if (!p) {
        gd_err_set(err, GD_EINVAL, "is NULL");
        return NULL;
    }
    if (gd_objmem_strnlen(m, p, max, &len) && len <= max)
        return p;
    if (!gd_objmem_range_ok(m, p, 1))
        gd_err_set(err, GD_EINVAL,
                   "is not a NUL-terminated string within the plugin (at most %zu bytes): "
                   "%p is outside it", max, p);
    else if (len > max)
        gd_err_set(err, GD_EINVAL,
                   "is not a NUL-terminated string within the plugin (at most %zu bytes): "
                   "no NUL in its first %zu bytes", max, max + 1);
    else
        gd_err_set(err, GD_EINVAL,
                   "is not a NUL-terminated string within the plugin (at most %zu bytes): "
                   "it runs off the end of the plugin's memory", max);
    return NULL;
}
