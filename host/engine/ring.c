/* Bar history that plugins can read and never write. A ring's pages are
 * mapped twice: the host writes through one view; plugins get pointers into
 * the other, read-only and fenced by inaccessible guard pages. A plugin that
 * writes through its const bar -- or past it, into the bars beside it --
 * faults at once (and the crash report names it) instead of changing what
 * the host or the next plugin sees. One mapping instead of a copy per call
 * keeps the per-bar path to one store of each bar. */
#include "engine/engine_int.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void unmap(gd_ring *r)
{
    if (r->bars)
        munmap(r->bars, r->map_len);
    if (r->fence)
        munmap(r->fence, r->map_len + 2 * r->page);
    r->bars = NULL;
    r->ro = NULL;
    r->fence = NULL;
}

int gd_ring_reserve(gd_ring *r, uint64_t cap, const char *what, gd_err *err)
{
    if (r->bars && r->mask + 1 >= cap)
        return 0;
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    if (cap == 0 || (cap & (cap - 1)) || cap > SIZE_MAX / sizeof(gordon_bar) / 2)
        return gd_err_set(err, GD_ERANGE, "bar history of %s: %llu bars is not a usable size", what,
                          (unsigned long long)cap);
    size_t len = (cap * sizeof(gordon_bar) + page - 1) / page * page;
    void *rw = MAP_FAILED, *fence = MAP_FAILED;
    int fd = memfd_create("gordon-bars", MFD_CLOEXEC);
    if (fd < 0)
        return gd_err_set(err, GD_ENOMEM, "bar history of %s: memfd_create: %s", what, strerror(errno));
    if (ftruncate(fd, (off_t)len) != 0)
        goto fail;
    if ((rw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
        goto fail;
    /* Touch every line now, and map the read-only view populated: otherwise
     * the first pass through the ring takes a page fault per page in each
     * view and a cache miss per store, and a plugin's load through the other
     * view waits for each of those stores (about 100 us per run in bench_replay). */
    memset(rw, 0, len);
    /* Reserve the read-only view with a guard page either side, then put
     * the shared pages in the middle. */
    if ((fence = mmap(NULL, len + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)) ==
        MAP_FAILED)
        goto fail;
    void *ro = mmap((char *)fence + page, len, PROT_READ, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0);
    if (ro == MAP_FAILED)
        goto fail;
    close(fd);

    gordon_bar *nb = rw;
    uint64_t have = r->bars ? (r->n < r->mask + 1 ? r->n : r->mask + 1) : 0;
    for (uint64_t i = 0; i < have; i++) {
        uint64_t k = r->n - have + i;
        nb[k & (cap - 1)] = r->bars[k & r->mask];
    }
    unmap(r);
    r->bars = nb;
    r->ro = ro;
    r->fence = fence;
    r->map_len = len;
    r->page = page;
    r->mask = cap - 1;
    return 0;

fail:;
    int saved = errno;
    if (fence != MAP_FAILED)
        munmap(fence, len + 2 * page);
    if (rw != MAP_FAILED)
        munmap(rw, len);
    close(fd);
    return gd_err_set(err, GD_ENOMEM, "bar history of %s (%zu bytes): %s", what, len, strerror(saved));
}

void gd_ring_free(gd_ring *r) { unmap(r); }
