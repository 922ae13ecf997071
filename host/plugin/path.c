#include "plugin/path.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/names.h"

#ifndef GD_DEFAULT_PLUGIN_DIR
#define GD_DEFAULT_PLUGIN_DIR "/usr/lib/gordon/plugins"
#endif

int gd_plugin_resolve(const gd_config *cfg, const gd_plugin_conf *pc, const char *dir, char *buf, size_t cap,
                      gd_err *err)
{
    int n;
    if (cfg && cfg->plugin_dir)
        dir = cfg->plugin_dir;
    if (pc->plugin_path)
        n = snprintf(buf, cap, "%s", pc->plugin_path);
    else if (strchr(pc->plugin, '/'))
        n = snprintf(buf, cap, "%s", pc->plugin);
    else if (dir) {
        /* dir may stack folders, "FIRST:SECOND": the first holding NAME.so
         * wins; if none does, the first is named (the load then says so). */
        struct stat sb;
        const char *seg = dir, *end;
        for (;;) {
            end = strchr(seg, ':');
            n = snprintf(buf, cap, "%.*s/%s.so", end ? (int)(end - seg) : (int)strlen(seg), seg, pc->plugin);
            if (n < 0 || (size_t)n >= cap || stat(buf, &sb) == 0 || !end)
                break;
            seg = end + 1;
        }
        if (n >= 0 && (size_t)n < cap && seg != dir && stat(buf, &sb) != 0) {
            end = strchr(dir, ':');
            n = snprintf(buf, cap, "%.*s/%s.so", end ? (int)(end - dir) : (int)strlen(dir), dir, pc->plugin);
        }
    } else
        return gd_err_set(err, GD_ENOENT, "%s:%d: [%s.%s] plugin = %s: no plugin directory configured", pc->file,
                          pc->line, gd_kind_name(pc->kind), pc->name, pc->plugin);
    if (n < 0 || (size_t)n >= cap)
        return gd_err_set(err, GD_EINVAL, "%s:%d: [%s.%s] plugin: path longer than %zu bytes", pc->file, pc->line,
                          gd_kind_name(pc->kind), pc->name, cap - 1);
    return 0;
}

const char *gd_default_plugin_dir(const gd_config *cfg, char *buf, size_t cap)
{
    if (cfg && cfg->plugin_dir) {
        snprintf(buf, cap, "%s", cfg->plugin_dir);
        return buf;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            struct stat sb;
            *slash = '\0';
            snprintf(buf, cap, "%s/plugins", exe);
            if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))
                return buf;
#ifdef GD_INSTALL_LIBDIR_REL
            /* An install into a prefix: P/bin/gordon, P/LIBDIR/gordon/plugins. */
            if (GD_INSTALL_LIBDIR_REL[0] != '/') {
                snprintf(buf, cap, "%s/../%s/gordon/plugins", exe, GD_INSTALL_LIBDIR_REL);
                if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))
                    return buf;
            }
#endif
        }
    }
    snprintf(buf, cap, "%s", GD_DEFAULT_PLUGIN_DIR);
    return buf;
}
