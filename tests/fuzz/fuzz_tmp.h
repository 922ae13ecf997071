/* For targets whose parser reads files: one scratch directory per fuzzer
 * process (under $FUZZ_TMP, which run_fuzz.sh sets and removes even after a
 * crash; else /dev/shm when there is one: the input is rewritten on every
 * run), removed with everything in it when the process exits normally. */
#ifndef GD_FUZZ_TMP_H
#define GD_FUZZ_TMP_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[256];

static int fuzz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(p);
    return 0;
}

static void fuzz_rm_dir(void) { nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* Creates the directory (name says which target) and returns it. */
static inline const char *fuzz_tmp_dir(const char *name)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    if (getenv("FUZZ_TMP"))
        tmp = getenv("FUZZ_TMP");
    else if (access("/dev/shm", W_OK) == 0)
        tmp = "/dev/shm";
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/gd-fuzz-%s.XXXXXX", tmp, name);
    if (!mkdtemp(fuzz_dir))
        abort();
    atexit(fuzz_rm_dir);
    return fuzz_dir;
}

/* Writes n bytes to path (replacing it). */
static inline void fuzz_put(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
        abort();
}

/* Appends n bytes to a growing buffer (a snapshot of files). */
static inline void fuzz_append(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        size_t nc = (*len + n) * 2;
        char *b = realloc(*buf, nc);
        if (!b)
            abort();
        *buf = b;
        *cap = nc;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
}

#endif
