/* Arrays of owned strings (char **v with a count): the names, paths and
 * tokens the host keeps. */
#ifndef GD_STRV_H
#define GD_STRV_H

#include <stddef.h>

/* Frees the n strings of v (NULL entries are fine) and v itself. v may be
 * NULL. */
void gd_strv_free(char **v, size_t n);

#endif
