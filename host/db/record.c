/* Journal record payloads: flat JSON objects written with snprintf into the
 * caller's buffer (the hot path allocates nothing). */
#include "db/record.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/le.h"
#include "base/names.h"

/* A payload under construction; n counts what the whole text needs, so an
 * overflow shows as n >= cap. */
typedef struct rb {
    char *buf;
    size_t cap, n;
} rb;

/* Appends n bytes (the count goes on past cap, like snprintf). */
static void lit_n(rb *b, const char *s, size_t n)
{
    if (b->n < b->cap) {
        size_t room = b->cap - b->n - 1; /* keep the terminator's place */
        memcpy(b->buf + b->n, s, n < room ? n : room);
        b->buf[b->n + (n < room ? n : room)] = '\0';
    }
    b->n += n;
}

static void lit(rb *b, const char *s) { lit_n(b, s, strlen(s)); }

/* The hot path formats a few records per fill: plain copies, no printf
 * for keys and integers. */
static void key(rb *b, const char *k)
{
    if (b->n > 1)
        lit_n(b, ",", 1);
    lit_n(b, "\"", 1);
    lit(b, k);
    lit_n(b, "\":", 2);
}

static void str(rb *b, const char *k, const char *v)
{
    key(b, k);
    if (!v) {
        lit_n(b, "null", 4);
        return;
    }
    char esc[1024];
    size_t n = gd_json_escape(esc, sizeof esc, v);
    lit_n(b, "\"", 1);
    lit_n(b, esc, n < sizeof esc ? n : strlen(esc));
    lit_n(b, "\"", 1);
}

static void num(rb *b, const char *k, double v)
{
    char t[40];
    key(b, k);
    int n = gd_json_number(t, sizeof t, v);
    lit_n(b, t, n > 0 && (size_t)n < sizeof t ? (size_t)n : strlen(t));
}

/* A price or level where 0 (or not finite) means "none". */
static void level(rb *b, const char *k, double v)
{
    if (v > 0.0 && isfinite(v))
        num(b, k, v);
    else {
        key(b, k);
        lit_n(b, "null", 4);
    }
}

/* v's decimal digits, written backwards to end at t + 24: where they start. */
static const char *digits(char t[24], uint64_t v)
{
    size_t i = 24;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return t + i;
}

static void u64(rb *b, const char *k, uint64_t v)
{
    char t[24];
    const char *d = digits(t, v);
    key(b, k);
    lit_n(b, d, (size_t)(t + sizeof t - d));
}

static void i64(rb *b, const char *k, int64_t v)
{
    if (v < 0) {
        key(b, k);
        lit_n(b, "-", 1);
        /* the magnitude, without overflowing at INT64_MIN */
        char t[24];
        const char *d = digits(t, (uint64_t)(-(v + 1)) + 1);
        lit_n(b, d, (size_t)(t + sizeof t - d));
        return;
    }
    u64(b, k, (uint64_t)v);
}

static void boolean(rb *b, const char *k, int v)
{
    key(b, k);
    if (v)
        lit_n(b, "true", 4);
    else
        lit_n(b, "false", 5);
}

static size_t done(rb *b)
{
    lit_n(b, "}", 1);
    return b->n;
}

#define RB(b, buf, cap)                                                                            \
    rb b = {buf, cap, 0};                                                                          \
    lit_n(&b, "{", 1)

const char *gd_rec_type_name(int type)
{
    static const char *const names[GD_REC__COUNT] = {
        [GD_REC_INTENT] = "intent", [GD_REC_ORDER] = "order",   [GD_REC_ORDER_EVENT] = "order_event",
        [GD_REC_POSITION] = "position", [GD_REC_FILL] = "fill", [GD_REC_EQUITY] = "equity",
        [GD_REC_RISK] = "risk",     [GD_REC_LATCH] = "latch",  [GD_REC_SESSION] = "session",
        [GD_REC_FEE] = "fee"};
    return type > 0 && type < GD_REC__COUNT ? names[type] : "unknown";
}

void gd_client_id(char out[GD_CLIENT_ID_MAX], uint64_t intent_id, char kind)
{
    /* "g%llu-%c" without printf: a fill formats several of these. */
    char t[24];
    const char *d = digits(t, intent_id);
    size_t n = (size_t)(t + sizeof t - d);
    out[0] = 'g';
    memcpy(out + 1, d, n);
    out[n + 1] = '-';
    out[n + 2] = kind;
    out[n + 3] = '\0';
}

size_t gd_rec_intent(char *buf, size_t cap, const gd_intent *it, const char *strategy, const char *symbol,
                     int stop_required)
{
    RB(b, buf, cap);
    u64(&b, "id", it->id);
    str(&b, "strategy", strategy);
    str(&b, "symbol", symbol);
    str(&b, "action", it->action == GORDON_ACTION_ENTRY ? "entry" : it->action == GORDON_ACTION_EXIT ? "exit" : "unknown");
    i64(&b, "side", it->side == 1 || it->side == -1 ? it->side : 0);
    str(&b, "result", it->result == GORDON_ACCEPTED ? "accepted" : gd_reject_name(it->result));
    level(&b, "ref_price", it->entry);
    level(&b, "entry_claim", it->entry_claim);
    level(&b, "stop", it->stop);
    level(&b, "orig_stop", it->orig_stop);
    level(&b, "take_profit", it->take_profit);
    num(&b, "risk_scale", it->risk_scale);
    /* A rejected intent carries no quantity, whatever was computed. */
    num(&b, "qty", it->result == GORDON_ACCEPTED && it->qty > 0.0 ? it->qty : 0.0);
    num(&b, "notional", it->result == GORDON_ACCEPTED && it->notional > 0.0 ? it->notional : 0.0);
    str(&b, "capped_by", it->capped_by ? gd_cap_name(it->capped_by) : NULL);
    str(&b, "tag", it->tag);
    str(&b, "detail", it->detail);
    boolean(&b, "stop_required", stop_required);
    return done(&b);
}

/* A record's client id: as given, or written out from its parts. */
static const char *cid_text(const char *given, gd_rec_cid c, char tmp[GD_CLIENT_ID_MAX])
{
    if (given || !c.kind)
        return given;
    gd_client_id(tmp, c.intent_id, c.kind);
    return tmp;
}

size_t gd_rec_order_fmt(char *buf, size_t cap, const gd_rec_order *o)
{
    char cid[GD_CLIENT_ID_MAX];
    RB(b, buf, cap);
    str(&b, "client_id", cid_text(o->client_id, o->cid, cid));
    u64(&b, "intent_id", o->intent_id);
    str(&b, "kind", o->kind);
    str(&b, "strategy", o->strategy);
    str(&b, "symbol", o->symbol);
    i64(&b, "side", o->side);
    level(&b, "qty", o->qty);
    level(&b, "price", o->price);
    boolean(&b, "reduce_only", o->reduce_only);
    str(&b, "status", "new");
    return done(&b);
}

size_t gd_rec_order_event(char *buf, size_t cap, const char *client_id, const char *status,
                          const char *detail, const char *venue_id)
{
    RB(b, buf, cap);
    str(&b, "client_id", client_id);
    str(&b, "status", status);
    str(&b, "detail", detail ? detail : "");
    str(&b, "venue_id", venue_id);
    return done(&b);
}

size_t gd_rec_position_fmt(char *buf, size_t cap, const gd_rec_position *p)
{
    RB(b, buf, cap);
    u64(&b, "id", p->id);
    str(&b, "strategy", p->strategy);
    str(&b, "symbol", p->symbol);
    i64(&b, "side", p->side);
    num(&b, "qty", p->qty);
    num(&b, "open_qty", p->closed ? 0.0 : p->open_qty);
    num(&b, "entry", p->entry);
    level(&b, "stop", p->stop);
    level(&b, "take_profit", p->take_profit);
    boolean(&b, "stop_required", p->stop_required);
    str(&b, "status", p->closed ? "closed" : "open");
    i64(&b, "opened_ms", p->opened_ms);
    if (p->closed)
        i64(&b, "closed_ms", p->closed_ms < p->opened_ms ? p->opened_ms : p->closed_ms);
    else
        str(&b, "closed_ms", NULL);
    level(&b, "exit_price", p->closed ? p->exit_price : 0.0);
    num(&b, "realized_pnl", p->realized_pnl);
    num(&b, "fees", p->fees > 0.0 ? p->fees : 0.0);
    return done(&b);
}

size_t gd_rec_fill_fmt(char *buf, size_t cap, const gd_rec_fill *f)
{
    char cid[GD_CLIENT_ID_MAX];
    RB(b, buf, cap);
    str(&b, "client_id", cid_text(f->client_id, f->cid, cid));
    u64(&b, "intent_id", f->intent_id);
    u64(&b, "position_id", f->position_id);
    str(&b, "venue_trade_id", f->venue_trade_id);
    str(&b, "strategy", f->strategy);
    str(&b, "symbol", f->symbol);
    i64(&b, "side", f->side);
    str(&b, "reason", f->reason);
    num(&b, "qty", f->qty);
    num(&b, "price", f->price);
    num(&b, "fee", f->fee);
    num(&b, "realized_pnl", f->realized_pnl);
    if (f->ref_price > 0.0 && isfinite(f->ref_price) && isfinite(f->slippage_bps)) {
        num(&b, "ref_price", f->ref_price);
        num(&b, "slippage_bps", f->slippage_bps);
    }
    return done(&b);
}

size_t gd_rec_fee_fmt(char *buf, size_t cap, const gd_rec_fee *f)
{
    RB(b, buf, cap);
    str(&b, "client_id", f->client_id);
    u64(&b, "intent_id", f->intent_id);
    u64(&b, "position_id", f->position_id);
    str(&b, "strategy", f->strategy);
    str(&b, "symbol", f->symbol);
    str(&b, "asset", f->asset);
    num(&b, "estimated", f->estimated);
    num(&b, "charged", f->charged);
    num(&b, "applied", f->applied);
    boolean(&b, "in_position", f->in_position);
    return done(&b);
}

size_t gd_rec_equity_fmt(char *buf, size_t cap, const gd_rec_equity *q)
{
    RB(b, buf, cap);
    str(&b, "cause", q->cause);
    num(&b, "equity", q->equity);
    num(&b, "cash", q->cash);
    num(&b, "unrealized", q->unrealized);
    num(&b, "gross", q->gross > 0.0 ? q->gross : 0.0);
    i64(&b, "open_positions", q->open_positions);
    num(&b, "drawdown_pct", q->drawdown_pct > 0.0 ? q->drawdown_pct : 0.0);
    return done(&b);
}

size_t gd_rec_risk(char *buf, size_t cap, const char *kind, const char *who, const char *reason,
                   const char *detail_json)
{
    RB(b, buf, cap);
    str(&b, "kind", kind);
    str(&b, "who", who && who[0] ? who : "host");
    str(&b, "reason", reason ? reason : "");
    /* The detail goes in as text: the writer casts it to jsonb, and a
     * malformed one is refused there rather than breaking this payload. */
    str(&b, "detail", detail_json && detail_json[0] ? detail_json : "{}");
    return done(&b);
}

size_t gd_rec_session(char *buf, size_t cap, const char *executor, int simulated)
{
    RB(b, buf, cap);
    str(&b, "executor", executor);
    boolean(&b, "simulated", simulated);
    return done(&b);
}

size_t gd_rec_latch(char *buf, size_t cap, int halted, const char *who, const char *reason, int64_t since_ms)
{
    RB(b, buf, cap);
    boolean(&b, "halted", halted);
    str(&b, "who", who ? who : "");
    str(&b, "reason", reason ? reason : "");
    if (halted)
        i64(&b, "since_ms", since_ms);
    else
        str(&b, "since_ms", NULL);
    return done(&b);
}

/* ------------------------------------------------------------ deferred */

/* An intent as packed: gd_intent's fixed-size tag and detail go as
 * strings (most of those 192 bytes are zeros: copying them is most of an
 * intent's cost to the loop). */
#define PACKED_INTENT_FIXED offsetof(gd_intent, tag)
typedef struct packed_intent {
    _Alignas(8) unsigned char it[PACKED_INTENT_FIXED]; /* gd_intent up to its tag */
    const char *strategy, *symbol, *tag, *detail;
    int stop_required;
} packed_intent;

/* Each type's argument struct and where its strings are. The strings of
 * `stable` (a bit per str_at) are not copied: their pointers, copied with
 * the struct, are read where the record is formatted. Only names the
 * engine owns for its life (strategies, symbols) and string literals (an
 * order's kind, a fill's reason, an equity point's cause) are: the
 * database thread formats every queued record before the engine is freed
 * (gd_dbrun_close). Copying them was most of a record's bytes. */
typedef struct packdesc {
    size_t size;
    unsigned n_str;
    size_t str_at[6];
    unsigned stable;
} packdesc;
#define ST(i) (1u << (i))

#define OFF(t, f) offsetof(t, f)
static const packdesc packs[GD_REC__COUNT] = {
    [GD_REC_INTENT] = {sizeof(packed_intent), 4,
                       {OFF(packed_intent, strategy), OFF(packed_intent, symbol), OFF(packed_intent, tag),
                        OFF(packed_intent, detail)}, ST(0) | ST(1)},
    [GD_REC_ORDER] = {sizeof(gd_rec_order), 4,
                      {OFF(gd_rec_order, client_id), OFF(gd_rec_order, kind), OFF(gd_rec_order, strategy),
                       OFF(gd_rec_order, symbol)}, ST(1) | ST(2) | ST(3)},
    [GD_REC_ORDER_EVENT] = {sizeof(gd_rec_order_event_args), 4,
                            {OFF(gd_rec_order_event_args, client_id), OFF(gd_rec_order_event_args, status),
                             OFF(gd_rec_order_event_args, detail), OFF(gd_rec_order_event_args, venue_id)}},
    [GD_REC_POSITION] = {sizeof(gd_rec_position), 2, {OFF(gd_rec_position, strategy), OFF(gd_rec_position, symbol)},
                         ST(0) | ST(1)},
    [GD_REC_FILL] = {sizeof(gd_rec_fill), 5,
                     {OFF(gd_rec_fill, client_id), OFF(gd_rec_fill, venue_trade_id), OFF(gd_rec_fill, strategy),
                      OFF(gd_rec_fill, symbol), OFF(gd_rec_fill, reason)}, ST(2) | ST(3) | ST(4)},
    [GD_REC_EQUITY] = {sizeof(gd_rec_equity), 1, {OFF(gd_rec_equity, cause)}, ST(0)},
    [GD_REC_RISK] = {sizeof(gd_rec_risk_args), 4,
                     {OFF(gd_rec_risk_args, kind), OFF(gd_rec_risk_args, who), OFF(gd_rec_risk_args, reason),
                      OFF(gd_rec_risk_args, detail_json)}},
    [GD_REC_LATCH] = {sizeof(gd_rec_latch_args), 2, {OFF(gd_rec_latch_args, who), OFF(gd_rec_latch_args, reason)}},
    [GD_REC_SESSION] = {sizeof(gd_rec_session_args), 1, {OFF(gd_rec_session_args, executor)}},
    [GD_REC_FEE] = {sizeof(gd_rec_fee), 4,
                    {OFF(gd_rec_fee, client_id), OFF(gd_rec_fee, strategy), OFF(gd_rec_fee, symbol),
                     OFF(gd_rec_fee, asset)}, ST(1) | ST(2)},
};
#undef OFF
#undef ST

/* Any argument struct, aligned for all of them. */
_Static_assert(sizeof(packed_intent) <= GD_REC_PACK_FIXED_MAX, "GD_REC_PACK_MAX too small");
_Static_assert(sizeof(gd_rec_fill) <= GD_REC_PACK_FIXED_MAX, "GD_REC_PACK_MAX too small");
_Static_assert(sizeof(gd_rec_position) <= GD_REC_PACK_FIXED_MAX, "GD_REC_PACK_MAX too small");
typedef union anyargs {
    packed_intent intent;
    gd_rec_order order;
    gd_rec_order_event_args event;
    gd_rec_position position;
    gd_rec_fill fill;
    gd_rec_equity equity;
    gd_rec_risk_args risk;
    gd_rec_latch_args latch;
    gd_rec_session_args session;
    gd_rec_fee fee;
} anyargs;

static const packdesc *desc(int type)
{
    return type > 0 && type < GD_REC__COUNT && packs[type].size ? &packs[type] : NULL;
}

static const char *str_field(const void *args, size_t at)
{
    const char *s;
    memcpy(&s, (const char *)args + at, sizeof s);
    return s;
}

size_t gd_rec_format(char *buf, size_t cap, int type, const void *args)
{
    switch (type) {
    case GD_REC_INTENT: {
        const gd_rec_intent_args *a = args;
        return gd_rec_intent(buf, cap, a->it, a->strategy, a->symbol, a->stop_required);
    }
    case GD_REC_ORDER: return gd_rec_order_fmt(buf, cap, args);
    case GD_REC_ORDER_EVENT: {
        const gd_rec_order_event_args *a = args;
        char cid[GD_CLIENT_ID_MAX];
        return gd_rec_order_event(buf, cap, cid_text(a->client_id, a->cid, cid), a->status, a->detail,
                                  a->venue_id);
    }
    case GD_REC_POSITION: return gd_rec_position_fmt(buf, cap, args);
    case GD_REC_FILL: return gd_rec_fill_fmt(buf, cap, args);
    case GD_REC_EQUITY: return gd_rec_equity_fmt(buf, cap, args);
    case GD_REC_RISK: {
        const gd_rec_risk_args *a = args;
        return gd_rec_risk(buf, cap, a->kind, a->who, a->reason, a->detail_json);
    }
    case GD_REC_LATCH: {
        const gd_rec_latch_args *a = args;
        return gd_rec_latch(buf, cap, a->halted, a->who, a->reason, a->since_ms);
    }
    case GD_REC_SESSION: {
        const gd_rec_session_args *a = args;
        return gd_rec_session(buf, cap, a->executor, a->simulated);
    }
    case GD_REC_FEE: return gd_rec_fee_fmt(buf, cap, args);
    default:
        if (cap)
            buf[0] = '\0';
        return 0;
    }
}

/* Packed: the struct as it is (its string pointers say only which strings
 * are there: NULL or not), padded to 8, then each string that is there,
 * in the table's order, NUL-terminated. */
/* An intent's arguments as packed_intent; it->tag and it->detail are left
 * out of the struct's bytes that are copied (see gd_rec_pack). */
static void intent_to_packed(const gd_rec_intent_args *a, packed_intent *p)
{
    memcpy(p->it, a->it, PACKED_INTENT_FIXED);
    p->strategy = a->strategy;
    p->symbol = a->symbol;
    p->tag = a->it->tag;
    p->detail = a->it->detail;
    p->stop_required = a->stop_required;
}

/* The argument struct's bytes: a copy of constant size per type, which the
 * compiler inlines (a call to memcpy with a size read from the table was a
 * good part of a record's cost to the loop). */
#define PACK_COPY(T)                                                                                                 \
    case GD_REC_##T: memcpy(p, args, sizeof(struct_of_##T)); break
typedef packed_intent struct_of_INTENT;
typedef gd_rec_order struct_of_ORDER;
typedef gd_rec_order_event_args struct_of_ORDER_EVENT;
typedef gd_rec_position struct_of_POSITION;
typedef gd_rec_fill struct_of_FILL;
typedef gd_rec_equity struct_of_EQUITY;
typedef gd_rec_risk_args struct_of_RISK;
typedef gd_rec_latch_args struct_of_LATCH;
typedef gd_rec_session_args struct_of_SESSION;
typedef gd_rec_fee struct_of_FEE;

size_t gd_rec_pack(void *dst, size_t room, int type, const void *args)
{
    const packdesc *d = desc(type);
    size_t n = d ? (d->size + 7) & ~(size_t)7 : 0;
    if (!d || room < n)
        return 0;
    unsigned char *p = dst;
    packed_intent pi;
    if (type == GD_REC_INTENT) {
        intent_to_packed(args, &pi);
        args = &pi;
    }
    switch (type) {
        PACK_COPY(INTENT);
        PACK_COPY(ORDER);
        PACK_COPY(ORDER_EVENT);
        PACK_COPY(POSITION);
        PACK_COPY(FILL);
        PACK_COPY(EQUITY);
        PACK_COPY(RISK);
        PACK_COPY(LATCH);
        PACK_COPY(SESSION);
        PACK_COPY(FEE);
    default: return 0;
    }
    /* What is left to copy is the text that came with the event (an
     * intent's tag and detail, a reason, an id): tens of bytes, measured and
     * copied by the library's vector loops (a byte loop took six
     * instructions a byte, most of an intent's cost). */
    for (unsigned i = 0; i < d->n_str; i++) {
        const char *s = str_field(args, d->str_at[i]);
        if (!s || (d->stable >> i & 1u))
            continue;
        if (n >= room)
            return 0;
        size_t lim = room - n - 1; /* room for the NUL kept */
        if (lim > GD_REC_PACK_STR)
            lim = GD_REC_PACK_STR;
        size_t k = strnlen(s, lim);
        memcpy(p + n, s, k);
        if (k == lim && lim < GD_REC_PACK_STR && s[k])
            return 0; /* would not fit */
        p[n + k] = '\0';
        n += k + 1;
    }
    return n;
}
#undef PACK_COPY

/* One record packed behind its gd_rec_sub at dst + *at. */
static int put_sub(unsigned char *dst, size_t room, size_t *at, int type, const void *args, int64_t t)
{
    if (room - *at < sizeof(gd_rec_sub))
        return 0;
    size_t n = gd_rec_pack(dst + *at + sizeof(gd_rec_sub), room - *at - sizeof(gd_rec_sub), type, args);
    size_t adv = sizeof(gd_rec_sub) + ((n + 7) & ~(size_t)7);
    if (!n || adv > room - *at)
        return 0;
    gd_rec_sub h = {(uint32_t)n, (uint16_t)type, 0, t};
    memcpy(dst + *at, &h, sizeof h);
    *at += adv;
    return 1;
}

size_t gd_rec_fillev_expand(void *dst, size_t room, const gd_rec_fillev *ev, size_t len, int64_t t)
{
    size_t at = 0;
    room &= ~(size_t)7;
    if (len < gd_rec_fillev_size(0) || ev->n_status > GD_REC_FILLEV_STATUS || len != gd_rec_fillev_size(ev->n_status))
        return 0;
    for (uint32_t i = 0; i < ev->n_status; i++) {
        const gd_rec_evstatus *s = &ev->st[i];
        gd_rec_order_event_args a = {NULL, s->status, s->detail, NULL, {s->intent_id, s->kind}};
        if (!put_sub(dst, room, &at, GD_REC_ORDER_EVENT, &a, t))
            return 0;
    }
    if ((ev->has_pos && !put_sub(dst, room, &at, GD_REC_POSITION, &ev->pos, t)) ||
        (ev->has_fill && !put_sub(dst, room, &at, GD_REC_FILL, &ev->fill, t)) ||
        (ev->has_eq && !put_sub(dst, room, &at, GD_REC_EQUITY, &ev->eq, t)))
        return 0;
    return at;
}

const char *gd_rec_order_kind(char k)
{
    switch (k) {
    case 'e': return "entry";
    case 's': return "stop";
    case 't': return "take_profit";
    case 'x': return "exit";
    case 'f':
    case 'c': return "flatten";
    default: return NULL;
    }
}

_Static_assert(offsetof(gd_rec_intev, it) % 8 == 0 && sizeof(((gd_rec_intev *)0)->it) == PACKED_INTENT_FIXED,
               "an intent entry holds gd_intent up to its tag");

size_t gd_rec_intev_expand(void *dst, size_t room, const gd_rec_intev *ev, size_t len, int64_t t)
{
    size_t at = 0, base = offsetof(gd_rec_intev, ord);
    room &= ~(size_t)7;
    if (len < gd_rec_intev_size(0, 0) || ev->n_orders > GD_REC_INTEV_ORDERS ||
        len < gd_rec_intev_size(ev->n_orders, 0) || !memchr(ev->tag, '\0', sizeof ev->tag))
        return 0;
    /* The detail ends the entry: its NUL is its last byte. */
    const char *detail = (const char *)ev + base + (size_t)ev->n_orders * sizeof(gd_rec_evorder);
    size_t dmax = len - (size_t)(detail - (const char *)ev);
    gd_intent it;
    if (strnlen(detail, dmax) != dmax - 1 || dmax > sizeof it.detail)
        return 0;
    memset(&it, 0, sizeof it);
    memcpy(&it, ev->it, PACKED_INTENT_FIXED);
    memcpy(it.tag, ev->tag, sizeof it.tag);
    memcpy(it.detail, detail, dmax);
    gd_rec_intent_args ia = {&it, ev->strategy, ev->symbol, ev->stop_required};
    if (!put_sub(dst, room, &at, GD_REC_INTENT, &ia, t))
        return 0;
    for (uint32_t i = 0; i < ev->n_orders; i++) {
        const gd_rec_evorder *o = &ev->ord[i];
        const char *kind = gd_rec_order_kind(o->k);
        if (!kind)
            return 0;
        gd_rec_order r = {NULL, it.id, kind, ev->strategy, ev->symbol, o->side, o->qty, o->price, o->reduce_only,
                          {it.id, o->k}};
        if (!put_sub(dst, room, &at, GD_REC_ORDER, &r, t))
            return 0;
    }
    return at;
}

/* A packed record's arguments, its copied strings pointed at where they
 * lie in p. 0, or -1 when p is not a packed record of that type. */
static int unpack(int type, const void *p, size_t len, anyargs *a)
{
    const packdesc *d = desc(type);
    size_t n = d ? (d->size + 7) & ~(size_t)7 : 0;
    if (!d || len < n)
        return -1;
    memcpy(a, p, d->size);
    const char *bytes = p;
    for (unsigned i = 0; i < d->n_str; i++) {
        if (!str_field(a, d->str_at[i]) || (d->stable >> i & 1u))
            continue;
        const char *s = bytes + n;
        const char *nul = n < len ? memchr(s, '\0', len - n) : NULL;
        if (!nul)
            return -1;
        memcpy((char *)a + d->str_at[i], &s, sizeof s);
        n += (size_t)(nul - s) + 1;
    }
    return 0;
}

/* Formats the arguments as unpacked (an intent's as packed_intent). */
static size_t format_args(char *buf, size_t cap, int type, const anyargs *a)
{
    if (type == GD_REC_INTENT) {
        gd_intent it;
        gd_rec_intent_args ia;
        memset(&it, 0, sizeof it);
        memset(&ia, 0, sizeof ia);
        memcpy(&it, a->intent.it, PACKED_INTENT_FIXED);
        if (a->intent.tag)
            snprintf(it.tag, sizeof it.tag, "%s", a->intent.tag);
        if (a->intent.detail)
            snprintf(it.detail, sizeof it.detail, "%s", a->intent.detail);
        ia.it = &it;
        ia.strategy = a->intent.strategy;
        ia.symbol = a->intent.symbol;
        ia.stop_required = a->intent.stop_required;
        return gd_rec_format(buf, cap, type, &ia);
    }
    return gd_rec_format(buf, cap, type, a);
}

size_t gd_rec_format_packed(char *buf, size_t cap, int type, const void *p, size_t len)
{
    anyargs a;
    if (cap)
        buf[0] = '\0';
    if (unpack(type, p, len, &a) != 0)
        return 0;
    return format_args(buf, cap, type, &a);
}

/* ------------------------------------------------------------ binary */

/* Each type's arguments as the binary payload holds them: the fields in
 * this order, each fixed-width little endian (a string: u16 length, 0xFFFF
 * for none, then its bytes). The tables are the format: a field is never
 * moved or removed from one, only added at its end under a new version. */
enum { FK_U64 = 1, FK_I64, FK_U32, FK_I32, FK_F64, FK_STR, FK_CID };
typedef struct bfield {
    unsigned char kind;
    unsigned short off;
} bfield;

#define F(k, t, f) {FK_##k, (unsigned short)offsetof(t, f)}
#define FI(k, f) {FK_##k, (unsigned short)(offsetof(packed_intent, it) + offsetof(gd_intent, f))}
static const bfield b_intent[] = {
    FI(U64, id),          FI(I64, time_ms),     FI(U32, strategy),      FI(U32, symbol),
    FI(I32, action),      FI(I32, side),        FI(F64, entry),         FI(F64, entry_claim),
    FI(F64, stop),        FI(F64, orig_stop),   FI(F64, take_profit),   FI(F64, risk_scale),
    FI(F64, qty),         FI(F64, notional),    FI(I32, result),        FI(I32, capped_by),
    F(STR, packed_intent, strategy), F(STR, packed_intent, symbol), F(STR, packed_intent, tag),
    F(STR, packed_intent, detail),   F(I32, packed_intent, stop_required),
};
static const bfield b_order[] = {
    F(STR, gd_rec_order, client_id), F(U64, gd_rec_order, intent_id), F(STR, gd_rec_order, kind),
    F(STR, gd_rec_order, strategy),  F(STR, gd_rec_order, symbol),    F(I32, gd_rec_order, side),
    F(F64, gd_rec_order, qty),       F(F64, gd_rec_order, price),     F(I32, gd_rec_order, reduce_only),
    F(CID, gd_rec_order, cid),
};
static const bfield b_event[] = {
    F(STR, gd_rec_order_event_args, client_id), F(STR, gd_rec_order_event_args, status),
    F(STR, gd_rec_order_event_args, detail),    F(STR, gd_rec_order_event_args, venue_id),
    F(CID, gd_rec_order_event_args, cid),
};
static const bfield b_position[] = {
    F(U64, gd_rec_position, id),          F(STR, gd_rec_position, strategy),  F(STR, gd_rec_position, symbol),
    F(I32, gd_rec_position, side),        F(F64, gd_rec_position, qty),       F(F64, gd_rec_position, open_qty),
    F(F64, gd_rec_position, entry),       F(F64, gd_rec_position, stop),      F(F64, gd_rec_position, take_profit),
    F(I32, gd_rec_position, stop_required), F(I32, gd_rec_position, closed),  F(I64, gd_rec_position, opened_ms),
    F(I64, gd_rec_position, closed_ms),   F(F64, gd_rec_position, exit_price), F(F64, gd_rec_position, realized_pnl),
    F(F64, gd_rec_position, fees),
};
static const bfield b_fill[] = {
    F(STR, gd_rec_fill, client_id), F(U64, gd_rec_fill, intent_id),    F(U64, gd_rec_fill, position_id),
    F(STR, gd_rec_fill, venue_trade_id), F(STR, gd_rec_fill, strategy), F(STR, gd_rec_fill, symbol),
    F(I32, gd_rec_fill, side),      F(STR, gd_rec_fill, reason),       F(F64, gd_rec_fill, qty),
    F(F64, gd_rec_fill, price),     F(F64, gd_rec_fill, fee),          F(F64, gd_rec_fill, realized_pnl),
    F(F64, gd_rec_fill, ref_price), F(F64, gd_rec_fill, slippage_bps), F(CID, gd_rec_fill, cid),
};
static const bfield b_equity[] = {
    F(STR, gd_rec_equity, cause),      F(F64, gd_rec_equity, equity), F(F64, gd_rec_equity, cash),
    F(F64, gd_rec_equity, unrealized), F(F64, gd_rec_equity, gross),  F(F64, gd_rec_equity, drawdown_pct),
    F(U32, gd_rec_equity, open_positions),
};
static const bfield b_risk[] = {
    F(STR, gd_rec_risk_args, kind),   F(STR, gd_rec_risk_args, who),
    F(STR, gd_rec_risk_args, reason), F(STR, gd_rec_risk_args, detail_json),
};
static const bfield b_latch[] = {
    F(I32, gd_rec_latch_args, halted), F(STR, gd_rec_latch_args, who), F(STR, gd_rec_latch_args, reason),
    F(I64, gd_rec_latch_args, since_ms),
};
static const bfield b_session[] = {F(STR, gd_rec_session_args, executor), F(I32, gd_rec_session_args, simulated)};
static const bfield b_fee[] = {
    F(STR, gd_rec_fee, client_id), F(U64, gd_rec_fee, intent_id), F(U64, gd_rec_fee, position_id),
    F(STR, gd_rec_fee, strategy),  F(STR, gd_rec_fee, symbol),    F(STR, gd_rec_fee, asset),
    F(F64, gd_rec_fee, estimated), F(F64, gd_rec_fee, charged),   F(F64, gd_rec_fee, applied),
    F(I32, gd_rec_fee, in_position),
};
#undef F
#undef FI

typedef struct bdesc {
    const bfield *f;
    unsigned n;
} bdesc;
#define BD(a) {a, (unsigned)(sizeof a / sizeof a[0])}
static const bdesc bdescs[GD_REC__COUNT] = {
    [GD_REC_INTENT] = BD(b_intent),   [GD_REC_ORDER] = BD(b_order),     [GD_REC_ORDER_EVENT] = BD(b_event),
    [GD_REC_POSITION] = BD(b_position), [GD_REC_FILL] = BD(b_fill),     [GD_REC_EQUITY] = BD(b_equity),
    [GD_REC_RISK] = BD(b_risk),       [GD_REC_LATCH] = BD(b_latch),     [GD_REC_SESSION] = BD(b_session),
    [GD_REC_FEE] = BD(b_fee),
};
#undef BD

int gd_rec_is_binary(const void *p, size_t len)
{
    return len >= 2 && ((const unsigned char *)p)[0] == GD_REC_BIN_MAGIC;
}

size_t gd_rec_encode_packed(void *out, size_t cap, int type, const void *p, size_t len)
{
    anyargs a;
    if (type <= 0 || type >= GD_REC__COUNT || !bdescs[type].f || unpack(type, p, len, &a) != 0)
        return 0;
    const bdesc *d = &bdescs[type];
    unsigned char *o = out, *end = o + cap;
    if (cap < 2)
        return 0;
    *o++ = GD_REC_BIN_MAGIC;
    *o++ = GD_REC_BIN_VERSION;
    for (unsigned i = 0; i < d->n; i++) {
        const char *at = (const char *)&a + d->f[i].off;
        uint64_t v = 0;
        unsigned w = 8;
        switch (d->f[i].kind) {
        case FK_U64: case FK_I64: case FK_F64: memcpy(&v, at, 8); break;
        case FK_U32: case FK_I32: {
            uint32_t x;
            memcpy(&x, at, 4);
            v = x;
            w = 4;
            break;
        }
        case FK_CID: {
            gd_rec_cid c;
            memcpy(&c, at, sizeof c);
            if (end - o < 9)
                return 0;
            gd_wr64(o, c.intent_id);
            o[8] = (unsigned char)c.kind;
            o += 9;
            continue;
        }
        default: { /* FK_STR */
            const char *s = str_field(&a, d->f[i].off);
            size_t n = s ? strnlen(s, GD_REC_PACK_STR) : 0;
            if ((size_t)(end - o) < 2 + n)
                return 0;
            gd_wr16(o, s ? (uint16_t)n : 0xFFFFu);
            if (n)
                memcpy(o + 2, s, n);
            o += 2 + n;
            continue;
        }
        }
        if ((size_t)(end - o) < w)
            return 0;
        if (w == 8)
            gd_wr64(o, v);
        else
            gd_wr32(o, (uint32_t)v);
        o += w;
    }
    return (size_t)(o - (unsigned char *)out);
}

size_t gd_rec_format_binary(char *buf, size_t cap, int type, const void *p, size_t len)
{
    if (cap)
        buf[0] = '\0';
    if (type <= 0 || type >= GD_REC__COUNT || !bdescs[type].f || len < 2)
        return 0;
    const unsigned char *q = p, *end = q + len;
    if (q[0] != GD_REC_BIN_MAGIC || q[1] != GD_REC_BIN_VERSION)
        return 0;
    q += 2;
    const bdesc *d = &bdescs[type];
    anyargs a;
    memset(&a, 0, sizeof a);
    /* The strings, terminated: a record holds six at most (the database
     * thread's and the command line's stacks, not every thread's TLS). */
    char strs[6][GD_REC_PACK_STR + 1];
    unsigned ns = 0;
    for (unsigned i = 0; i < d->n; i++) {
        char *at = (char *)&a + d->f[i].off;
        switch (d->f[i].kind) {
        case FK_U64: case FK_I64: case FK_F64: {
            if (end - q < 8)
                return 0;
            uint64_t v = gd_rd64(q);
            memcpy(at, &v, 8);
            q += 8;
            break;
        }
        case FK_U32: case FK_I32: {
            if (end - q < 4)
                return 0;
            uint32_t v = gd_rd32(q);
            memcpy(at, &v, 4);
            q += 4;
            break;
        }
        case FK_CID: {
            if (end - q < 9)
                return 0;
            gd_rec_cid c;
            memset(&c, 0, sizeof c);
            c.intent_id = gd_rd64(q);
            c.kind = (char)q[8];
            memcpy(at, &c, sizeof c);
            q += 9;
            break;
        }
        default: { /* FK_STR */
            if (end - q < 2)
                return 0;
            size_t n = gd_rd16(q);
            q += 2;
            const char *s = NULL;
            if (n != 0xFFFFu) {
                if (n > GD_REC_PACK_STR || (size_t)(end - q) < n || ns >= 6 || memchr(q, '\0', n))
                    return 0;
                memcpy(strs[ns], q, n);
                strs[ns][n] = '\0';
                s = strs[ns++];
                q += n;
            }
            memcpy(at, &s, sizeof s);
            break;
        }
        }
    }
    if (q != end)
        return 0; /* bytes past the last field: not this version's record */
    return format_args(buf, cap, type, &a);
}
