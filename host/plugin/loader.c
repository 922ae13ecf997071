/* Plugin loader: dlopen, descriptor ABI and content checks. */
#include "plugin/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/hash.h"
#include "base/names.h"
#include "plugin/lint.h"

/* ------------------------------------------------------------- validation */

/* Every v1 field up to the reserved tail must be present. */
#define GD_PLUGIN_V1_MIN_SIZE offsetof(gordon_plugin, reserved)
/* Bigger than any plausible future descriptor: garbage, not a newer SDK. */
#define GD_PLUGIN_MAX_SIZE (64u * 1024u)
#define GD_MAX_PARAMS 256u
/* Every v1 param field (name .. help) is read, so all must be present. */
#define GD_PARAM_V1_MIN_SIZE (offsetof(gordon_param, help) + sizeof(const char *))
#define GD_PARAM_MAX_SIZE 4096u
/* Integers travel as doubles; beyond 2^53 they are no longer exact. */
#define GD_INT_PARAM_LIMIT 9007199254740992.0

static int is_integral(double v)
{
    return isfinite(v) && floor(v) == v && fabs(v) <= GD_INT_PARAM_LIMIT;
}

/* Header fields read before struct_size is trusted: magic .. abi_minor. */
#define GD_PLUGIN_HEADER_SIZE offsetof(gordon_plugin, kind)

/* The i-th declaration, honouring the plugin's param_size (>= v1 size,
 * checked by the caller, and the table checked to lie in the plugin),
 * copied so the host never reads past it. */
static void param_at(const gordon_plugin *d, uint32_t i, gordon_param *out)
{
    const unsigned char *base = (const unsigned char *)d->params;

    gd_objmem_read(out, base + (size_t)i * d->param_size, sizeof *out);
}

/* A required name: inside mem up to its NUL or max + 1 bytes (all that
 * gd_name_valid reads), so that the syntax message can quote it. */
static int name_readable(const gd_objmem *mem, const char *s, size_t max)
{
    size_t len;

    return gd_objmem_strnlen(mem, s, max, &len);
}

/* An optional string (NULL allowed): NUL-terminated within max inside mem.
 * On failure err follows the field name; the caller prefixes where. */
static int opt_string_ok(const gd_objmem *mem, const char *s, size_t max, gd_err *err)
{
    return !s || gd_objmem_string(mem, s, max, err) != NULL;
}

static const char *param_type_name(int type)
{
    switch (type) {
    case GORDON_PARAM_INT: return "int";
    case GORDON_PARAM_DOUBLE: return "double";
    case GORDON_PARAM_BOOL: return "bool";
    case GORDON_PARAM_STRING: return "string";
    default: return "?";
    }
}

static int validate_param(const gd_objmem *mem, const gordon_plugin *d, uint32_t i, gd_err *err)
{
    gordon_param p;
    uint32_t j;

    param_at(d, i, &p);
    if (!p.name)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': param %u: name is NULL", d->name, i);
    if (!name_readable(mem, p.name, GD_PARAM_NAME_MAX))
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param %u: name is not a NUL-terminated string within "
                          "the plugin (at most %d bytes)", d->name, i, GD_PARAM_NAME_MAX);
    if (!gd_name_valid(p.name, GD_PARAM_NAME_MAX))
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param %u: name '%.*s' must match [a-z0-9_]{1,%d}",
                          d->name, i, GD_PARAM_NAME_MAX + 1, p.name, GD_PARAM_NAME_MAX);
    /* Earlier names were checked by the time they are compared. */
    for (j = 0; j < i; j++) {
        gordon_param q;
        param_at(d, j, &q);
        if (strcmp(q.name, p.name) == 0)
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s' is declared twice (params %u and %u)",
                              d->name, p.name, j, i);
    }
    /* Checked whatever the type: describe and config may print them. */
    if (!opt_string_ok(mem, p.def_str, GD_PARAM_DEF_STR_MAX, err))
        return gd_err_prefix(err, GD_EINVAL, "plugin '%s': param '%s': def_str ", d->name, p.name);
    if (!opt_string_ok(mem, p.help, GD_PARAM_HELP_MAX, err))
        return gd_err_prefix(err, GD_EINVAL, "plugin '%s': param '%s': help ", d->name, p.name);
    if (p.type < GORDON_PARAM_INT || p.type > GORDON_PARAM_STRING)
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param '%s': type %d is not valid (1 int, 2 double, "
                          "3 bool, 4 string)", d->name, p.name, (int)p.type);
    if (p.tunable != 0 && p.tunable != 1)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': param '%s': tunable must be 0 or 1, not %d",
                          d->name, p.name, (int)p.tunable);

    if (p.type == GORDON_PARAM_INT &&
        (!is_integral(p.def) || !is_integral(p.min) || !is_integral(p.max)))
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param '%s': int default/min/max must be whole "
                          "numbers within +-2^53 (default %g, min %g, max %g)",
                          d->name, p.name, p.def, p.min, p.max);
    if (p.type == GORDON_PARAM_INT || p.type == GORDON_PARAM_DOUBLE) {
        if (!isfinite(p.def))
            return gd_err_set(err, GD_EINVAL, "plugin '%s': param '%s': default %g is not finite",
                              d->name, p.name, p.def);
        /* Infinite bounds are allowed (unbounded); NaN ones are not. */
        if (isnan(p.min) || isnan(p.max) || !(p.min <= p.max))
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s': range [%g, %g] is empty or NaN",
                              d->name, p.name, p.min, p.max);
        if (!(p.min <= p.def && p.def <= p.max))
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s': default %g is outside [%g, %g]", d->name,
                              p.name, p.def, p.min, p.max);
        if (p.tunable && (!isfinite(p.step) || !(p.step > 0)))
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s': tunable, so step must be > 0 (got %g)",
                              d->name, p.name, p.step);
        if (p.tunable && p.type == GORDON_PARAM_INT && !is_integral(p.step))
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s': int step %g is not a whole number",
                              d->name, p.name, p.step);
    }
    if (p.type == GORDON_PARAM_BOOL && p.def != 0.0 && p.def != 1.0)
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param '%s': bool default %g is not 0 or 1", d->name,
                          p.name, p.def);
    /* STRING: def_str may be NULL, meaning "". */
    if (p.tunable && p.type != GORDON_PARAM_INT && p.type != GORDON_PARAM_DOUBLE)
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param '%s': only int and double params can be tunable, "
                          "not %s", d->name, p.name, param_type_name(p.type));
    return GD_OK;
}

static int validate_content(const gd_objmem *mem, const gordon_plugin *d, gd_err *err)
{
    uint32_t i;

    if (d->kind < GORDON_KIND_STRATEGY || d->kind > GORDON_KIND_BREAKER)
        return gd_err_set(err, GD_EINVAL,
                          "descriptor kind %d is not valid (1 strategy, 2 overlay, 3 breaker)",
                          (int)d->kind);
    if (!d->name)
        return gd_err_set(err, GD_EINVAL, "descriptor name is NULL");
    if (!name_readable(mem, d->name, GD_PLUGIN_NAME_MAX))
        return gd_err_set(err, GD_EINVAL,
                          "descriptor name is not a NUL-terminated string within the plugin "
                          "(at most %d bytes)", GD_PLUGIN_NAME_MAX);
    if (!gd_name_valid(d->name, GD_PLUGIN_NAME_MAX))
        return gd_err_set(err, GD_EINVAL, "descriptor name '%.*s' must match [a-z0-9_]{1,%d}",
                          GD_PLUGIN_NAME_MAX + 1, d->name, GD_PLUGIN_NAME_MAX);
    if (!d->version)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': version is NULL or empty", d->name);
    if (!gd_objmem_string(mem, d->version, GD_PLUGIN_VERSION_MAX, err))
        return gd_err_prefix(err, GD_EINVAL, "plugin '%s': version ", d->name);
    if (!*d->version)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': version is NULL or empty", d->name);
    if (!opt_string_ok(mem, d->description, GD_PLUGIN_DESCRIPTION_MAX, err))
        return gd_err_prefix(err, GD_EINVAL, "plugin '%s': description ", d->name);
    /* A NULL create is, more often than not, a descriptor laid out by
     * another sdk.h carrying the same ABI numbers: name that when the size
     * says so (sizes stay accepted at min(sizes), as the contract says). */
    if (!d->create && d->abi_minor == GORDON_SDK_ABI_MINOR && d->struct_size != sizeof(gordon_plugin))
        return gd_err_set(err, GD_EABI,
                          "plugin '%s': create callback is NULL and the descriptor is %u bytes where SDK ABI "
                          "%u.%u's is %zu: it was built against a different gordon/sdk.h with the same ABI "
                          "numbers; rebuild it against this gordon's SDK",
                          d->name, (unsigned)d->struct_size, (unsigned)d->abi_major, (unsigned)d->abi_minor,
                          sizeof(gordon_plugin));
    if (!d->create)
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': create callback is NULL (if its source sets one, its descriptor's "
                          "layout differs from this host's: rebuild it against this gordon's gordon/sdk.h)",
                          d->name);
    if (!d->destroy)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': destroy callback is NULL", d->name);
    if (d->kind == GORDON_KIND_STRATEGY && !d->on_bar)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': a strategy needs an on_bar callback",
                          d->name);
    if (d->kind == GORDON_KIND_OVERLAY && !d->filter)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': an overlay needs a filter callback",
                          d->name);
    if (d->kind == GORDON_KIND_BREAKER && !d->evaluate)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': a breaker needs an evaluate callback",
                          d->name);
    if (d->warmup_bars > GORDON_WARMUP_BARS_MAX)
        return gd_err_set(err, GD_ERANGE, "plugin '%s': warmup_bars %u is more than the limit of %u "
                          "(GORDON_WARMUP_BARS_MAX)", d->name, d->warmup_bars, GORDON_WARMUP_BARS_MAX);
    /* Half a hot-reload pair cannot be used and hints at a mistake. */
    if (!d->snapshot != !d->restore)
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': snapshot and restore must both be set or both be NULL",
                          d->name);

    if (d->n_params > GD_MAX_PARAMS)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': n_params %u exceeds the limit of %u",
                          d->name, d->n_params, GD_MAX_PARAMS);
    if (d->n_params == 0)
        return GD_OK;
    if (!d->params)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': params is NULL but n_params is %u",
                          d->name, d->n_params);
    if (d->param_size < GD_PARAM_V1_MIN_SIZE || d->param_size > GD_PARAM_MAX_SIZE)
        return gd_err_set(err, GD_EABI,
                          "plugin '%s': param_size %u is outside [%zu, %u] (set it to "
                          "sizeof(gordon_param))", d->name, d->param_size,
                          (size_t)GD_PARAM_V1_MIN_SIZE, GD_PARAM_MAX_SIZE);
    /* The stride must keep every element aligned, or reading them is UB. */
    if (d->param_size % _Alignof(gordon_param) != 0)
        return gd_err_set(err, GD_EABI,
                          "plugin '%s': param_size %u is not a multiple of %zu (set it to "
                          "sizeof(gordon_param))", d->name, d->param_size,
                          (size_t)_Alignof(gordon_param));
    /* n_params is the plugin's word: the whole table must be its memory
     * (at most 256 x 4096 bytes, so the product cannot overflow). */
    if (!gd_objmem_range_ok(mem, d->params, (size_t)d->n_params * d->param_size))
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': params table (%u x %u bytes at %p) is not within the "
                          "plugin: n_params or params is wrong", d->name, d->n_params,
                          d->param_size, (const void *)d->params);
    for (i = 0; i < d->n_params; i++) {
        int rc = validate_param(mem, d, i, err);
        if (rc != GD_OK)
            return rc;
    }
    return GD_OK;
}

int gd_loader_validate_in(const gd_objmem *mem, const gordon_plugin *desc, gordon_plugin *copy,
                          gd_err *err)
{
    gordon_plugin hdr, d;
    size_t n;
    int rc;

    if (copy)
        memset(copy, 0, sizeof *copy);
    if (!desc)
        return gd_err_set(err, GD_EINVAL, "descriptor is NULL");
    /* Only the four header fields are read before struct_size is trusted,
     * and only once they are known to be the plugin's memory. */
    if (!gd_objmem_range_ok(mem, desc, GD_PLUGIN_HEADER_SIZE))
        return gd_err_set(err, GD_EINVAL,
                          "descriptor at %p is not within the plugin (its %zu header bytes): "
                          "the entry function returned a stray pointer",
                          (const void *)desc, (size_t)GD_PLUGIN_HEADER_SIZE);
    memset(&hdr, 0, sizeof hdr);
    gd_objmem_read(&hdr, desc, GD_PLUGIN_HEADER_SIZE);
    if (hdr.magic != GORDON_PLUGIN_MAGIC)
        return gd_err_set(err, GD_EABI,
                          "descriptor magic 0x%08x is not GORDON_PLUGIN_MAGIC 0x%08x: not a "
                          "gordon plugin descriptor", (unsigned)hdr.magic,
                          (unsigned)GORDON_PLUGIN_MAGIC);
    if (hdr.abi_major != GORDON_SDK_ABI_MAJOR)
        return gd_err_set(err, GD_EABI,
                          "plugin built for SDK ABI %u.%u, host is %u.%u: the major version "
                          "differs; rebuild the plugin against this SDK",
                          (unsigned)hdr.abi_major, (unsigned)hdr.abi_minor,
                          (unsigned)GORDON_SDK_ABI_MAJOR, (unsigned)GORDON_SDK_ABI_MINOR);
    if (hdr.abi_minor > GORDON_SDK_ABI_MINOR)
        return gd_err_set(err, GD_EABI,
                          "plugin built for SDK ABI %u.%u, host is %u.%u: the minor version "
                          "is newer than the host's; upgrade gordon or rebuild the plugin",
                          (unsigned)hdr.abi_major, (unsigned)hdr.abi_minor,
                          (unsigned)GORDON_SDK_ABI_MAJOR, (unsigned)GORDON_SDK_ABI_MINOR);
    if (hdr.struct_size < GD_PLUGIN_V1_MIN_SIZE)
        return gd_err_set(err, GD_EABI,
                          "descriptor struct_size %u is too small: ABI %u.0 needs at least %zu",
                          (unsigned)hdr.struct_size, (unsigned)GORDON_SDK_ABI_MAJOR,
                          (size_t)GD_PLUGIN_V1_MIN_SIZE);
    if (hdr.struct_size > GD_PLUGIN_MAX_SIZE)
        return gd_err_set(err, GD_EABI,
                          "descriptor struct_size %u is implausibly large (limit %u): corrupt "
                          "descriptor", (unsigned)hdr.struct_size, GD_PLUGIN_MAX_SIZE);

    /* All struct_size bytes, not just the ones the host knows: the plugin
     * claims them, and a claim past its memory is a corrupt descriptor. */
    if (!gd_objmem_range_ok(mem, desc, hdr.struct_size))
        return gd_err_set(err, GD_EINVAL,
                          "descriptor at %p is not within the plugin: its struct_size %u runs "
                          "past the plugin's memory", (const void *)desc,
                          (unsigned)hdr.struct_size);

    /* From here on only the zero-extended copy is read. */
    n = hdr.struct_size < sizeof d ? hdr.struct_size : sizeof d;
    memset(&d, 0, sizeof d);
    gd_objmem_read(&d, desc, n);
    rc = validate_content(mem, &d, err);
    if (rc != GD_OK)
        return rc;
    if (copy)
        *copy = d;
    return GD_OK;
}

int gd_loader_validate(const gordon_plugin *desc, gordon_plugin *copy, gd_err *err)
{
    return gd_loader_validate_in(NULL, desc, copy, err);
}

/* A descriptor rebuilt from a worker's message lives in host memory. */
static const gd_objmem *lib_mem(const gd_plugin_lib *lib)
{
    return lib->owned_strs || lib->owned_params ? NULL : &lib->mem;
}

int gd_plugin_range_ok(const gd_plugin_lib *lib, const void *p, size_t len)
{
    return lib && gd_objmem_range_ok(lib_mem(lib), p, len);
}

const char *gd_plugin_string(const gd_plugin_lib *lib, const void *p, size_t max, gd_err *err)
{
    if (!lib) {
        gd_err_set(err, GD_EINVAL, "is not in a loaded plugin");
        return NULL;
    }
    return gd_objmem_string(lib_mem(lib), p, max, err);
}

/* ---------------------------------------------------------------- loading */

int gd_loader_open(const char *path, gd_plugin_lib *out, gd_err *err)
{
    char hex[65];
    struct stat st;
    int rc;

    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !out)
        return gd_err_set(err, GD_EINVAL, "gd_loader_open: path and out are required");
    if (stat(path, &st) != 0) {
        int e = errno;
        return gd_err_set(err, e == ENOENT ? GD_ENOENT : GD_EIO, "%s: plugin not found: %s",
                          path, strerror(e));
    }
    /* Audit before dlopen: constructors run at load time. */
    rc = gd_lint_plugin(path, NULL, err);
    if (rc != GD_OK)
        return rc;
    rc = gd_sha256_file(path, hex, err);
    if (rc != GD_OK)
        return rc;
    return gd_loader_load(path, path, hex, out, err);
}

int gd_loader_load(const char *path, const char *origin, const char *sha256_hex, gd_plugin_lib *out,
                   gd_err *err)
{
    gd_plugin_lib lib;
    gordon_plugin_entry_fn entry;
    const char *dl_path = path;
    char *dotted = NULL;
    void *sym;
    int rc;

    memset(&lib, 0, sizeof lib);
    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !origin || !sha256_hex || !out)
        return gd_err_set(err, GD_EINVAL, "gd_loader_load: path, origin, hash and out are required");
    snprintf(lib.sha256_hex, sizeof lib.sha256_hex, "%s", sha256_hex);
    lib.path = strdup(path);
    lib.origin = strdup(origin);
    if (!lib.path || !lib.origin) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
        goto fail;
    }

    /* Without a '/', dlopen searches the library path instead of the file
     * that was just audited. */
    if (!strchr(path, '/')) {
        size_t len = strlen(path) + 3;
        dotted = malloc(len);
        if (!dotted) {
            rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
        snprintf(dotted, len, "./%s", path);
        dl_path = dotted;
    }
    dlerror();
    /* RTLD_NOW: unresolved symbols (e.g. host internals, which are hidden)
     * fail here, not mid-session; RTLD_LOCAL: plugins cannot see each other. */
    lib.handle = dlopen(dl_path, RTLD_NOW | RTLD_LOCAL);
    if (!lib.handle) {
        const char *e = dlerror();
        rc = gd_err_set(err, GD_EINVAL, "%s: cannot load plugin: %s", path,
                        e ? e : "dlopen failed");
        goto fail;
    }
    /* Before anything the plugin returns is looked at: what it may point into. */
    rc = gd_objmem_init(&lib.mem, lib.handle, err);
    if (rc != GD_OK) {
        gd_err_prefix(err, rc, "%s: ", path);
        goto fail;
    }
    dlerror();
    sym = dlsym(lib.handle, GORDON_ENTRY_SYMBOL);
    if (!sym) {
        rc = gd_err_set(err, GD_EABI,
                        "%s: missing entry symbol " GORDON_ENTRY_SYMBOL
                        ": not a gordon plugin or built without GORDON_PLUGIN_ENTRY", path);
        goto fail;
    }
    /* POSIX guarantees a dlsym'd function survives this conversion. */
    memcpy(&entry, &sym, sizeof entry);
    lib.desc = entry();
    if (!lib.desc) {
        rc = gd_err_set(err, GD_EPLUGIN, "%s: " GORDON_ENTRY_SYMBOL "() returned NULL", path);
        goto fail;
    }
    rc = gd_loader_validate_in(&lib.mem, lib.desc, &lib.d, err);
    if (rc != GD_OK) {
        gd_err_prefix(err, rc, "%s: ", path);
        goto fail;
    }
    free(dotted);
    *out = lib;
    return GD_OK;
fail:
    free(dotted);
    gd_loader_close(&lib);
    return rc;
}

void gd_loader_close(gd_plugin_lib *lib)
{
    if (!lib)
        return;
    if (lib->handle)
        dlclose(lib->handle);
    for (size_t i = 0; i < lib->n_owned_strs; i++)
        free(lib->owned_strs[i]);
    free(lib->owned_strs);
    free(lib->owned_params);
    free(lib->path);
    free(lib->origin);
    memset(lib, 0, sizeof *lib);
}

static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

/* A plugin string as validation left it, or a marker: describe prints
 * nothing the checks did not pass (lib is only ever a validated one, but
 * the dump must not become the crash the checks prevent). */
static const char *shown(const gd_plugin_lib *lib, const char *s, size_t max)
{
    if (!s)
        return NULL;
    return gd_plugin_string(lib, s, max, NULL) ? s : "(not a string within the plugin)";
}

void gd_loader_describe(const gd_plugin_lib *lib, FILE *out)
{
    const gordon_plugin *d;
    uint32_t i;

    if (!lib || !out)
        return;
    d = &lib->d;
    fprintf(out, "path:         %s\n", or_none(lib->path));
    fprintf(out, "sha256:       %s\n", lib->sha256_hex[0] ? lib->sha256_hex : "(none)");
    fprintf(out, "name:         %s\n", or_none(shown(lib, d->name, GD_PLUGIN_NAME_MAX)));
    fprintf(out, "kind:         %s\n", gd_kind_name(d->kind));
    fprintf(out, "version:      %s\n", or_none(shown(lib, d->version, GD_PLUGIN_VERSION_MAX)));
    fprintf(out, "description:  %s\n",
            or_none(shown(lib, d->description, GD_PLUGIN_DESCRIPTION_MAX)));
    fprintf(out, "abi:          built for %u.%u, host %u.%u\n", (unsigned)d->abi_major,
            (unsigned)d->abi_minor, (unsigned)GORDON_SDK_ABI_MAJOR,
            (unsigned)GORDON_SDK_ABI_MINOR);
    fprintf(out, "struct_size:  %u (host %zu)\n", (unsigned)d->struct_size,
            sizeof(gordon_plugin));
    fprintf(out, "warmup_bars:  %u\n", (unsigned)d->warmup_bars);
    fprintf(out, "callbacks:    create destroy%s%s%s%s%s%s%s%s\n", d->on_bar ? " on_bar" : "",
            d->on_fill ? " on_fill" : "", d->filter ? " filter" : "",
            d->evaluate ? " evaluate" : "", d->snapshot ? " snapshot" : "",
            d->restore ? " restore" : "", d->on_resume ? " on_resume" : "", d->warmup ? " warmup" : "");
    fprintf(out, "optional:     on_fill %s, snapshot/restore %s\n", d->on_fill ? "yes" : "no",
            d->snapshot && d->restore ? "yes (hot reload keeps state)" : "no");
    fprintf(out, "params:       %u\n", (unsigned)d->n_params);
    /* Validated descriptors only; an unvalidated one may have a bad stride
     * or a table that is not the plugin's. */
    if (!d->params || d->param_size < GD_PARAM_V1_MIN_SIZE || d->n_params > GD_MAX_PARAMS ||
        !gd_plugin_range_ok(lib, d->params, (size_t)d->n_params * d->param_size))
        return;
    for (i = 0; i < d->n_params; i++) {
        gordon_param p;

        param_at(d, i, &p);
        fprintf(out, "  %-20s %-6s ", or_none(shown(lib, p.name, GD_PARAM_NAME_MAX)),
                param_type_name(p.type));
        switch (p.type) {
        case GORDON_PARAM_INT:
            fprintf(out, "default %.0f  range [%.0f, %.0f]", p.def, p.min, p.max);
            break;
        case GORDON_PARAM_DOUBLE:
            fprintf(out, "default %g  range [%g, %g]", p.def, p.min, p.max);
            break;
        case GORDON_PARAM_BOOL:
            fprintf(out, "default %s", p.def != 0.0 ? "true" : "false");
            break;
        default:
            fprintf(out, "default \"%s\"",
                    p.def_str ? shown(lib, p.def_str, GD_PARAM_DEF_STR_MAX) : "");
            break;
        }
        if (p.tunable)
            fprintf(out, "  tunable step %g", p.step);
        fputc('\n', out);
        if (p.help)
            fprintf(out, "      %s\n", shown(lib, p.help, GD_PARAM_HELP_MAX));
    }
}
