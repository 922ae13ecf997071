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

#define GD_PLUGIN_DIRS_MAX 64

int gd_plugin_resolve(const gd_config *cfg, const gd_plugin_conf *pc, const gd_plugin_dirs *dirs, char *buf,
                      size_t cap, gd_err *err)
{
    int n;
    if (pc->plugin_path)
        n = snprintf(buf, cap, "%s", pc->plugin_path);
    else if (strchr(pc->plugin, '/'))
        n = snprintf(buf, cap, "%s", pc->plugin);
    else {
        /* The stack, in order: command line, configuration, bundled. */
        const char *stack[GD_PLUGIN_DIRS_MAX + 2];
        size_t ns = 0;
        for (size_t i = 0; dirs && i < dirs->n_first && ns < GD_PLUGIN_DIRS_MAX; i++)
            if (dirs->first[i] && dirs->first[i][0])
                stack[ns++] = dirs->first[i];
        if (cfg && cfg->plugin_dir && cfg->plugin_dir[0])
            stack[ns++] = cfg->plugin_dir;
        if (dirs && dirs->last && dirs->last[0])
            stack[ns++] = dirs->last;
        if (!ns)
            return gd_err_set(err, GD_ENOENT, "%s:%d: [%s.%s] plugin = %s: no plugin directory configured", pc->file,
                              pc->line, gd_kind_name(pc->kind), pc->name, pc->plugin);
        struct stat sb;
        for (size_t i = 0; i < ns; i++) {
            n = snprintf(buf, cap, "%s/%s.so", stack[i], pc->plugin);
            if (n < 0 || (size_t)n >= cap)
                goto toolong;
            if (stat(buf, &sb) == 0)
                return 0;
        }
        /* In no folder: say every path tried, so a misplaced .so or a
         * folder missing from the stack shows at once. */
        char tried[2048];
        size_t tl = 0;
        tried[0] = '\0';
        for (size_t i = 0; i < ns && tl < sizeof tried; i++) {
            int k = snprintf(tried + tl, sizeof tried - tl, "%s%s/%s.so", i ? ", " : "", stack[i], pc->plugin);
            if (k < 0)
                break;
            tl += (size_t)k;
        }
        snprintf(buf, cap, "%s/%s.so", stack[0], pc->plugin);
        return gd_err_set(err, GD_ENOENT, "%s:%d: [%s.%s] plugin = %s: not found (tried %s)", pc->file, pc->line,
                          gd_kind_name(pc->kind), pc->name, pc->plugin, tried);
    }
    if (n < 0 || (size_t)n >= cap)
        goto toolong;
    return 0;
toolong:
    return gd_err_set(err, GD_EINVAL, "%s:%d: [%s.%s] plugin: path longer than %zu bytes", pc->file, pc->line,
                      gd_kind_name(pc->kind), pc->name, cap - 1);
}

const char *gd_default_plugin_dir(char *buf, size_t cap)
{
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
