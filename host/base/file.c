#include "base/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gd_file_read(const char *path, size_t max, char **out, size_t *out_len, gd_err *err)
{
    return gd_file_read_cancel(path, max, NULL, out, out_len, err);
}

static int cancelled(const volatile int *cancel, const char *path, gd_err *err)
{
    return cancel && *cancel ? gd_err_set(err, GD_ECANCELED, "%s: reading was cancelled", path) : 0;
}

int gd_file_read_cancel(const char *path, size_t max, const volatile int *cancel, char **out, size_t *out_len,
                        gd_err *err)
{
    int rc;
    char *buf = NULL;
    size_t len = 0, cap;
    struct stat st;
    int fd;

    *out = NULL;
    *out_len = 0;
    while ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
        if ((rc = cancelled(cancel, path, err)) != 0)
            return rc;
    if (fd < 0) {
        int e = errno;
        return gd_err_set(err, (e == ENOENT || e == ENOTDIR) ? GD_ENOENT : GD_EIO, "%s: cannot open: %s", path,
                          strerror(e));
    }
    cap = (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) ? (size_t)st.st_size + 1 : 65536;
    if (max && cap > max + 1)
        cap = max + 1;
    buf = malloc(cap);
    if (!buf) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory reading %zu bytes", path, cap);
        goto fail;
    }
    for (;;) {
        ssize_t r;
        if (len + 1 >= cap) { /* keep one byte for the terminator */
            if (max && len > max) {
                rc = gd_err_set(err, GD_ERANGE, "%s: larger than %zu bytes", path, max);
                goto fail;
            }
            size_t nc = cap * 2;
            if (max && nc > max + 2)
                nc = max + 2; /* one byte past max tells "too large" */
            char *nb = realloc(buf, nc);
            if (!nb) {
                rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory reading %zu bytes", path, nc);
                goto fail;
            }
            buf = nb;
            cap = nc;
        }
        r = read(fd, buf + len, cap - 1 - len);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR) {
                if ((rc = cancelled(cancel, path, err)) != 0)
                    goto fail;
                continue;
            }
            rc = gd_err_set(err, GD_EIO, "%s: read failed: %s", path, strerror(errno));
            goto fail;
        }
        len += (size_t)r;
    }
    if (max && len > max) {
        rc = gd_err_set(err, GD_ERANGE, "%s: larger than %zu bytes", path, max);
        goto fail;
    }
    buf[len] = '\0';
    close(fd);
    *out = buf;
    *out_len = len;
    return 0;
fail:
    free(buf);
    close(fd);
    return rc;
}

int gd_file_copy(const char *src, const char *dst, gd_err *err)
{
    char buf[65536];
    int rc = 0, out = -1;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return gd_err_set(err, errno == ENOENT ? GD_ENOENT : GD_EIO, "%s: %s", src, strerror(errno));
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        rc = gd_err_set(err, GD_EIO, "%s: %s", dst, strerror(errno));
        goto done;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = gd_err_set(err, GD_EIO, "%s: read: %s", src, strerror(errno));
            goto done;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                rc = gd_err_set(err, GD_EIO, "%s: write: %s", dst, strerror(errno));
                goto done;
            }
            off += w;
        }
    }
done:
    close(in);
    if (out >= 0 && close(out) != 0 && !rc)
        rc = gd_err_set(err, GD_EIO, "%s: %s", dst, strerror(errno));
    return rc;
}

int gd_mkdirs(const char *path, mode_t mode, gd_err *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return gd_err_set(err, GD_EINVAL, "%.100s...: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return gd_err_set(err, GD_EIO, "cannot create %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return gd_err_set(err, GD_EIO, "cannot create %s: %s", buf, strerror(errno));
    return 0;
}

void gd_rmdir_flat(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char path[4400];
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Writes data into fd (open on tmp), syncs, closes and renames tmp over
 * path, then syncs the directory. On failure tmp is removed. */
static int publish(int fd, const char *tmp, const char *path, const void *data, size_t len, gd_err *err)
{
    char dir[4096];
    int rc, e;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = gd_err_set(err, GD_EIO, "%s: write: %s", tmp, w < 0 ? strerror(errno) : "nothing written");
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: fsync: %s", tmp, strerror(errno));
        goto fail;
    }
    /* close() can report a deferred write error (NFS): check it. */
    int cr = close(fd);
    fd = -1;
    if (cr != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: close: %s", tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: rename to %s: %s", tmp, path, strerror(errno));
        goto fail;
    }
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        e = errno;
        if (dfd >= 0)
            close(dfd);
        return gd_err_set(err, GD_EIO, "%s: fsync directory: %s", dir, strerror(e));
    }
    close(dfd);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return rc;
}

int gd_file_write_durable(const char *path, const void *data, size_t len, gd_err *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return gd_err_set(err, GD_ERANGE, "%.200s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    return publish(fd, tmp, path, data, len, err);
}

int gd_file_publish(const char *path, const void *data, size_t len, gd_err *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
        return gd_err_set(err, GD_ERANGE, "%.200s: path too long", path);
    /* mkostemp: O_EXCL, a fresh name per writer, never a symlink's target. */
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    if (fchmod(fd, 0644) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return gd_err_set(err, GD_EIO, "%s: chmod: %s", tmp, strerror(e));
    }
    return publish(fd, tmp, path, data, len, err);
}
