/* A library whose soname (libc.so.6.evil, set by tests/lint.cmake) matches
 * the old lint's libc.so.* pattern: a plugin could ship it beside itself
 * and reach it through a RUNPATH. */
int gd_lint_evil(void);

int gd_lint_evil(void) { return 42; }
