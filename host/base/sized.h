/* Sized structs across the plugin boundary. Every struct the SDK passes
 * starts with uint32_t struct_size; a minor version only appends fields.
 * Each side reads and writes only min(struct_size, its own sizeof) bytes and
 * zero-extends, so a plugin built against an older minor keeps working (see
 * sdk.h). */
#ifndef GD_SIZED_H
#define GD_SIZED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The bytes of a struct's layout up to and including member: the smallest
 * struct_size that still has it. */
#define GD_SIZE_THROUGH(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* Copies a struct the plugin handed in (src_size bytes of it are the
 * plugin's) into the host's own, zero-extended. */
static inline void gd_sized_in(void *dst, size_t dst_size, const void *src, size_t src_size)
{
    if (src_size >= dst_size) { /* the usual case, a copy of known size */
        memcpy(dst, src, dst_size);
        return;
    }
    size_t n = src_size;
    memcpy(dst, src, n);
    memset((char *)dst + n, 0, dst_size - n);
}

/* Writes the host's struct (src, src_size bytes, struct_size first) into a
 * plugin's struct of dst_size bytes: the common prefix, with struct_size set
 * to what was written. */
static inline void gd_sized_out(void *dst, size_t dst_size, const void *src, size_t src_size)
{
    if (dst_size >= src_size) { /* the usual case, a copy of known size */
        memcpy(dst, src, src_size);
        return;
    }
    uint32_t n = (uint32_t)dst_size;
    memcpy(dst, src, n);
    if (n >= sizeof n)
        memcpy(dst, &n, sizeof n);
}

#endif
