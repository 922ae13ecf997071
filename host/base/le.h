/* Little-endian integers and doubles in byte buffers: the on-disk formats
 * (the bar store, ablation shards, the journal and its binary records) read
 * the same on any host. */
#ifndef GD_LE_H
#define GD_LE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t gd_rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static inline void gd_wr16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static inline uint32_t gd_rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t gd_rd64(const unsigned char *p) { return (uint64_t)gd_rd32(p) | (uint64_t)gd_rd32(p + 4) << 32; }

static inline void gd_wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void gd_wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A double's bits, and back: exact, NaN payloads included. */
static inline double gd_bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t gd_double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

#endif
