#include "db/jq.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* A record: this header, then the payload padded to a multiple of 8. A
 * header with type GD_JQ_WRAP says the rest of the ring up to its end is
 * unused (a record never straddles the end); fewer than a header's bytes
 * left at the end are skipped the same way without one. */
typedef struct jq_hdr {
    uint32_t len;
    uint16_t type;
    uint16_t pad;
    int64_t time_ms;
} jq_hdr;

#define GD_JQ_HDR  ((size_t)sizeof(jq_hdr))
#define GD_JQ_WRAP 0xFFFFu
#define GD_JQ_MIN  ((size_t)64 << 10)
#define GD_JQ_PREFETCH 2048

struct gd_jq {
    unsigned char *buf;
    size_t cap, mask; /* cap is a power of two */
    /* Byte positions, ever rising (the offset is pos & mask). The producer
     * writes tail and pushed, the consumer head and popped; each reads the
     * other's with acquire, after which the bytes it covers are safe. */
    _Alignas(64) _Atomic uint64_t tail;
    _Atomic uint64_t pushed;
    /* The producer's own, on a line the consumer never reads: its own
     * copies of tail and pushed, where the reserved record's header goes,
     * the consumer's head and count as last read (reading them is a cache
     * miss while the consumer works: done only when these say "full"),
     * and where the last wake hint was given. */
    _Alignas(64) uint64_t my_tail, my_pushed, res_at, head_seen, popped_seen, hint_at, pf_at;
    int hint;
    _Alignas(64) _Atomic uint64_t head;
    _Atomic uint64_t popped;
    /* The consumer's own: the producer's tail as last read. Reading tail
     * for every record kept its line moving between the cores: each
     * commit then had to take it back before its store could complete. */
    uint64_t tail_seen;
};

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

int gd_jq_new(size_t cap, gd_jq **out, gd_err *err)
{
    *out = NULL;
    /* A power of two: offsets by a mask, not a division per record. */
    while (cap & (cap - 1))
        cap &= cap - 1;
    if (cap < GD_JQ_MIN)
        return gd_err_set(err, GD_ERANGE, "journal queue: %zu bytes (at least %zu)", cap, GD_JQ_MIN);
    gd_jq *q = aligned_alloc(64, sizeof *q); /* its lines as declared */
    if (!q)
        return gd_err_set(err, GD_ENOMEM, "journal queue: out of memory");
    memset(q, 0, sizeof *q);
    /* Faulted in now: no push takes a page fault. */
    void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
        free(q);
        return gd_err_set(err, GD_ENOMEM, "journal queue: cannot map %zu bytes", cap);
    }
    /* Written once by the thread that creates it (the producer): its lines
     * start in that core's cache rather than in memory. A push into cold
     * memory costs ~400 cycles, into a warm ring ~50. */
    memset(p, 0, cap);
    q->buf = p;
    q->cap = cap;
    q->mask = cap - 1;
    *out = q;
    return GD_OK;
}

void gd_jq_free(gd_jq *q)
{
    if (!q)
        return;
    munmap(q->buf, q->cap);
    free(q);
}

void *gd_jq_reserve(gd_jq *q, size_t len)
{
    size_t need = GD_JQ_HDR + pad8(len);
    uint64_t tail = q->my_tail;
    size_t off = (size_t)(tail & q->mask), to_end = q->cap - off;
    size_t skip = need > to_end ? to_end : 0;
    if (need > q->cap)
        return NULL;
    if ((size_t)(tail - q->head_seen) + skip + need > q->cap) {
        q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
        if ((size_t)(tail - q->head_seen) + skip + need > q->cap)
            return NULL;
    }
    if (skip) {
        if (to_end >= GD_JQ_HDR) {
            jq_hdr w = {0, GD_JQ_WRAP, 0, 0};
            memcpy(q->buf + off, &w, sizeof w);
        }
        tail += skip;
        /* The wrap is published with the record: the consumer never sees
         * one without the other. */
        off = 0;
    }
    q->res_at = tail;
    return q->buf + off + GD_JQ_HDR;
}

/* PREFETCHW: a NOP where the CPU lacks it (its opcode was reserved as
 * one), so x86-64 builds ask for it whatever -march says. */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("prfchw")))
#endif
void gd_jq_commit(gd_jq *q, uint16_t type, int64_t time_ms, size_t len)
{
    jq_hdr h = {(uint32_t)len, type, 0, time_ms};
    memcpy(q->buf + (size_t)(q->res_at & q->mask), &h, sizeof h);
    atomic_store_explicit(&q->pushed, ++q->my_pushed, memory_order_relaxed);
    uint64_t tail = q->res_at + GD_JQ_HDR + pad8(len);
    q->my_tail = tail;
    atomic_store_explicit(&q->tail, tail, memory_order_release);
    /* The lines of the next records, for writing, well ahead: the consumer
     * read them last, on another core, and taking them back (a cache miss
     * per line) was most of a push's cost. Each line is asked for once. */
    if (q->pf_at < tail)
        q->pf_at = tail & ~(uint64_t)63;
    /* Never a line the consumer may not have read yet (its head as last
     * seen is at or behind its real one): taking that from it mid-read
     * would move it back and forth between the cores. */
    uint64_t pf_end = tail + GD_JQ_PREFETCH, free_end = q->head_seen + q->cap;
    if (pf_end > free_end)
        pf_end = free_end;
    for (; q->pf_at + 64 <= pf_end; q->pf_at += 64)
        __builtin_prefetch(q->buf + (size_t)(q->pf_at & q->mask), 1, 3);
    if (tail - q->hint_at >= q->cap / 8) {
        q->hint_at = tail;
        q->hint = 1;
    }
}

int gd_jq_take_hint(gd_jq *q)
{
    int h = q->hint;
    q->hint = 0;
    return h;
}

size_t gd_jq_used_upper(const gd_jq *q) { return (size_t)(q->my_tail - q->head_seen); }

uint64_t gd_jq_count_upper(const gd_jq *q) { return q->my_pushed - q->popped_seen; }

void gd_jq_refresh(gd_jq *q)
{
    q->popped_seen = atomic_load_explicit(&q->popped, memory_order_acquire);
    q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
}

size_t gd_jq_cap(const gd_jq *q) { return q->cap; }

size_t gd_jq_used(const gd_jq *q)
{
    uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    return tail > head ? (size_t)(tail - head) : 0;
}

uint64_t gd_jq_pushed(const gd_jq *q) { return atomic_load_explicit(&q->pushed, memory_order_acquire); }
uint64_t gd_jq_popped(const gd_jq *q) { return atomic_load_explicit(&q->popped, memory_order_acquire); }

/* The consumer's head moved past a wrap (or a too-short end) if there is
 * one there; the header at the new head, or NULL when the ring is empty. */
static const jq_hdr *at_head(gd_jq *q, uint64_t *head_out)
{
    uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (int pass = 0; pass < 2; pass++) {
        if (head >= q->tail_seen) {
            q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
            if (head >= q->tail_seen)
                break;
        }
        size_t off = (size_t)(head & q->mask), to_end = q->cap - off;
        if (to_end < GD_JQ_HDR) {
            head += to_end;
            continue;
        }
        const jq_hdr *h = (const jq_hdr *)(const void *)(q->buf + off);
        if (h->type == GD_JQ_WRAP) {
            head += to_end;
            continue;
        }
        *head_out = head;
        return h;
    }
    if (head != atomic_load_explicit(&q->head, memory_order_relaxed))
        atomic_store_explicit(&q->head, head, memory_order_release);
    return NULL;
}

const void *gd_jq_peek(gd_jq *q, uint16_t *type, int64_t *time_ms, size_t *len)
{
    uint64_t head;
    const jq_hdr *h = at_head(q, &head);
    if (!h)
        return NULL;
    *type = h->type;
    *time_ms = h->time_ms;
    *len = h->len;
    return (const unsigned char *)h + GD_JQ_HDR;
}

void gd_jq_pop(gd_jq *q)
{
    uint64_t head;
    const jq_hdr *h = at_head(q, &head);
    if (!h)
        return;
    atomic_store_explicit(&q->popped, atomic_load_explicit(&q->popped, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&q->head, head + GD_JQ_HDR + pad8(h->len), memory_order_release);
}
