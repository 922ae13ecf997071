/* A test's scratch directory: made fresh under $TMPDIR (or /tmp, or a base
 * of the test's choosing), removed whole by the teardown whatever the test
 * left in it. */
#ifndef GD_TEST_TMPDIR_H
#define GD_TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* mkdtemp's and mkstemp's template: the six characters they replace with
 * unique ones. */
#define GD_TEST_MKDTEMP_SUFFIX "XXXXXX"

/* dir gets BASE/NAME. and six unique characters, made (base NULL: $TMPDIR,
 * else /tmp). 0, or -1 when it does not fit in cap or cannot be made. */
static inline int gd_test_tmpdir(char *dir, size_t cap, const char *base, const char *name)
{
    const char *t = getenv("TMPDIR");
    if (!base)
        base = t && *t ? t : "/tmp";
    int n = snprintf(dir, cap, "%s/%s." GD_TEST_MKDTEMP_SUFFIX, base, name);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

/* A file of the test's: path gets $TMPDIR (or /tmp)/NAME. and six unique
 * characters, made empty and open for writing. The descriptor, or -1 when
 * it does not fit in cap or cannot be made; the test unlinks it. */
static inline int gd_test_tmpfile(char *path, size_t cap, const char *name)
{
    const char *t = getenv("TMPDIR");
    int n = snprintf(path, cap, "%s/%s." GD_TEST_MKDTEMP_SUFFIX, t && *t ? t : "/tmp", name);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return mkstemp(path);
}

static inline int gd_test_rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* dir and everything below it (symbolic links removed, not followed): 0 or -1. */
static inline int gd_test_rmtree(const char *dir)
{
    return nftw(dir, gd_test_rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

#endif
