/* A growable byte buffer, always NUL-terminated once anything is in it.
 * A failed allocation makes the buffer sticky-failed: later appends do
 * nothing and gd_buf_take returns NULL, so a caller can build a whole text
 * and check once at the end. */
#ifndef GD_BUF_H
#define GD_BUF_H

#include <stddef.h>

typedef struct gd_buf {
    char *p;     /* owned; NULL until the first append */
    size_t len;  /* bytes used, not counting the terminator */
    size_t cap;
    int failed;  /* an allocation failed: the content is incomplete */
} gd_buf;

#define GD_BUF_INIT {NULL, 0, 0, 0}

/* Room for extra more bytes plus the terminator. 0 or GD_ENOMEM. */
int gd_buf_reserve(gd_buf *b, size_t extra);
int gd_buf_append(gd_buf *b, const void *data, size_t n);
int gd_buf_puts(gd_buf *b, const char *s);
int gd_buf_printf(gd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empties it, keeping the memory (and clearing failed). */
void gd_buf_clear(gd_buf *b);
/* Cuts it back to len bytes (len <= b->len), clearing failed: rolls back a
 * text that could not be completed. */
void gd_buf_truncate(gd_buf *b, size_t len);
/* The text, now the caller's (free it); NULL if anything failed. The buffer
 * is left empty either way. An empty buffer gives "". */
char *gd_buf_take(gd_buf *b);
void gd_buf_free(gd_buf *b);

#endif
