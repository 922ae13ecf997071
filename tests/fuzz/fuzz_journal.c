/* libFuzzer target for the journal's reader and recovery (db/journal*.c):
 * gd_journal_scan (`gordon journal`) and gd_journal_open (the daemon at
 * start: checks every segment, cuts a torn tail, loads what is unapplied)
 * on a directory built from the input. Byte 0 chooses how:
 *   bit 0 clear: raw, the rest is one segment's bytes, then "%%" and the
 *                applied file's text; byte 1 picks the segment's name;
 *   bit 0 set:   records, encoded with the real encoder so the CRCs are
 *                right and the fuzzer reaches the sequence checks: each
 *                [u8 len][u8 type][u8 op] then len payload bytes, op
 *                saying repeat or skip a seq, damage the CRC or the magic,
 *                start the next segment; bit 1 writes an applied mark
 *                (byte 1 % (records + 2)); bit 2 cuts byte 1 % 64 bytes off
 *                the end (a torn tail).
 * Checked beyond "no crash": every record a scan hands over has a length
 * within GD_JOURNAL_MAX_RECORD, a valid CRC (gd_jrec_check on its bytes)
 * and the seq after the previous; the scan and the open agree on whether
 * the directory is good; an open that fails changes no file; one that
 * succeeds reports what the scan saw, gives back the unapplied records in
 * order, takes one more record, and opens again with no torn tail and the
 * seq after it. Each record's payload also goes through the writer's reader
 * of binary records (gd_rec_format_binary), as it is and framed as one:
 * refused, or one JSON object that cJSON parses. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/hash.h"
#include "base/log.h"
#include "db/journal.h"
#include "db/journal_int.h" /* the encoder and the record check */
#include "db/record.h"
#include "fuzz_tmp.h"

static char jdir[300];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    if (ftw->level > 0)
        remove(p);
    return 0;
}

/* The files of the directory (the lock aside: opening takes it) as one
 * hash of names and contents, in name order. */
static void snapshot(char out[65])
{
    struct dirent **names = NULL;
    int n = scandir(jdir, &names, NULL, alphasort);
    size_t cap = 0, len = 0;
    char *all = NULL;
    if (n < 0)
        abort();
    fuzz_append(&all, &len, &cap, "J", 1); /* never NULL */
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        if (strcmp(nm, ".") && strcmp(nm, "..") && strcmp(nm, GD_JLOCK)) {
            char path[700];
            snprintf(path, sizeof path, "%s/%s", jdir, nm);
            fuzz_append(&all, &len, &cap, nm, strlen(nm) + 1);
            FILE *f = fopen(path, "rb");
            if (f) {
                char buf[4096];
                size_t k;
                while ((k = fread(buf, 1, sizeof buf, f)) > 0)
                    fuzz_append(&all, &len, &cap, buf, k);
                fclose(f);
            }
        }
        free(names[i]);
    }
    free(names);
    gd_sha256_buf(all, len, out);
    free(all);
}

typedef struct seen {
    uint64_t n, last;
} seen;

/* A payload as the writer reads it (db/record.c gd_rec_format_binary),
 * as it is and behind a binary record's two first bytes (so the field
 * decoding is reached): refused, or one JSON object within the buffer. */
static void read_binary(const gd_jrec *r)
{
    static unsigned char p[GD_JOURNAL_MAX_RECORD + 2];
    static char out[GD_REC_MAX];
    int type = r->type % (GD_REC__COUNT + 1);
    for (int framed = 0; framed < 2; framed++) {
        size_t len = r->len;
        const unsigned char *q = (const unsigned char *)r->data;
        if (framed) {
            p[0] = GD_REC_BIN_MAGIC;
            p[1] = GD_REC_BIN_VERSION;
            memcpy(p + 2, r->data, r->len);
            q = p;
            len += 2;
        }
        size_t n = gd_rec_format_binary(out, sizeof out, type, q, len);
        if (n == 0)
            continue;
        if (n >= sizeof out || strlen(out) != n || out[0] != '{' || out[n - 1] != '}')
            abort();
        cJSON *j = cJSON_ParseWithLength(out, n);
        if (!j || !cJSON_IsObject(j))
            abort();
        cJSON_Delete(j);
    }
}

static int on_record(void *arg, const gd_jrec *r)
{
    seen *s = arg;
    if (r->len > GD_JOURNAL_MAX_RECORD || (r->len && !r->data) || (s->n && r->seq != s->last + 1))
        abort();
    read_binary(r);
    s->n++;
    s->last = r->seq;
    return 0;
}

static int on_raw(void *arg, const gd_jrec *r, const unsigned char *raw, gd_err *err)
{
    (void)arg, (void)err;
    gd_jrec again;
    const char *why;
    size_t size = gd_jrec_size(r->len);
    if (gd_jrec_check(raw, size, &again, &why) != size || again.seq != r->seq || again.len != r->len)
        abort();
    return 0;
}

static void seg_path(char *buf, size_t cap, uint64_t first)
{
    gd_err err;
    if (gd_jseg_path(buf, cap, jdir, first, &err) != 0)
        abort();
}

/* Builds the directory from the input. */
static void build(const uint8_t *d, size_t size)
{
    char path[700];
    uint8_t mode = size ? d[0] : 0, b1 = size > 1 ? d[1] : 0;
    d += size > 2 ? 2 : size;
    size = size > 2 ? size - 2 : 0;
    if (!(mode & 1)) {
        static const uint64_t names[4] = {1, 2, 1000, UINT64_MAX};
        const uint8_t *sep = memmem(d, size, "%%", 2);
        size_t n = sep ? (size_t)(sep - d) : size;
        seg_path(path, sizeof path, names[b1 & 3]);
        fuzz_put(path, d, n);
        if (sep) {
            snprintf(path, sizeof path, "%s/%s", jdir, GD_JAPPLIED);
            fuzz_put(path, sep + 2, size - n - 2);
        }
        return;
    }
    /* At most size / 3 records, each a header and its payload padded to 8. */
    unsigned char *seg = calloc(1, (size / 3 + 1) * (GD_JHDR + 8) + size + 64);
    size_t len = 0, nrec = 0;
    uint64_t seq = 1, first = 1;
    if (!seg)
        abort();
    while (size >= 3) {
        size_t n = d[0] <= size - 3 ? d[0] : size - 3;
        uint16_t type = d[1];
        uint8_t op = d[2];
        if ((op & 3) == 1 && nrec)
            seq--; /* a repeat */
        else if ((op & 3) == 2)
            seq++;              /* a gap */
        if ((op & 32) && len) { /* the next segment starts here */
            seg_path(path, sizeof path, first);
            fuzz_put(path, seg, len);
            len = 0;
            first = seq;
        }
        gd_jrec_encode(seg + len, seq, (int64_t)seq * 1000, type, d + 3, (uint32_t)n);
        if (op & 4)
            seg[len + 28] ^= 1; /* the CRC */
        if (op & 8)
            seg[len] ^= 0x20; /* the magic */
        if (op & 16)
            seg[len + 26] = 1; /* the reserved field */
        len += gd_jrec_size((uint32_t)n);
        seq++;
        nrec++;
        d += 3 + n;
        size -= 3 + n;
    }
    if ((mode & 4) && len)
        len -= b1 % 64 < len ? b1 % 64 : len;
    seg_path(path, sizeof path, first);
    fuzz_put(path, seg, len);
    free(seg);
    if (mode & 2) {
        char text[32];
        int k = snprintf(text, sizeof text, "%llu\n", (unsigned long long)(b1 % (nrec + 2)));
        snprintf(path, sizeof path, "%s/%s", jdir, GD_JAPPLIED);
        fuzz_put(path, text, (size_t)k);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        snprintf(jdir, sizeof jdir, "%s/j", fuzz_tmp_dir("journal"));
        if (mkdir(jdir, 0700))
            abort();
        gd_log_init(NULL, GD_LOG_OFF);
        once = 1;
    }
    nftw(jdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    build(data, size);

    gd_err err;
    gd_journal_recovery srec;
    seen s = {0, 0};
    int src = gd_journal_scan(jdir, on_record, &s, &srec, &err);
    gd_jscan js;
    int rrc = gd_jscan_dir(jdir, on_raw, NULL, &js, &err);
    gd_jscan_free(&js);
    if ((src == 0) != (rrc == 0))
        abort();
    if (src == 0 && (s.n != srec.records || (s.n && s.last != srec.last_seq)))
        abort();

    char before[65];
    snapshot(before);
    gd_journal_opts o = {jdir, 2 * gd_jrec_size(GD_JOURNAL_MAX_RECORD), 4096};
    gd_journal *j = NULL;
    gd_journal_recovery rec;
    int orc = gd_journal_open(&o, &j, &rec, &err);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_journal: scan %d (%llu records), open %d %s\n", src, (unsigned long long)s.n, orc,
                orc ? err.msg : rec.torn_what);
    if (orc != 0) {
        char after[65];
        snapshot(after);
        if (j || strcmp(before, after) != 0)
            abort(); /* a failed open changes nothing */
        if (src == 0 && orc != GD_ERANGE)
            abort(); /* the scan found nothing wrong */
        return 0;
    }
    if (src != 0 || rec.last_seq != srec.last_seq || rec.torn_bytes != srec.torn_bytes || rec.records != srec.records ||
        rec.applied_seq != srec.applied_seq)
        abort();
    /* The unapplied records, in order, as durable. */
    gd_jrec out[64];
    uint64_t after_seq = rec.applied_seq, got = 0;
    size_t k;
    while ((k = gd_journal_read(j, after_seq, out, 64)) > 0) {
        for (size_t i = 0; i < k; i++) {
            if (out[i].seq != after_seq + 1 || out[i].len > GD_JOURNAL_MAX_RECORD)
                abort();
            after_seq = out[i].seq;
        }
        got += k;
    }
    if (got != rec.unapplied || after_seq != rec.last_seq)
        abort();
    uint64_t seq = 0;
    if (gd_journal_append(j, 7, 1, "fuzz", 4, &seq, &err) != 0 || seq != rec.last_seq + 1 ||
        gd_journal_sync(j, &err) != 0)
        abort();
    gd_journal_close(j);
    if (gd_journal_open(&o, &j, &rec, &err) != 0 || rec.torn_bytes || rec.last_seq != seq)
        abort(); /* recovery left a good journal */
    gd_journal_close(j);
    return 0;
}
