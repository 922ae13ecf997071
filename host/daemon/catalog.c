#include "daemon/catalog.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/names.h"
#include "plugin/loader.h"
#include "plugin/worker.h"

/* More files than a plugin directory holds in practice; the rest are not listed. */
#define CAT_MAX 128

typedef struct entry {
    char name[128]; /* the file's name without .so */
    char *path;     /* owned */
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    char *json; /* owned: what a worker said of it; NULL until then */
} entry;

struct gd_catalog {
    uv_loop_t *loop;
    entry *e; /* sorted by name; not changed while a job runs */
    size_t n;
    uv_work_t work;
    int busy, closing;
    gd_worker_conf wc;
    char wc_why[300]; /* why no worker can describe, "" when one can */
    char **out;       /* the job's answers, by index into e */
};

int gd_catalog_new(uv_loop_t *loop, gd_catalog **out, gd_err *err)
{
    gd_catalog *c = calloc(1, sizeof *c);
    if (!c)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    c->loop = loop;
    *out = c;
    return 0;
}

static void entries_free(entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].path);
        free(e[i].json);
    }
    free(e);
}

void gd_catalog_free(gd_catalog *c)
{
    if (!c)
        return;
    if (c->busy) {
        c->closing = 1; /* the job's end frees it */
        return;
    }
    entries_free(c->e, c->n);
    free(c->out);
    free(c);
}

static const char *type_name(int32_t t)
{
    switch (t) {
    case GORDON_PARAM_INT: return "int";
    case GORDON_PARAM_DOUBLE: return "double";
    case GORDON_PARAM_BOOL: return "bool";
    case GORDON_PARAM_STRING: return "string";
    default: return "unknown";
    }
}

static void add_finite(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
}

/* Threadpool: one file described by a worker, as its JSON object. The
 * descriptor was validated as untrusted input (bounded strings, a params
 * table the count covers); cJSON escapes what it prints. */
static char *describe(const gd_worker_conf *wc, const char *why_not, const entry *en)
{
    cJSON *o = cJSON_CreateObject();
    gd_plugin_lib lib;
    gd_err err;
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "name", en->name);
    if (why_not[0]) {
        cJSON_AddStringToObject(o, "error", why_not);
    } else if (gd_worker_inspect(wc, en->path, &lib, &err) != 0) {
        cJSON_AddStringToObject(o, "error", err.msg);
    } else {
        const gordon_plugin *d = &lib.d;
        cJSON_AddStringToObject(o, "plugin", d->name ? d->name : "");
        cJSON_AddStringToObject(o, "kind", gd_kind_name(d->kind));
        cJSON_AddStringToObject(o, "version", d->version ? d->version : "");
        cJSON_AddStringToObject(o, "description", d->description ? d->description : "");
        cJSON_AddStringToObject(o, "sha256", lib.sha256_hex);
        cJSON *ps = cJSON_AddArrayToObject(o, "params");
        for (uint32_t k = 0; ps && k < d->n_params; k++) {
            const gordon_param *p = &d->params[k];
            cJSON *x = cJSON_CreateObject();
            if (!x)
                break;
            cJSON_AddItemToArray(ps, x);
            cJSON_AddStringToObject(x, "name", p->name ? p->name : "");
            cJSON_AddStringToObject(x, "type", type_name(p->type));
            if (p->type == GORDON_PARAM_STRING) {
                cJSON_AddStringToObject(x, "default", p->def_str ? p->def_str : "");
            } else if (p->type == GORDON_PARAM_BOOL) {
                cJSON_AddBoolToObject(x, "default", p->def != 0);
            } else {
                add_finite(x, "default", p->def);
                /* min = max = 0: no bounds declared */
                if (p->min != 0 || p->max != 0) {
                    add_finite(x, "min", p->min);
                    add_finite(x, "max", p->max);
                }
                if (p->step > 0)
                    add_finite(x, "step", p->step);
            }
            cJSON_AddBoolToObject(x, "tunable", p->tunable != 0);
            cJSON_AddStringToObject(x, "help", p->help ? p->help : "");
        }
        gd_loader_close(&lib);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static void job(uv_work_t *w)
{
    gd_catalog *c = w->data;
    for (size_t i = 0; i < c->n; i++)
        if (!c->e[i].json)
            c->out[i] = describe(&c->wc, c->wc_why, &c->e[i]);
}

static void job_done(uv_work_t *w, int status)
{
    gd_catalog *c = w->data;
    (void)status;
    c->busy = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->out[i]) {
            free(c->e[i].json);
            c->e[i].json = c->out[i];
            c->out[i] = NULL;
        }
    if (c->closing)
        gd_catalog_free(c);
}

static int by_name(const void *a, const void *b) { return strcmp(((const entry *)a)->name, ((const entry *)b)->name); }

/* The .so files of dir not already in e[0..*n). */
static void scan_dir(const char *dir, entry *e, size_t *n)
{
    DIR *d = dir && *dir ? opendir(dir) : NULL;
    const struct dirent *de;
    while (d && (de = readdir(d)) != NULL && *n < CAT_MAX) {
        size_t len = strlen(de->d_name);
        entry x;
        struct stat st;
        char path[PATH_MAX];
        memset(&x, 0, sizeof x);
        if (len < 4 || len - 3 >= sizeof x.name || strcmp(de->d_name + len - 3, ".so") != 0 || de->d_name[0] == '.')
            continue;
        snprintf(x.name, sizeof x.name, "%.*s", (int)(len - 3), de->d_name);
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path || stat(path, &st) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        int dup = 0;
        for (size_t i = 0; i < *n && !dup; i++)
            dup = !strcmp(e[i].name, x.name);
        if (dup || !(x.path = strdup(path)))
            continue;
        x.dev = st.st_dev;
        x.ino = st.st_ino;
        x.size = st.st_size;
        x.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        e[(*n)++] = x;
    }
    if (d)
        closedir(d);
}

static void worker_conf(gd_catalog *c, const gd_config *cfg)
{
    gd_err err;
    gd_worker_conf_default(&c->wc);
    c->wc_why[0] = '\0';
    if (gd_worker_find_exe(cfg->iso_worker, c->wc.exe, sizeof c->wc.exe, &err) != 0) {
        snprintf(c->wc_why, sizeof c->wc_why, "cannot describe plugins: %s", err.msg);
        return;
    }
    if (cfg->iso_start_ms > 0)
        c->wc.start_ms = (uint32_t)cfg->iso_start_ms;
    if (cfg->iso_deadline_ms > 0)
        c->wc.deadline_ms = (uint32_t)cfg->iso_deadline_ms;
    c->wc.address_space_mb = (uint64_t)cfg->iso_memory_mb;
    c->wc.cpu_seconds = (uint64_t)cfg->iso_cpu_seconds;
}

void gd_catalog_refresh(gd_catalog *c, const gd_plugin_dirs *pd, const gd_config *cfg)
{
    if (!c || c->busy || c->closing)
        return;
    entry *e = calloc(CAT_MAX, sizeof *e);
    char **out = calloc(CAT_MAX, sizeof *out);
    size_t n = 0;
    if (!e || !out) {
        free(e);
        free(out);
        return;
    }
    for (size_t i = 0; pd && i < pd->n_first; i++)
        scan_dir(pd->first[i], e, &n);
    scan_dir(cfg->plugin_dir, e, &n);
    if (pd)
        scan_dir(pd->last, e, &n);
    qsort(e, n, sizeof *e, by_name);
    /* What is unchanged keeps its description. */
    size_t ask = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < c->n && !e[i].json; k++) {
            entry *o = &c->e[k];
            if (o->json && !strcmp(o->path, e[i].path) && o->dev == e[i].dev && o->ino == e[i].ino &&
                o->size == e[i].size && o->mtime_ns == e[i].mtime_ns) {
                e[i].json = o->json;
                o->json = NULL;
            }
        }
        ask += !e[i].json;
    }
    entries_free(c->e, c->n);
    free(c->out);
    c->e = e;
    c->n = n;
    c->out = out;
    if (!ask)
        return;
    worker_conf(c, cfg);
    c->work.data = c;
    int rc = uv_queue_work(c->loop, &c->work, job, job_done);
    if (rc == 0)
        c->busy = 1;
    else
        gd_log(GD_LOG_WARN, "console", NULL, "cannot describe plugins: %s", uv_strerror(rc));
}

char *gd_catalog_json(const gd_catalog *c)
{
    gd_buf b = GD_BUF_INIT;
    gd_buf_append(&b, "[", 1);
    for (size_t i = 0; c && i < c->n; i++) {
        if (i)
            gd_buf_append(&b, ",", 1);
        if (c->e[i].json) {
            gd_buf_puts(&b, c->e[i].json);
        } else {
            char name[6 * sizeof c->e[i].name + 1];
            gd_json_escape(name, sizeof name, c->e[i].name);
            gd_buf_printf(&b, "{\"name\":\"%s\",\"pending\":true}", name);
        }
    }
    gd_buf_puts(&b, "]");
    if (b.failed) {
        gd_buf_free(&b);
        return NULL;
    }
    return gd_buf_take(&b);
}
