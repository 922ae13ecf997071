#include "plugin/libcache.h"
#include "plugin/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/hash.h"
#include "plugin/lint.h"

/* A loaded library and the generations holding it. */
typedef struct lc_entry {
    gd_plugin_lib *lib; /* owned */
    unsigned refs;
} lc_entry;

/* A path something was opened from, and what it gave. */
typedef struct lc_alias {
    char *path;         /* owned */
    gd_plugin_lib *lib; /* borrowed from an entry */
} lc_alias;

struct gd_libcache {
    char *dir; /* owned: private copies; made on first use */
    lc_entry *libs;
    size_t n_libs;
    lc_alias *aliases;
    size_t n_aliases;
    uint64_t loaded, failed;
    int isolated;
    gd_worker_conf wc; /* isolated: how to start the describing worker */
};

int gd_libcache_new(gd_libcache **out, gd_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : gd_err_set(err, GD_ENOMEM, "out of memory");
}

static void drop_aliases(gd_libcache *c, const gd_plugin_lib *lib)
{
    for (size_t i = 0; i < c->n_aliases;)
        if (c->aliases[i].lib == lib) {
            free(c->aliases[i].path);
            c->aliases[i] = c->aliases[--c->n_aliases];
        } else {
            i++;
        }
}

static void entry_close(gd_libcache *c, size_t i)
{
    gd_plugin_lib *lib = c->libs[i].lib;
    drop_aliases(c, lib);
    if (lib->path)
        unlink(lib->path);
    gd_loader_close(lib);
    free(lib);
    c->libs[i] = c->libs[--c->n_libs];
}

void gd_libcache_free(gd_libcache *c)
{
    if (!c)
        return;
    while (c->n_libs)
        entry_close(c, c->n_libs - 1);
    free(c->libs);
    free(c->aliases);
    if (c->dir)
        gd_rmdir_flat(c->dir);
    free(c->dir);
    free(c);
}

/* A fresh 0700 directory of this process (PrivateTmp under systemd), never a
 * place that outlives it: nothing loaded can have been left there by anyone. */
static int ensure_dir(gd_libcache *c, gd_err *err)
{
    if (c->dir)
        return 0;
    char buf[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, sizeof buf, "%s/gordon-plugins-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(buf))
        return gd_err_set(err, GD_EIO, "cannot create a private plugin directory %s: %s", buf, strerror(errno));
    if (!(c->dir = strdup(buf))) {
        rmdir(buf);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    return 0;
}

/* path now gives lib: the newest open of a path wins (a rebuilt .so). */
static int remember(gd_libcache *c, const char *path, gd_plugin_lib *lib, gd_err *err)
{
    for (size_t i = 0; i < c->n_aliases; i++)
        if (!strcmp(c->aliases[i].path, path)) {
            c->aliases[i].lib = lib;
            return 0;
        }
    lc_alias *grown = realloc(c->aliases, (c->n_aliases + 1) * sizeof *grown);
    if (!grown)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    c->aliases = grown;
    lc_alias *a = &c->aliases[c->n_aliases];
    if (!(a->path = strdup(path)))
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    a->lib = lib;
    c->n_aliases++;
    return 0;
}

static lc_entry *entry_of(gd_libcache *c, const gd_plugin_lib *lib)
{
    for (size_t i = 0; i < c->n_libs; i++)
        if (c->libs[i].lib == lib)
            return &c->libs[i];
    return NULL;
}

/* The original must be a regular file: say so under its own name, as the
 * lint would, rather than as a failed copy. */
static int check_source(const char *path, gd_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        return gd_err_set(err, e == ENOENT || e == ENOTDIR ? GD_ENOENT : GD_EIO, "%s: cannot open plugin: %s", path,
                          strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        return gd_err_set(err, GD_EINVAL, "%s: not an ELF shared object (not a regular file)", path);
    return 0;
}

/* The copy's final name: <base without .so>.<sha256>.so */
static void copy_name(const gd_libcache *c, const char *path, const char *hex, char *dst, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    if (bl > 3 && !strcmp(base + bl - 3, ".so"))
        bl -= 3;
    snprintf(dst, cap, "%s/%.*s.%s.so", c->dir, (int)(bl > 200 ? 200 : bl), base, hex);
}

int gd_libcache_open(gd_libcache *c, const char *path, gd_plugin_lib **out, gd_err *err)
{
    char tmp[4200], dst[4400], hex[65];
    gd_plugin_lib *lib = NULL;
    int rc;

    *out = NULL;
    rc = check_source(path, err);
    if (!rc)
        rc = ensure_dir(c, err);
    if (rc)
        return rc;
    snprintf(tmp, sizeof tmp, "%s/.incoming.XXXXXX", c->dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "%s: %s", tmp, strerror(errno));
    close(fd);
    /* Copy first: from here on only the copy is read, linted, hashed and
     * loaded, so the original changing underneath cannot split them. */
    rc = gd_file_copy(path, tmp, err);
    if (!rc)
        rc = gd_sha256_file(tmp, hex, err);
    if (rc)
        goto fail_tmp;
    for (size_t i = 0; i < c->n_libs; i++)
        if (!strcmp(c->libs[i].lib->sha256_hex, hex)) {
            unlink(tmp);
            rc = remember(c, path, c->libs[i].lib, err);
            if (rc)
                return rc;
            c->libs[i].refs++;
            *out = c->libs[i].lib;
            return 0;
        }
    rc = gd_lint_plugin(tmp, path, err);
    if (rc)
        goto fail_tmp;
    copy_name(c, path, hex, dst, sizeof dst);
    if (rename(tmp, dst) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: %s", dst, strerror(errno));
        goto fail_tmp;
    }
    lc_entry *grown = realloc(c->libs, (c->n_libs + 1) * sizeof *grown);
    if (!grown || !(lib = calloc(1, sizeof *lib))) {
        if (grown)
            c->libs = grown;
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail_dst;
    }
    c->libs = grown;
    rc = c->isolated ? gd_worker_describe(&c->wc, dst, path, hex, lib, err) : gd_loader_load(dst, path, hex, lib, err);
    if (!rc && c->isolated && !lib->worker_landlock)
        gd_log(GD_LOG_WARN, "isolation", NULL,
               "%s: this kernel does not enforce Landlock; its worker is confined by seccomp and rlimits only",
               path);
    if (rc) {
        c->failed++;
        gd_err_prefix(err, rc, "%s (private copy %s): ", path, dst);
        goto fail_dst;
    }
    c->libs[c->n_libs++] = (lc_entry){lib, 1};
    rc = remember(c, path, lib, err);
    if (rc) {
        entry_close(c, c->n_libs - 1);
        return rc;
    }
    c->loaded++;
    *out = lib;
    return 0;
fail_dst:
    free(lib);
    unlink(dst);
    return rc;
fail_tmp:
    unlink(tmp);
    return rc;
}

void gd_libcache_release(gd_libcache *c, gd_plugin_lib *lib)
{
    lc_entry *en = entry_of(c, lib);
    if (!en || --en->refs > 0)
        return;
    entry_close(c, (size_t)(en - c->libs));
}

void gd_libcache_isolate(gd_libcache *c, const struct gd_worker_conf *wc)
{
    c->isolated = 1;
    c->wc = *wc;
}

gd_plugin_lib *gd_libcache_find(const gd_libcache *c, const char *path)
{
    for (size_t i = 0; c && path && i < c->n_aliases; i++)
        if (!strcmp(c->aliases[i].path, path))
            return c->aliases[i].lib;
    return NULL;
}

void gd_libcache_counts(const gd_libcache *c, uint64_t *loaded, uint64_t *failed)
{
    *loaded = c ? c->loaded : 0;
    *failed = c ? c->failed : 0;
}

int gd_plugin_name_unique(gd_plugin_lib *const *libs, size_t n, const gd_plugin_lib *lib, gd_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (libs[i] != lib && !strcmp(libs[i]->d.name, lib->d.name))
            return gd_err_set(err, GD_EEXIST, "plugin name '%s' is already provided by %s", lib->d.name,
                              libs[i]->origin);
    return 0;
}
