/* The journal queue (db/jq.c) and deferred record formatting (db/record.c):
 * what the trading loop hands the database thread arrives whole, in order,
 * and formats to exactly the text the loop would have written itself.
 * `ctest -R journal_queue`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "db/jq.h"
#include "db/record.h"

#define CAP ((size_t)64 << 10)

static void fill_pattern(unsigned char *p, size_t n, uint64_t k)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(k * 131 + i * 7);
}

static int check_pattern(const unsigned char *p, size_t n, uint64_t k)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(k * 131 + i * 7))
            return 0;
    return 1;
}

/* Sizes that make records straddle the ring's end at every offset. */
static size_t size_of(uint64_t k) { return (size_t)((k * 2654435761u) % 1500); }

static void test_journal_queue_order_and_wrap(void **state)
{
    (void)state;
    gd_jq *q;
    gd_err err;
    assert_int_equal(gd_jq_new(CAP, &q, &err), 0);
    uint64_t made = 0, seen = 0;
    for (int round = 0; round < 200; round++) {
        /* push until full, then pop a random-ish part of it */
        for (;;) {
            size_t n = size_of(made);
            unsigned char *p = gd_jq_reserve(q, n);
            if (!p)
                break;
            fill_pattern(p, n, made);
            gd_jq_commit(q, (uint16_t)(made % 11 + 1), (int64_t)made * 3, n);
            made++;
        }
        assert_true(gd_jq_used(q) > CAP - 1600 - 16);
        uint64_t upto = seen + (made - seen) * (uint64_t)(round % 4 + 1) / 4;
        while (seen < upto) {
            uint16_t type;
            int64_t t;
            size_t len;
            const unsigned char *p = gd_jq_peek(q, &type, &t, &len);
            assert_non_null(p);
            assert_int_equal(type, seen % 11 + 1);
            assert_int_equal(t, (int64_t)seen * 3);
            assert_int_equal(len, size_of(seen));
            assert_true(check_pattern(p, len, seen));
            gd_jq_pop(q);
            seen++;
        }
        assert_int_equal(gd_jq_pushed(q), made);
        assert_int_equal(gd_jq_popped(q), seen);
    }
    while (gd_jq_peek(q, &(uint16_t){0}, &(int64_t){0}, &(size_t){0}))
        gd_jq_pop(q);
    assert_int_equal(gd_jq_used(q), 0);
    assert_true(made > 10000);
    gd_jq_free(q);
}

static void test_journal_queue_bounds(void **state)
{
    (void)state;
    gd_jq *q;
    gd_err err;
    assert_int_not_equal(gd_jq_new(1024, &q, &err), 0); /* too small: refused, says why */
    assert_non_null(strstr(err.msg, "at least"));
    assert_int_equal(gd_jq_new(CAP, &q, &err), 0);
    assert_null(gd_jq_reserve(q, CAP));          /* never fits */
    assert_null(gd_jq_peek(q, &(uint16_t){0}, &(int64_t){0}, &(size_t){0}));
    gd_jq_pop(q);                                 /* empty: nothing happens */
    assert_int_equal(gd_jq_popped(q), 0);
    /* The producer's upper bounds only fall when refreshed. */
    void *p = gd_jq_reserve(q, 100);
    assert_non_null(p);
    gd_jq_commit(q, 1, 0, 100);
    assert_int_equal(gd_jq_count_upper(q), 1);
    gd_jq_pop(q);
    assert_int_equal(gd_jq_count_upper(q), 1);
    gd_jq_refresh(q);
    assert_int_equal(gd_jq_count_upper(q), 0);
    assert_int_equal(gd_jq_used_upper(q), 0);
    /* The wake hint: once per eighth of the ring. */
    int hints = 0;
    for (int i = 0; i < 64; i++) {
        assert_non_null(gd_jq_reserve(q, 1008));
        gd_jq_commit(q, 1, 0, 1008); /* 1024 bytes with the header */
        hints += gd_jq_take_hint(q);
        gd_jq_pop(q);
    }
    assert_int_equal(hints, 64 * 1024 / (CAP / 8));
    gd_jq_free(q);
    gd_jq_free(NULL);
}

/* One producer thread, one consumer thread: every record arrives, whole,
 * in order. */
#define N_THREADED 300000
static void producer(void *arg)
{
    gd_jq *q = arg;
    for (uint64_t k = 0; k < N_THREADED;) {
        size_t n = size_of(k) % 300;
        unsigned char *p = gd_jq_reserve(q, n);
        if (!p)
            continue; /* spin: the consumer makes room */
        fill_pattern(p, n, k);
        gd_jq_commit(q, 1, (int64_t)k, n);
        k++;
    }
}

static void test_journal_queue_threads(void **state)
{
    (void)state;
    gd_jq *q;
    gd_err err;
    uv_thread_t th;
    assert_int_equal(gd_jq_new(CAP, &q, &err), 0);
    assert_int_equal(uv_thread_create(&th, producer, q), 0);
    uint64_t k = 0;
    int bad = 0;
    while (k < N_THREADED) {
        uint16_t type;
        int64_t t;
        size_t len;
        const unsigned char *p = gd_jq_peek(q, &type, &t, &len);
        if (!p)
            continue;
        if (t != (int64_t)k || len != size_of(k) % 300 || !check_pattern(p, len, k))
            bad++;
        gd_jq_pop(q);
        k++;
    }
    uv_thread_join(&th);
    assert_int_equal(bad, 0);
    assert_int_equal(gd_jq_popped(q), N_THREADED);
    gd_jq_free(q);
}

/* ------------------------------------------------------------ deferred formatting */

static void same_text(int type, const void *args)
{
    char direct[GD_REC_MAX], later[GD_REC_MAX];
    size_t n1 = gd_rec_format(direct, sizeof direct, type, args);
    unsigned char *p = calloc(1, GD_REC_PACK_MAX); /* zeroed: pack skips the padding to 8 */
    assert_non_null(p);
    size_t sz = gd_rec_pack(p, GD_REC_PACK_MAX, type, args);
    assert_true(sz > 0);
    /* too little room: refused */
    unsigned char small[64];
    assert_int_equal(gd_rec_pack(small, sz < sizeof small ? sz - 1 : sizeof small, type, args), 0);
    /* exactly enough room: the same bytes; a byte less: refused */
    unsigned char *exact = calloc(1, sz);
    assert_non_null(exact);
    assert_int_equal(gd_rec_pack(exact, sz, type, args), sz);
    assert_memory_equal(exact, p, sz);
    assert_int_equal(gd_rec_pack(exact, sz - 1, type, args), 0);
    free(exact);
    size_t n2 = gd_rec_format_packed(later, sizeof later, type, p, sz);
    assert_int_equal(n1, n2);
    assert_string_equal(direct, later);
    /* as the database thread journals it (binary) and the writer formats it */
    unsigned char *bin = malloc(GD_REC_BIN_MAX + 1);
    assert_non_null(bin);
    size_t bn = gd_rec_encode_packed(bin, GD_REC_BIN_MAX, type, p, sz);
    assert_true(bn > 2);
    assert_true(gd_rec_is_binary(bin, bn));
    assert_false(gd_rec_is_binary(direct, n1));
    assert_int_equal(gd_rec_encode_packed(bin, bn - 1, type, p, sz), 0); /* a byte short: refused */
    assert_int_equal(gd_rec_encode_packed(bin, GD_REC_BIN_MAX, type, p, sz), bn);
    char frombin[GD_REC_MAX];
    assert_int_equal(gd_rec_format_binary(frombin, sizeof frombin, type, bin, bn), n1);
    assert_string_equal(direct, frombin);
    /* a damaged binary payload: refused, never read past its end */
    for (size_t cut = 0; cut < bn; cut++) {
        unsigned char *q = malloc(cut ? cut : 1);
        assert_non_null(q);
        memcpy(q, bin, cut);
        assert_int_equal(gd_rec_format_binary(frombin, sizeof frombin, type, q, cut), 0);
        free(q);
    }
    bin[bn] = 0; /* a byte past the last field */
    assert_int_equal(gd_rec_format_binary(frombin, sizeof frombin, type, bin, bn + 1), 0);
    bin[1] = GD_REC_BIN_VERSION + 1; /* a version this build does not know */
    assert_int_equal(gd_rec_format_binary(frombin, sizeof frombin, type, bin, bn), 0);
    bin[1] = GD_REC_BIN_VERSION;
    assert_int_equal(gd_rec_format_binary(frombin, sizeof frombin, type == 1 ? 2 : 1, bin, bn), 0);
    free(bin);
    /* cut short anywhere: refused, never read past the end */
    for (size_t cut = 0; cut < sz; cut += (sz / 13) + 1) {
        unsigned char *q = malloc(cut ? cut : 1);
        assert_non_null(q);
        memcpy(q, p, cut);
        char out[GD_REC_MAX];
        assert_int_equal(gd_rec_format_packed(out, sizeof out, type, q, cut), 0);
        free(q);
    }
    free(p);
}

/* Two argument structs that must give the same text, directly and packed. */
static void same_as(int type, const void *a, const void *b)
{
    char ta[GD_REC_MAX], tb[GD_REC_MAX];
    static unsigned char p[GD_REC_PACK_MAX];
    gd_rec_format(ta, sizeof ta, type, a);
    gd_rec_format(tb, sizeof tb, type, b);
    assert_string_equal(ta, tb);
    size_t sz = gd_rec_pack(p, sizeof p, type, b);
    assert_true(sz > 0);
    gd_rec_format_packed(tb, sizeof tb, type, p, sz);
    assert_string_equal(ta, tb);
}

static void test_journal_queue_formats_the_same(void **state)
{
    (void)state;
    char long_detail[5000];
    memset(long_detail, 'x', sizeof long_detail - 1);
    long_detail[sizeof long_detail - 1] = '\0';
    memcpy(long_detail + 1000, "\"\\\n\xc3\xa9", 6); /* escapes and UTF-8 across the cut */

    gd_intent it;
    gd_rec_intent_args ia;
    memset(&it, 0, sizeof it);
    memset(&ia, 0, sizeof ia);
    ia.it = &it;
    it.id = 42;
    it.action = GORDON_ACTION_ENTRY;
    it.side = -1;
    it.entry = 1.23456789012345;
    it.entry_claim = 1.2345;
    it.stop = 1.3;
    it.orig_stop = 1.31;
    it.take_profit = 0.9;
    it.risk_scale = 0.5;
    it.qty = 1234.5678901234567;
    it.notional = 1524.1;
    it.capped_by = 1;
    snprintf(it.tag, sizeof it.tag, "tag-\xc3\xa9");
    memset(it.detail, 'd', sizeof it.detail - 1);
    ia.strategy = "ema_cross";
    ia.symbol = "BTCUSDT";
    ia.stop_required = 1;
    same_text(GD_REC_INTENT, &ia);
    it.result = 3;
    it.tag[0] = it.detail[0] = '\0';
    ia.strategy = NULL;
    same_text(GD_REC_INTENT, &ia);

    gd_rec_order o = {"g42-e", 42, "entry", "ema_cross", "BTCUSDT", 1, 0.001, 0, 0, {0, 0}};
    same_text(GD_REC_ORDER, &o);
    gd_rec_order o2 = o; /* the client id as its parts: the same text */
    o2.client_id = NULL;
    o2.cid = (gd_rec_cid){42, 'e'};
    same_text(GD_REC_ORDER, &o2);
    same_as(GD_REC_ORDER, &o, &o2);
    gd_rec_order_event_args ev = {"g42-s", "rejected", long_detail, NULL, {0, 0}};
    same_text(GD_REC_ORDER_EVENT, &ev);
    gd_rec_order_event_args ev2 = {"g42-s", "filled", NULL, "9876", {0, 0}};
    same_text(GD_REC_ORDER_EVENT, &ev2);
    gd_rec_order_event_args ev3 = {NULL, "filled", NULL, "9876", {42, 's'}};
    same_text(GD_REC_ORDER_EVENT, &ev3);
    same_as(GD_REC_ORDER_EVENT, &ev2, &ev3);
    gd_rec_order_event_args ev4 = {NULL, "filled", NULL, NULL, {0, 0}}; /* no id at all: null */
    same_text(GD_REC_ORDER_EVENT, &ev4);
    gd_rec_position pos = {42, "s", "BTCUSDT", 1, 2, 1, 100, 95, 0, 1, 0, 1000, 0, 0, -0.08, 0.08};
    same_text(GD_REC_POSITION, &pos);
    pos.closed = 1;
    pos.closed_ms = 5000;
    pos.exit_price = 101.5;
    same_text(GD_REC_POSITION, &pos);
    gd_rec_fill f = {"g42-e", 42, 42, NULL, "s", "BTCUSDT", 1, "entry", 2, 100.123456789, 0.08, -0.08, 100, 12.3,
                     {0, 0}};
    same_text(GD_REC_FILL, &f);
    gd_rec_fill f2 = f;
    f2.client_id = NULL;
    f2.cid = (gd_rec_cid){42, 'e'};
    same_text(GD_REC_FILL, &f2);
    same_as(GD_REC_FILL, &f, &f2);
    f.venue_trade_id = "123456";
    f.ref_price = 0;
    same_text(GD_REC_FILL, &f);
    gd_rec_fee fee = {"g42-e", 42, 42, "s", "BTCUSDT", "USDT", 0.08, 0.0812, 0.0012, 1};
    same_text(GD_REC_FEE, &fee);
    gd_rec_equity eq = {"fill", 10000.123456789, 9000, 1000.5, 2000, 1.5, 2};
    same_text(GD_REC_EQUITY, &eq);
    gd_rec_risk_args rk = {"trip", "breaker:drawdown", "drawdown 5%", "{\"dd\":5}"};
    same_text(GD_REC_RISK, &rk);
    gd_rec_risk_args rk2 = {"halt", NULL, NULL, NULL};
    same_text(GD_REC_RISK, &rk2);
    gd_rec_latch_args la = {1, "operator:abc", "manual", 1700000000000};
    same_text(GD_REC_LATCH, &la);
    gd_rec_latch_args la2 = {0, NULL, NULL, 0};
    same_text(GD_REC_LATCH, &la2);
    gd_rec_session_args se = {"sim", 1};
    same_text(GD_REC_SESSION, &se);

    /* an unknown type packs to nothing and formats to nothing */
    char out[64];
    unsigned char buf[GD_REC_PACK_MAX];
    assert_int_equal(gd_rec_pack(buf, sizeof buf, 0, &se), 0);
    assert_int_equal(gd_rec_pack(buf, sizeof buf, GD_REC__COUNT, &se), 0);
    assert_int_equal(gd_rec_format_packed(out, sizeof out, 99, "x", 1), 0);
}

/* Names the engine owns for its life and literals go as pointers; what a
 * caller formats into its own buffer (a reason, a detail) is copied. */
static void test_journal_queue_names_referenced_details_copied(void **state)
{
    (void)state;
    static unsigned char p[GD_REC_PACK_MAX];
    char out[GD_REC_MAX];
    char detail[40] = "veto: ATR percentile 97.0 > 95";
    gd_rec_order_event_args ev = {NULL, "rejected", detail, NULL, {42, 'e'}};
    size_t sz = gd_rec_pack(p, sizeof p, GD_REC_ORDER_EVENT, &ev);
    assert_true(sz > 0);
    memset(detail, 'z', sizeof detail - 1); /* the caller's buffer, used again */
    assert_true(gd_rec_format_packed(out, sizeof out, GD_REC_ORDER_EVENT, p, sz) > 0);
    assert_non_null(strstr(out, "veto: ATR percentile 97.0 > 95"));
    /* a position's record is its struct alone: no bytes of its names */
    gd_rec_position pos = {42, "ema_cross", "BTCUSDT", 1, 2, 1, 100, 95, 0, 1, 0, 1000, 0, 0, -0.08, 0.08};
    assert_int_equal(gd_rec_pack(p, sizeof p, GD_REC_POSITION, &pos), (sizeof pos + 7) & ~(size_t)7);
    assert_true(gd_rec_format_packed(out, sizeof out, GD_REC_POSITION, p, (sizeof pos + 7) & ~(size_t)7) > 0);
    assert_non_null(strstr(out, "\"strategy\":\"ema_cross\""));
}

/* The sub-record at *at of a group: its type, time, text as formatted. */
static void next_sub(const unsigned char *g, size_t len, size_t *at, int type, int64_t t, const void *args)
{
    gd_rec_sub h;
    assert_true(len - *at >= sizeof h);
    memcpy(&h, g + *at, sizeof h);
    assert_int_equal(h.type, type);
    assert_int_equal(h.time_ms, t);
    char want[GD_REC_MAX], got[GD_REC_MAX];
    size_t n1 = gd_rec_format(want, sizeof want, type, args);
    size_t n2 = gd_rec_format_packed(got, sizeof got, type, g + *at + sizeof h, h.len);
    assert_int_equal(n1, n2);
    assert_string_equal(want, got);
    *at += sizeof h + ((h.len + 7) & ~(size_t)7);
}

/* A fill's entry expands into the records it stands for, in order: status
 * changes, position, fill, equity point; what does not fit is refused. */
static void test_journal_queue_fill_entry_expands(void **state)
{
    (void)state;
    gd_rec_fillev ev;
    memset(&ev, 0, sizeof ev);
    ev.n_status = 2;
    ev.st[0] = (gd_rec_evstatus){42, 'x', "filled", NULL};
    ev.st[1] = (gd_rec_evstatus){41, 's', "canceled", "the position is closed"};
    ev.has_pos = ev.has_fill = ev.has_eq = 1;
    ev.pos = (gd_rec_position){41, "ema_cross", "BTCUSDT", 1, 0.5, 0.0, 100.0, 95.0, 0.0, 1, 1, 1000, 2000,
                               101.5, 0.7, 0.05};
    ev.fill = (gd_rec_fill){NULL, 42, 41, NULL, "ema_cross", "BTCUSDT", -1, "exit", 0.5, 101.5, 0.02, 0.75,
                            101.4, 9.86, {42, 'x'}};
    ev.eq = (gd_rec_equity){"fill", 10000.7, 10000.7, 0.0, 0.0, 0.0, 0};
    static unsigned char g[8192];
    size_t n = gd_rec_fillev_expand(g, sizeof g, &ev, gd_rec_fillev_size(ev.n_status), 1234);
    assert_true(n > 0);
    size_t at = 0;
    gd_rec_order_event_args a0 = {NULL, "filled", NULL, NULL, {42, 'x'}};
    gd_rec_order_event_args a1 = {NULL, "canceled", "the position is closed", NULL, {41, 's'}};
    next_sub(g, n, &at, GD_REC_ORDER_EVENT, 1234, &a0);
    next_sub(g, n, &at, GD_REC_ORDER_EVENT, 1234, &a1);
    next_sub(g, n, &at, GD_REC_POSITION, 1234, &ev.pos);
    next_sub(g, n, &at, GD_REC_FILL, 1234, &ev.fill);
    next_sub(g, n, &at, GD_REC_EQUITY, 1234, &ev.eq);
    assert_int_equal(at, n);
    /* room for some of it: refused whole, never half a fill */
    assert_int_equal(gd_rec_fillev_expand(g, n - 8, &ev, gd_rec_fillev_size(2), 1234), 0);
    assert_int_equal(gd_rec_fillev_expand(g, 16, &ev, gd_rec_fillev_size(2), 1234), 0);
    /* an entry of another size than its status changes make: refused */
    assert_int_equal(gd_rec_fillev_expand(g, sizeof g, &ev, sizeof ev, 1234), 0);
    assert_int_equal(gd_rec_fillev_expand(g, sizeof g, &ev, gd_rec_fillev_size(1), 1234), 0);
    assert_int_equal(gd_rec_fillev_expand(g, sizeof g, &ev, 8, 1234), 0);
    ev.n_status = GD_REC_FILLEV_STATUS + 1;
    assert_int_equal(gd_rec_fillev_expand(g, sizeof g, &ev, gd_rec_fillev_size(ev.n_status), 1234), 0);
    /* an entry fill: no status but its own, no equity point */
    ev.n_status = 1;
    ev.has_eq = 0;
    n = gd_rec_fillev_expand(g, sizeof g, &ev, gd_rec_fillev_size(1), 5);
    at = 0;
    next_sub(g, n, &at, GD_REC_ORDER_EVENT, 5, &a0);
    next_sub(g, n, &at, GD_REC_POSITION, 5, &ev.pos);
    next_sub(g, n, &at, GD_REC_FILL, 5, &ev.fill);
    assert_int_equal(at, n);
}

/* An entry of an intent and its orders as the engine writes it: n orders,
 * the detail ending it. */
static size_t make_intev(unsigned char *buf, const gd_intent *it, const gd_rec_evorder *ord, uint32_t n)
{
    gd_rec_intev *ev = (gd_rec_intev *)(void *)buf;
    memset(buf, 0xA5, GD_REC_INTEV_MAX); /* nothing read that was not written */
    ev->strategy = "ema_cross";
    ev->symbol = "BTCUSDT";
    ev->stop_required = 1;
    memcpy(ev->it, it, sizeof ev->it);
    memcpy(ev->tag, it->tag, sizeof ev->tag);
    memcpy(ev->ord, ord, n * sizeof *ord);
    ev->n_orders = n;
    size_t dl = strlen(it->detail);
    memcpy((char *)(ev->ord + n), it->detail, dl + 1);
    return gd_rec_intev_size(n, dl);
}

/* An intent's entry expands into its intent and its orders, in order, the
 * same records the engine made one by one; a malformed one is refused. */
static void test_journal_queue_intent_entry_expands(void **state)
{
    (void)state;
    gd_intent it = {.id = 77, .time_ms = 1700000000000, .action = GORDON_ACTION_ENTRY, .side = 1, .entry = 100.0,
                    .entry_claim = 100.0, .stop = 95.0, .orig_stop = 95.0, .take_profit = 110.0, .risk_scale = 1.0,
                    .qty = 0.25, .notional = 25.0};
    snprintf(it.tag, sizeof it.tag, "cross-up");
    snprintf(it.detail, sizeof it.detail, "quantity capped by max_order_notional_usd");
    gd_rec_evorder ord[3] = {{0.25, 0.0, 1, 'e', 0}, {0.0, 95.0, -1, 's', 1}, {0.0, 110.0, -1, 't', 1}};
    _Alignas(8) static unsigned char buf[GD_REC_INTEV_MAX], g[8192];
    const gd_rec_intev *ev = (const gd_rec_intev *)(const void *)buf;
    size_t len = make_intev(buf, &it, ord, 3);
    size_t n = gd_rec_intev_expand(g, sizeof g, ev, len, 99);
    assert_true(n > 0);
    size_t at = 0;
    gd_rec_intent_args ia = {&it, "ema_cross", "BTCUSDT", 1};
    gd_rec_order o0 = {NULL, 77, "entry", "ema_cross", "BTCUSDT", 1, 0.25, 0.0, 0, {77, 'e'}};
    gd_rec_order o1 = {NULL, 77, "stop", "ema_cross", "BTCUSDT", -1, 0.0, 95.0, 1, {77, 's'}};
    gd_rec_order o2 = {NULL, 77, "take_profit", "ema_cross", "BTCUSDT", -1, 0.0, 110.0, 1, {77, 't'}};
    next_sub(g, n, &at, GD_REC_INTENT, 99, &ia);
    next_sub(g, n, &at, GD_REC_ORDER, 99, &o0);
    next_sub(g, n, &at, GD_REC_ORDER, 99, &o1);
    next_sub(g, n, &at, GD_REC_ORDER, 99, &o2);
    assert_int_equal(at, n);
    /* room for some of it: refused whole */
    assert_int_equal(gd_rec_intev_expand(g, n - 8, ev, len, 99), 0);
    /* a length its orders and detail do not make: refused */
    assert_int_equal(gd_rec_intev_expand(g, sizeof g, ev, len - 1, 99), 0);
    assert_int_equal(gd_rec_intev_expand(g, sizeof g, ev, len + 1, 99), 0);
    assert_int_equal(gd_rec_intev_expand(g, sizeof g, ev, 8, 99), 0);
    /* too many orders, an order of no kind, a tag without its end */
    ((gd_rec_intev *)(void *)buf)->n_orders = GD_REC_INTEV_ORDERS + 1;
    assert_int_equal(gd_rec_intev_expand(g, sizeof g, ev, gd_rec_intev_size(4, strlen(it.detail)), 99), 0);
    ord[1].k = 'q';
    len = make_intev(buf, &it, ord, 3);
    assert_int_equal(gd_rec_intev_expand(g, sizeof g, ev, len, 99), 0);
    ord[1].k = 's';
    len = make_intev(buf, &it, ord, 3);
    memset(((gd_rec_intev *)(void *)buf)->tag, 'x', sizeof it.tag);
    assert_int_equal(gd_rec_intev_expand(g, sizeof g, ev, len, 99), 0);
    /* a rejected intent alone, with an empty detail; an exit's one order */
    it.result = GORDON_REJECT_BAD_SIGNAL;
    it.detail[0] = '\0';
    len = make_intev(buf, &it, ord, 0);
    n = gd_rec_intev_expand(g, sizeof g, ev, len, 5);
    at = 0;
    next_sub(g, n, &at, GD_REC_INTENT, 5, &ia);
    assert_int_equal(at, n);
    gd_rec_evorder x = {0.0, 0.0, -1, 'x', 1};
    gd_rec_order ox = {NULL, 77, "exit", "ema_cross", "BTCUSDT", -1, 0.0, 0.0, 1, {77, 'x'}};
    len = make_intev(buf, &it, &x, 1);
    n = gd_rec_intev_expand(g, sizeof g, ev, len, 5);
    at = 0;
    next_sub(g, n, &at, GD_REC_INTENT, 5, &ia);
    next_sub(g, n, &at, GD_REC_ORDER, 5, &ox);
    assert_int_equal(at, n);
}

static void test_journal_queue_client_id(void **state)
{
    (void)state;
    char cid[GD_CLIENT_ID_MAX], ref[GD_CLIENT_ID_MAX];
    uint64_t ids[] = {0, 7, 10, 123456789, UINT64_MAX};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        gd_client_id(cid, ids[i], 's');
        snprintf(ref, sizeof ref, "g%llu-s", (unsigned long long)ids[i]);
        assert_string_equal(cid, ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_queue_order_and_wrap),
        cmocka_unit_test(test_journal_queue_bounds),
        cmocka_unit_test(test_journal_queue_threads),
        cmocka_unit_test(test_journal_queue_formats_the_same),
        cmocka_unit_test(test_journal_queue_names_referenced_details_copied),
        cmocka_unit_test(test_journal_queue_fill_entry_expands),
        cmocka_unit_test(test_journal_queue_intent_entry_expands),
        cmocka_unit_test(test_journal_queue_client_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
