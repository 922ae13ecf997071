#include "db/manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Integers in JSON are doubles to cJSON, which prints 15 significant
 * digits: exact below 10^15 (a count or a size never gets near). */
#define JSON_INT_MAX 999999999999999.0

static int by_name(const void *a, const void *b)
{
    return strcmp(((const gd_table_sum *)a)->name, ((const gd_table_sum *)b)->name);
}

void gd_table_sums_sort(gd_table_sum *t, size_t n)
{
    if (n > 1)
        qsort(t, n, sizeof *t, by_name);
}

const gd_table_sum *gd_table_sum_find(const gd_table_sum *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

static int is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static cJSON *to_json(const gd_manifest *m)
{
    cJSON *o = cJSON_CreateObject(), *dump = NULL, *tables = NULL;
    int ok = o != NULL;
    ok = ok && cJSON_AddNumberToObject(o, "format", GD_MANIFEST_FORMAT);
    ok = ok && cJSON_AddStringToObject(o, "kind", GD_MANIFEST_KIND);
    ok = ok && cJSON_AddStringToObject(o, "schema", "trading");
    ok = ok && cJSON_AddStringToObject(o, "snapshot_at", m->snapshot_at);
    ok = ok && cJSON_AddNumberToObject(o, "snapshot_at_ms", (double)m->snapshot_at_ms);
    ok = ok && cJSON_AddStringToObject(o, "database", m->database);
    ok = ok && cJSON_AddStringToObject(o, "server_version", m->server_version);
    ok = ok && cJSON_AddStringToObject(o, "gordon_version", m->gordon_version);
    ok = ok && (dump = cJSON_AddObjectToObject(o, "dump")) != NULL;
    ok = ok && cJSON_AddStringToObject(dump, "file", GD_BACKUP_DUMP_FILE);
    ok = ok && cJSON_AddNumberToObject(dump, "bytes", (double)m->dump_bytes);
    ok = ok && cJSON_AddStringToObject(dump, "sha256", m->dump_sha256);
    ok = ok && (tables = cJSON_AddObjectToObject(o, "tables")) != NULL;
    for (size_t i = 0; ok && i < m->n_tables; i++) {
        cJSON *t = cJSON_AddObjectToObject(tables, m->tables[i].name);
        ok = t && cJSON_AddNumberToObject(t, "rows", (double)m->tables[i].rows) &&
             cJSON_AddStringToObject(t, "checksum", m->tables[i].checksum);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int gd_manifest_write(const gd_manifest *m, const char *path, gd_err *err)
{
    int rc = 0, fd = -1;
    if (m->dump_bytes > JSON_INT_MAX || m->snapshot_at_ms < 0 || m->snapshot_at_ms > JSON_INT_MAX)
        return gd_err_set(err, GD_ERANGE, "%s: a number past 10^15", path);
    for (size_t i = 0; i < m->n_tables; i++)
        if (m->tables[i].rows < 0 || m->tables[i].rows > JSON_INT_MAX)
            return gd_err_set(err, GD_ERANGE, "%s: trading.%s: %lld rows", path, m->tables[i].name, m->tables[i].rows);
    cJSON *o = to_json(m);
    char *text = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = gd_err_set(err, GD_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = gd_err_set(err, GD_EIO, "%s: write: %s", path, w < 0 ? strerror(errno) : "no progress");
            goto out;
        }
        off += (size_t)w;
    }
    if (write(fd, "\n", 1) != 1) {
        rc = gd_err_set(err, GD_EIO, "%s: write: %s", path, strerror(errno));
        goto out;
    }
out:
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = gd_err_set(err, GD_EIO, "%s: close: %s", path, strerror(errno));
    free(text);
    return rc;
}

/* ------------------------------------------------------------ parsing */

static int get_str(const cJSON *o, const char *key, char *out, size_t cap, const char *where, gd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        return gd_err_set(err, GD_EPARSE, "%s: %s: missing or not a string", where, key);
    if (strlen(v->valuestring) >= cap)
        return gd_err_set(err, GD_EPARSE, "%s: %s: longer than %zu bytes", where, key, cap - 1);
    snprintf(out, cap, "%s", v->valuestring);
    return 0;
}

static int get_uint(const cJSON *o, const char *key, double *out, const char *where, const char *ctx, gd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        return gd_err_set(err, GD_EPARSE, "%s: %s%s: missing or not a number", where, ctx, key);
    double d = v->valuedouble;
    if (!(d >= 0 && d <= JSON_INT_MAX) || floor(d) != d)
        return gd_err_set(err, GD_EPARSE, "%s: %s%s: not a whole number in 0..10^15", where, ctx, key);
    *out = d;
    return 0;
}

static int parse_tables(const cJSON *tables, const char *where, gd_manifest *m, gd_err *err)
{
    if (!cJSON_IsObject(tables))
        return gd_err_set(err, GD_EPARSE, "%s: tables: missing or not an object", where);
    size_t n = (size_t)cJSON_GetArraySize(tables);
    m->tables = calloc(n ? n : 1, sizeof *m->tables);
    if (!m->tables)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", where);
    const cJSON *t;
    cJSON_ArrayForEach(t, tables)
    {
        gd_table_sum *s = &m->tables[m->n_tables];
        const char *name = t->string ? t->string : "";
        char ctx[96];
        snprintf(ctx, sizeof ctx, "tables.%.63s.", name);
        if (!name[0] || strlen(name) >= sizeof s->name)
            return gd_err_set(err, GD_EPARSE, "%s: tables: a name that is empty or longer than %zu bytes", where,
                              sizeof s->name - 1);
        if (gd_table_sum_find(m->tables, m->n_tables, name))
            return gd_err_set(err, GD_EPARSE, "%s: tables: %s appears twice", where, name);
        if (!cJSON_IsObject(t))
            return gd_err_set(err, GD_EPARSE, "%s: tables.%s: not an object", where, name);
        double rows = 0;
        int rc = get_uint(t, "rows", &rows, where, ctx, err);
        if (rc)
            return rc;
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(t, "checksum");
        if (!cJSON_IsString(c) || !(c->valuestring[0] == '\0' || is_hex(c->valuestring, 32)))
            return gd_err_set(err, GD_EPARSE, "%s: %schecksum: not 32 hex digits or empty", where, ctx);
        if ((rows == 0) != (c->valuestring[0] == '\0'))
            return gd_err_set(err, GD_EPARSE, "%s: %schecksum: %s for %.0f rows", where, ctx,
                              rows == 0 ? "set" : "empty", rows);
        snprintf(s->name, sizeof s->name, "%s", name);
        s->rows = (long long)rows;
        snprintf(s->checksum, sizeof s->checksum, "%s", c->valuestring);
        m->n_tables++;
    }
    gd_table_sums_sort(m->tables, m->n_tables);
    return 0;
}

static int parse_obj(const cJSON *o, const char *where, gd_manifest *m, gd_err *err)
{
    double d = 0;
    char kind[32];
    int rc;
    if (!cJSON_IsObject(o))
        return gd_err_set(err, GD_EPARSE, "%s: not a JSON object", where);
    if ((rc = get_uint(o, "format", &d, where, "", err)) != 0)
        return rc;
    if (d != GD_MANIFEST_FORMAT)
        return gd_err_set(err, GD_EPARSE, "%s: format %.0f: this gordon reads format %d", where, d, GD_MANIFEST_FORMAT);
    if ((rc = get_str(o, "kind", kind, sizeof kind, where, err)) != 0)
        return rc;
    if (strcmp(kind, GD_MANIFEST_KIND) != 0)
        return gd_err_set(err, GD_EPARSE, "%s: kind \"%s\", expected \"%s\"", where, kind, GD_MANIFEST_KIND);
    if ((rc = get_str(o, "snapshot_at", m->snapshot_at, sizeof m->snapshot_at, where, err)) != 0 ||
        (rc = get_uint(o, "snapshot_at_ms", &d, where, "", err)) != 0)
        return rc;
    m->snapshot_at_ms = (int64_t)d;
    if ((rc = get_str(o, "database", m->database, sizeof m->database, where, err)) != 0 ||
        (rc = get_str(o, "server_version", m->server_version, sizeof m->server_version, where, err)) != 0 ||
        (rc = get_str(o, "gordon_version", m->gordon_version, sizeof m->gordon_version, where, err)) != 0)
        return rc;
    const cJSON *dump = cJSON_GetObjectItemCaseSensitive(o, "dump");
    char file[64];
    if (!cJSON_IsObject(dump))
        return gd_err_set(err, GD_EPARSE, "%s: dump: missing or not an object", where);
    if ((rc = get_str(dump, "file", file, sizeof file, where, err)) != 0)
        return rc;
    if (strcmp(file, GD_BACKUP_DUMP_FILE) != 0)
        return gd_err_set(err, GD_EPARSE, "%s: dump.file \"%s\", expected \"%s\"", where, file, GD_BACKUP_DUMP_FILE);
    if ((rc = get_uint(dump, "bytes", &d, where, "dump.", err)) != 0 ||
        (rc = get_str(dump, "sha256", m->dump_sha256, sizeof m->dump_sha256, where, err)) != 0)
        return rc;
    m->dump_bytes = (unsigned long long)d;
    if (!is_hex(m->dump_sha256, 64))
        return gd_err_set(err, GD_EPARSE, "%s: dump.sha256: not 64 hex digits", where);
    return parse_tables(cJSON_GetObjectItemCaseSensitive(o, "tables"), where, m, err);
}

int gd_manifest_parse(const char *text, const char *where, gd_manifest *m, gd_err *err)
{
    memset(m, 0, sizeof *m);
    cJSON *o = cJSON_Parse(text);
    if (!o)
        return gd_err_set(err, GD_EPARSE, "%s: not valid JSON", where);
    int rc = parse_obj(o, where, m, err);
    cJSON_Delete(o);
    if (rc)
        gd_manifest_free(m);
    return rc;
}

void gd_manifest_free(gd_manifest *m)
{
    free(m->tables);
    memset(m, 0, sizeof *m);
}
