/* A JSON scanner that allocates nothing: it checks one JSON text against
 * RFC 8259's grammar and hands every member of every object to a callback
 * as spans into the text. For the per-bar hot path (a kline message), where
 * cJSON's allocations are not allowed; anything larger goes to cJSON.
 *
 * Members come after their values are scanned, so an object's members come
 * before the member that holds the object (post-order). depth is 0 for the
 * members of the outermost object, 1 for the members of an object held by
 * one of them, and so on; parent is the key of the member holding the
 * object (empty at depth 0, and the array's key for objects in an array).
 * Strings are given raw (between the quotes, escapes not decoded; escaped
 * says whether there are any). Nesting deeper than max_depth is an error.
 * UTF-8 is not checked. */
#ifndef GD_JSCAN_H
#define GD_JSCAN_H

#include <stddef.h>

enum {
    GD_JS_NULL = 0,
    GD_JS_FALSE,
    GD_JS_TRUE,
    GD_JS_NUM,
    GD_JS_STR,
    GD_JS_OBJ,
    GD_JS_ARR
};

typedef struct gd_jspan {
    const char *p;
    size_t n;
} gd_jspan;

typedef struct gd_jval {
    int type;      /* GD_JS_* */
    gd_jspan text; /* STR: between the quotes; NUM: the number; OBJ/ARR: brackets included */
    int escaped;   /* STR: has a backslash escape */
} gd_jval;

typedef void (*gd_jscan_fn)(void *arg, int depth, gd_jspan parent, gd_jspan key, const gd_jval *v);

/* 0 when text[0..len) is one JSON value (surrounding white space allowed),
 * -1 if not (*err_off, if given, is where it went wrong). fn may be NULL. */
int gd_jscan(const char *text, size_t len, int max_depth, gd_jscan_fn fn, void *arg, size_t *err_off);

/* The span equals the NUL-terminated lit. */
int gd_jspan_eq(gd_jspan s, const char *lit);

/* A number, or a string holding exactly one (Binance writes prices as
 * strings), as a double; NAN for anything else. */
double gd_jval_num(const gd_jval *v);

#endif
