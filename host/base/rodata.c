#include "base/rodata.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int gd_rodata_strings(gd_rodata *ro, const char *const *in, size_t n, const char **out, gd_err *err)
{
    size_t total = 0;
    ro->base = NULL;
    ro->len = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = NULL;
        if (in[i]) {
            size_t l = strlen(in[i]) + 1;
            if (l > SIZE_MAX / 2 - total)
                return gd_err_set(err, GD_ERANGE, "read-only strings: too large");
            total += l;
        }
    }
    if (total == 0)
        return 0;
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    size_t len = (total + page - 1) / page * page;
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return gd_err_set(err, GD_ENOMEM, "read-only strings (%zu bytes): %s", len, strerror(errno));
    char *w = base;
    for (size_t i = 0; i < n; i++)
        if (in[i]) {
            size_t l = strlen(in[i]) + 1;
            memcpy(w, in[i], l);
            out[i] = w;
            w += l;
        }
    if (mprotect(base, len, PROT_READ) != 0) {
        int saved = errno;
        munmap(base, len);
        for (size_t i = 0; i < n; i++)
            out[i] = NULL;
        return gd_err_set(err, GD_EIO, "read-only strings: mprotect: %s", strerror(saved));
    }
    ro->base = base;
    ro->len = len;
    return 0;
}

void gd_rodata_free(gd_rodata *ro)
{
    if (ro->base)
        munmap(ro->base, ro->len);
    ro->base = NULL;
    ro->len = 0;
}
