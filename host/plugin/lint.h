/* The plugin lint: the rules a plugin .so must follow, checked from its ELF
 * file without running any of its code. A lint that catches accidents and
 * states the rule broken, not a security boundary: code in the host's
 * address space can still reach the kernel or libc without importing
 * anything. The boundary is the sandboxed worker process. */
#ifndef GD_LINT_H
#define GD_LINT_H

#include "base/err.h"

/* Reads the .so as the dynamic loader does (ELF and program headers, the
 * PT_DYNAMIC array and the tables it points to; never section headers),
 * every read bounds-checked. Refuses, naming the file and what is wrong:
 * non-ELF files, anything but a 64-bit little-endian x86-64/aarch64 ET_DYN
 * for this host, a malformed or truncated file (GD_EINVAL); DT_RPATH,
 * DT_RUNPATH, DT_AUDIT, DT_DEPAUDIT, DT_FILTER, DT_AUXILIARY,
 * DT_PREINIT_ARRAY, thread-locals, an executable stack, a DT_NEEDED other
 * than exactly libc.so.6 or libm.so.6 (and, in a sanitizer build, its
 * runtimes), and an imported symbol off the allowlist of what a computation
 * needs from libc and libm, named with its version (GD_EFORBIDDEN).
 * file is what is read; messages name display (NULL: file), so a private
 * copy can be checked under the name the operator knows. */
int gd_lint_plugin(const char *file, const char *display, gd_err *err);

#endif
