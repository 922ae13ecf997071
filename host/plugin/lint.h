/* The plugin lint: what a plugin .so imports and links, checked from its ELF
 * file without running any of its code. */
#ifndef GD_LINT_H
#define GD_LINT_H

#include "base/err.h"

/* Reads the .so's dynamic section with libelf: refuses non-ELF files, non
 * shared objects, imports of forbidden symbols (network, process, loader,
 * raw syscalls, files, environment, threads) and DT_NEEDED libraries outside
 * the allow-list. The message names the symbol and why it is forbidden.
 * file is what is read; messages name display (NULL: file), so a private
 * copy can be checked under the name the operator knows. */
int gd_lint_plugin(const char *file, const char *display, gd_err *err);

#endif
