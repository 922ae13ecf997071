/* The journal's files (see db/journal.h): the record format and its
 * CRC-32C, the segment scan that tells a torn tail from damage, and the
 * applied file. Nothing here holds state between calls. */
#include "db/journal_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/le.h"

/* CRC-32C, reflected polynomial 0x82F63B78 (iSCSI, ext4, LevelDB): better
 * error detection than zlib's CRC-32 for short records and no dependency.
 * A table, a byte at a time (about 3 ns a byte: 1 us for a 300-byte
 * record), or SSE 4.2's crc32 instruction, 8 bytes at a time, where the CPU
 * has it (about 20 times faster): appending is on the loop's thread. */
static const uint32_t crc32c_table[256] = {
    0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf,
    0x78b2dbcc, 0x6be22838, 0x9989ab3b, 0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
    0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384, 0x9a879fa0, 0x68ec1ca3, 0x7bbcef57,
    0x89d76c54, 0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
    0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5, 0x6dfe410e,
    0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa, 0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
    0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a, 0x7da08661, 0x8fcb0562, 0x9c9bf696,
    0x6ef07595, 0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
    0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198, 0x5125dad3,
    0xa34e59d0, 0xb01eaa24, 0x42752927, 0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
    0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7, 0x61c69362, 0x93ad1061, 0x80fde395,
    0x72966096, 0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
    0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9, 0xb602c312,
    0x44694011, 0x5739b3e5, 0xa55230e6, 0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
    0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c, 0x456cac67, 0xb7072f64, 0xa457dc90,
    0x563c5f93, 0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
    0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc, 0x1871a4d8,
    0xea1a27db, 0xf94ad42f, 0x0b21572c, 0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
    0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d, 0x2892ed69, 0xdaf96e6a, 0xc9a99d9e,
    0x3bc21e9d, 0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
    0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2, 0xff56bd19,
    0x0d3d3e1a, 0x1e6dcdee, 0xec064eed, 0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
    0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff, 0x8ecee914, 0x7ca56a17, 0x6ff599e3,
    0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
    0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a,
    0x115b2b19, 0x020bd8ed, 0xf0605bee, 0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
    0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e, 0xf36e6f75, 0x0105ec76, 0x12551f82,
    0xe03e9c81, 0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
    0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

uint32_t gd_crc32c_portable(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    crc = ~crc;
    while (n--)
        crc = crc32c_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *b, size_t n)
{
    uint64_t c = ~crc;
    for (; n >= 8; n -= 8, b += 8) {
        uint64_t v;
        memcpy(&v, b, 8); /* unaligned: x86 loads it as it is */
        c = _mm_crc32_u64(c, v);
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = _mm_crc32_u8(c32, *b++);
    return ~c32;
}

uint32_t gd_crc32c(uint32_t crc, const void *p, size_t n)
{
    if (__builtin_cpu_supports("sse4.2"))
        return crc32c_sse42(crc, p, n);
    return gd_crc32c_portable(crc, p, n);
}
#else
uint32_t gd_crc32c(uint32_t crc, const void *p, size_t n) { return gd_crc32c_portable(crc, p, n); }
#endif


/* The header's CRC field sits at 28: everything before it, then the payload. */
static uint32_t rec_crc(const unsigned char *p, const void *data, uint32_t len)
{
    return gd_crc32c(gd_crc32c(0, p, 28), data, len);
}

void gd_jrec_encode(unsigned char *dst, uint64_t seq, int64_t time_ms, uint16_t type, const void *data, uint32_t len)
{
    size_t size = gd_jrec_size(len);
    gd_wr32(dst, GD_JMAGIC);
    gd_wr32(dst + 4, len);
    gd_wr64(dst + 8, seq);
    gd_wr64(dst + 16, (uint64_t)time_ms);
    gd_wr16(dst + 24, type);
    gd_wr16(dst + 26, 0);
    if (len)
        memcpy(dst + GD_JHDR, data, len);
    memset(dst + GD_JHDR + len, 0, size - GD_JHDR - len);
    gd_wr32(dst + 28, rec_crc(dst, dst + GD_JHDR, len));
}

void gd_jrec_decode(const unsigned char *p, gd_jrec *r)
{
    r->len = gd_rd32(p + 4);
    r->seq = gd_rd64(p + 8);
    r->time_ms = (int64_t)gd_rd64(p + 16);
    r->type = gd_rd16(p + 24);
    r->data = (const char *)p + GD_JHDR;
}

size_t gd_jrec_check(const unsigned char *p, size_t avail, gd_jrec *r, const char **why)
{
    memset(r, 0, sizeof *r);
    if (avail < GD_JHDR) {
        *why = "short header";
        return 0;
    }
    if (gd_rd32(p) != GD_JMAGIC) {
        *why = "bad magic";
        return 0;
    }
    gd_jrec_decode(p, r);
    if (r->len > GD_JOURNAL_MAX_RECORD) {
        *why = "length past the largest record";
        return 0;
    }
    if (gd_rd16(p + 26) != 0) {
        *why = "reserved field not zero";
        return 0;
    }
    if (avail - GD_JHDR < r->len) {
        *why = "short payload";
        return 0;
    }
    if (rec_crc(p, p + GD_JHDR, r->len) != gd_rd32(p + 28)) {
        *why = "crc mismatch";
        return 0;
    }
    size_t size = gd_jrec_size(r->len);
    if (avail < size) {
        *why = "short padding";
        return 0;
    }
    for (size_t i = GD_JHDR + r->len; i < size; i++)
        if (p[i]) {
            *why = "padding not zero";
            return 0;
        }
    return size;
}

int gd_jseg_path(char *buf, size_t cap, const char *dir, uint64_t first, gd_err *err)
{
    int n = snprintf(buf, cap, "%s/%020llu" GD_JSEG_SUFFIX, dir, (unsigned long long)first);
    if (n < 0 || (size_t)n >= cap)
        return gd_err_set(err, GD_ERANGE, "%.200s: journal directory name too long", dir);
    return GD_OK;
}

/* 1-20 decimal digits that fit a uint64_t, exactly n of them. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > GD_JSEG_DIGITS)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int gd_japplied_read(const char *dir, uint64_t *out, gd_err *err)
{
    char path[4096], *text = NULL;
    size_t len;
    *out = 0;
    if (snprintf(path, sizeof path, "%s/" GD_JAPPLIED, dir) >= (int)sizeof path)
        return gd_err_set(err, GD_ERANGE, "%.200s: journal directory name too long", dir);
    /* 20 digits and a newline; anything longer is not ours. */
    int rc = gd_file_read(path, 64, &text, &len, err);
    if (rc == GD_ENOENT)
        return GD_OK;
    if (rc == GD_ERANGE)
        return gd_err_set(err, GD_EPARSE, "%s: not an applied mark (longer than a sequence number)", path);
    if (rc)
        return rc;
    size_t n = len > 0 && text[len - 1] == '\n' ? len - 1 : len;
    if (memchr(text, '\0', len) || !parse_u64(text, n, out)) {
        *out = 0;
        rc = gd_err_set(err, GD_EPARSE, "%s: not an applied mark (expected one decimal sequence number)", path);
    }
    free(text);
    return rc;
}

int gd_jfsync_dir(const char *dir, gd_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return gd_err_set(err, GD_EIO, "%s: fsync directory: %s", dir, strerror(e));
    }
    close(fd);
    return GD_OK;
}

int gd_japplied_write(const char *dir, uint64_t seq, gd_err *err)
{
    char path[4096], text[32];
    if (snprintf(path, sizeof path, "%s/" GD_JAPPLIED, dir) >= (int)sizeof path - 4)
        return gd_err_set(err, GD_ERANGE, "%.200s: journal directory name too long", dir);
    int n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)seq);
    /* The mark counts only once the rename is durable: segments are removed
     * on its word. */
    return gd_file_write_durable(path, text, (size_t)n, err);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The segments' first seqs, sorted. Names that are not 20 digits and
 * ".gdj" are not segments (the lock, the applied file, a leftover .tmp). */
static int list_segments(const char *dir, gd_jscan *s, gd_err *err)
{
    size_t cap = 0;
    int rc = GD_OK;
    DIR *d = opendir(dir);
    if (!d)
        return gd_err_set(err, errno == ENOENT || errno == ENOTDIR ? GD_ENOENT : GD_EIO, "%s: cannot open: %s", dir,
                          strerror(errno));
    for (;;) {
        errno = 0;
        const struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                rc = gd_err_set(err, GD_EIO, "%s: cannot list: %s", dir, strerror(errno));
            break;
        }
        uint64_t first;
        if (strlen(de->d_name) != GD_JSEG_DIGITS + strlen(GD_JSEG_SUFFIX) ||
            strcmp(de->d_name + GD_JSEG_DIGITS, GD_JSEG_SUFFIX) != 0)
            continue;
        if (!parse_u64(de->d_name, GD_JSEG_DIGITS, &first) || first == 0) {
            rc = gd_err_set(err, GD_EPARSE, "%s/%s: not a segment name (a sequence number from 1)", dir, de->d_name);
            break;
        }
        if (s->n_segs == cap) {
            size_t nc = cap ? cap * 2 : 16;
            uint64_t *g = realloc(s->segs, nc * sizeof *g);
            if (!g) {
                rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory listing segments", dir);
                break;
            }
            s->segs = g;
            cap = nc;
        }
        s->segs[s->n_segs++] = first;
    }
    closedir(d);
    if (!rc && s->n_segs)
        qsort(s->segs, s->n_segs, sizeof *s->segs, cmp_u64);
    return rc;
}

/* A bad record at off in the newest segment is a torn write only if
 * nothing valid follows it: the crash cut the last write short. A valid
 * record after it means the damage is in the middle. */
static size_t valid_after(const unsigned char *buf, size_t n, size_t off)
{
    gd_jrec r;
    const char *why;
    for (size_t o = off + 8; o < n && n - o >= GD_JHDR; o += 8)
        if (gd_jrec_check(buf + o, n - o, &r, &why))
            return o;
    return 0;
}

static int bad_record(const char *path, int newest, const unsigned char *buf, size_t n, size_t off, uint64_t expect,
                      const char *why, gd_jscan *s, gd_err *err)
{
    if (!newest)
        return gd_err_set(err, GD_EPARSE,
                          "%s: offset %zu: seq %llu: %s, in a segment that is not the newest: damage, not a torn write",
                          path, off, (unsigned long long)expect, why);
    size_t next = valid_after(buf, n, off);
    if (next)
        return gd_err_set(err, GD_EPARSE,
                          "%s: offset %zu: seq %llu: %s, and a valid record follows at offset %zu: damage, not a "
                          "torn write",
                          path, off, (unsigned long long)expect, why, next);
    s->torn_bytes = n - off;
    snprintf(s->torn_what, sizeof s->torn_what, "%s at offset %zu (seq %llu)", why, off, (unsigned long long)expect);
    return GD_OK;
}

/* One segment: every record valid, each seq the one after the last (the
 * first one the segment's name), except a torn tail in the newest. */
static int scan_segment(const char *dir, gd_jscan *s, size_t i, uint64_t *next, gd_jscan_fn fn, void *arg, gd_err *err)
{
    char path[4096], *text = NULL;
    size_t n = 0, off = 0;
    int newest = i + 1 == s->n_segs, rc;
    uint64_t name = s->segs[i];
    if ((rc = gd_jseg_path(path, sizeof path, dir, name, err)) != 0)
        return rc;
    if (*next && name != *next)
        return gd_err_set(err, GD_EPARSE, "%s: begins at seq %llu, but the segment before it ends at seq %llu (%s)",
                          path, (unsigned long long)name, (unsigned long long)(*next - 1),
                          name > *next ? "records are missing" : "a repeat");
    *next = name;
    if ((rc = gd_file_read(path, 0, &text, &n, err)) != 0)
        return rc;
    const unsigned char *buf = (const unsigned char *)text;
    while (off < n) {
        gd_jrec r;
        const char *why;
        size_t size = gd_jrec_check(buf + off, n - off, &r, &why);
        if (!size) {
            rc = bad_record(path, newest, buf, n, off, *next, why, s, err);
            break;
        }
        if (r.seq != *next) {
            rc = gd_err_set(err, GD_EPARSE, "%s: offset %zu: seq %llu where %llu was expected (%s)", path, off,
                            (unsigned long long)r.seq, (unsigned long long)*next,
                            off == 0 ? "the segment's name says otherwise" : "a gap or a repeat");
            break;
        }
        s->records++;
        if (fn && (rc = fn(arg, &r, buf + off, err)) != 0)
            break;
        (*next)++;
        off += size;
    }
    if (!rc && n == 0 && !newest)
        rc = gd_err_set(err, GD_EPARSE, "%s: empty, and not the newest segment", path);
    if (newest)
        s->newest_len = off;
    free(text);
    return rc;
}

int gd_jscan_dir(const char *dir, gd_jscan_fn fn, void *arg, gd_jscan *s, gd_err *err)
{
    int rc;
    uint64_t next = 0;
    memset(s, 0, sizeof *s);
    if ((rc = list_segments(dir, s, err)) != 0 || (rc = gd_japplied_read(dir, &s->applied, err)) != 0)
        return rc;
    for (size_t i = 0; i < s->n_segs; i++)
        if ((rc = scan_segment(dir, s, i, &next, fn, arg, err)) != 0)
            return rc;
    if (s->n_segs) {
        s->first_seq = s->segs[0];
        s->last_seq = next - 1;
    }
    /* Segments go only once the applied mark covers them, and never the
     * newest: a mark past the end, or before the oldest, means files were
     * lost or the mark is not this journal's. */
    if (s->applied > s->last_seq)
        return gd_err_set(err, GD_EPARSE,
                          "%s/" GD_JAPPLIED ": marks seq %llu applied, but the segments end at %llu "
                          "(segments lost?)",
                          dir, (unsigned long long)s->applied, (unsigned long long)s->last_seq);
    if (s->n_segs && s->applied + 1 < s->first_seq)
        return gd_err_set(err, GD_EPARSE,
                          "%s: the oldest segment begins at seq %llu, but only up to %llu is "
                          "applied (%s)",
                          dir, (unsigned long long)s->first_seq, (unsigned long long)s->applied,
                          s->applied ? "segments lost?" : "the applied file is missing");
    return GD_OK;
}

void gd_jscan_free(gd_jscan *s)
{
    if (!s)
        return;
    free(s->segs);
    s->segs = NULL;
    s->n_segs = 0;
}
