#include "base/bgsync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

struct gd_bgsync {
    uv_loop_t *loop;
    uv_fs_t req;
    int fd;
    int busy;    /* a sync is on the threadpool */
    int dirty;   /* appended since the last sync started */
    int closing; /* the owner is done: the callback finishes */
    int err;     /* errno of the last sync that ended, 0 if it worked */
    uint64_t failures;
    char component[32];
    char what[256];
};

static void ended(gd_bgsync *s, int e)
{
    if (e) {
        s->failures++; /* tried again at the next kick, or at close */
        if (!s->err)
            gd_log(GD_LOG_ERROR, s->component, NULL, "%s: fdatasync: %s", s->what, strerror(e));
    } else if (s->err) {
        gd_log(GD_LOG_WARN, s->component, NULL, "%s: fdatasync works again", s->what);
    }
    s->err = e;
}

static void finish(gd_bgsync *s)
{
    /* Whether or not a kick said so: the owner may have written last lines
     * without one (its loop closed). */
    ended(s, fdatasync(s->fd) == 0 ? 0 : errno);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

static void start(gd_bgsync *s);

static void done(uv_fs_t *req)
{
    gd_bgsync *s = req->data;
    ssize_t res = req->result;
    uv_fs_req_cleanup(req);
    s->busy = 0;
    ended(s, res < 0 ? (int)-res : 0);
    if (s->closing)
        finish(s);
    else if (s->dirty)
        start(s);
}

static void start(gd_bgsync *s)
{
    s->dirty = 0;
    if (s->loop) {
        s->req.data = s;
        if (uv_fs_fdatasync(s->loop, &s->req, s->fd, done) == 0) {
            s->busy = 1;
            return;
        }
    }
    ended(s, fdatasync(s->fd) == 0 ? 0 : errno); /* no loop, or no room on it: in the call */
}

int gd_bgsync_new(uv_loop_t *loop, int fd, const char *component, const char *what, gd_bgsync **out, gd_err *err)
{
    gd_bgsync *s = calloc(1, sizeof *s);
    if (!s)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    s->loop = loop;
    s->fd = fd;
    snprintf(s->component, sizeof s->component, "%s", component);
    snprintf(s->what, sizeof s->what, "%s", what);
    *out = s;
    return 0;
}

int gd_bgsync_kick(gd_bgsync *s, gd_err *err)
{
    if (s->busy)
        s->dirty = 1;
    else
        start(s);
    if (s->err)
        return gd_err_set(err, GD_EIO, "%s: fdatasync: %s", s->what, strerror(s->err));
    return 0;
}

uint64_t gd_bgsync_failures(const gd_bgsync *s) { return s ? s->failures : 0; }

void gd_bgsync_close(gd_bgsync *s)
{
    if (!s)
        return;
    if (s->busy)
        s->closing = 1;
    else
        finish(s);
}
