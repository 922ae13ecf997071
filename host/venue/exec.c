#include "venue/exec.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/log.h"
#include "db/record.h"
#include "risk/instr.h"
#include "venue/ledger.h"
#include "venue/profile.h"
#include "venue/reply.h"
#include "venue/rest.h"
#include "venue/rules.h"
#include "venue/sign.h"
#include "venue/stream.h"

#define VX_TICK_MS           100 /* retries and backoffs are due at this grain */
#define VX_LOOKUP_DELAY_MS   300 /* an unknown order is looked up after this */
#define VX_MAX_SENDS         3   /* an order is sent at most this often when lookups find nothing */
#define VX_CLOCK_SAMPLES     5
#define VX_KEY_KEEPALIVE_MS  (30 * 60 * 1000) /* Binance's listen key lives 60 minutes */
#define VX_WS_BACKOFF_MIN_MS 500
#define VX_WS_BACKOFF_MAX_MS 30000
#define VX_FEES              256 /* orders whose commission may still come (a ring: the oldest goes) */
/* A commission above this share of the order's filled notional is not
 * believed (Binance's highest taker rate is 0.05 %): a bad or hostile reply
 * must not move the book. */
#define VX_FEE_MAX_BPS       100.0

/* A slot's order flow. One request at a time per slot: the next step is
 * decided on its answer. */
typedef enum vx_state {
    VS_IDLE = 0,
    VS_ENTRY,  /* entry sent, or due to be sent/looked up */
    VS_OPEN,   /* a position */
    VS_CLOSING /* a reduce-only close sent, or due */
} vx_state;

/* What the next request of a slot is. */
typedef enum vx_act {
    ACT_NONE = 0,
    ACT_SEND,   /* the slot's current order */
    ACT_LOOKUP, /* look the current order up by client id */
    ACT_STOP_SEND,
    ACT_STOP_LOOKUP,
    ACT_TP_SEND,
    ACT_TP_LOOKUP
} vx_act;

typedef enum vx_prot {
    P_NONE = 0,
    P_PENDING,
    P_WORKING,
    P_DONE
} vx_prot;

typedef struct vx_slot {
    uint8_t state;
    uint8_t act;
    uint8_t busy; /* a request is in flight */
    uint8_t stop_st, tp_st;
    int8_t side;        /* entry side, then position side */
    int8_t exit_wanted; /* an exit arrived while the entry was in flight */
    char close_kind;    /* 'x' exit, 'f' flatten, 'c' the executor's own close */
    uint8_t sends;      /* sends of the current order */
    uint8_t prot_sends;
    uint64_t intent;       /* the entry's intent: names the stop and take profit */
    uint64_t close_intent; /* the exit's, or the entry's for 'c' */
    double qty;            /* entry: the quantity asked */
    double ref;            /* the host's price when the order went */
    double stop, tp;       /* on the tick */
    double filled, avg;    /* entry: executed so far and its average price */
    double closed;         /* close: executed so far */
    double close_avg;
    int64_t due_ms;        /* the next request is due then (mono) */
    int64_t prot_deadline; /* the stop must be working by then (mono) */
    int64_t trig_since;    /* the stop reported TRIGGERING since (mono), 0 if not */
    int64_t crossed_since; /* the host's price is past the stop since (mono), 0 if not */
    int64_t last_poll;     /* protective orders last asked after (mono) */
    int incident;          /* already reported for this position */
    uint8_t recovering;    /* taken up from the ledger: stop and take profit are looked up before sent */
    uint8_t entry_open;    /* the entry is not final yet (partly filled): asked after while open */
    int64_t entry_poll;    /* ... last asked after (mono) */
    uint8_t has_queued;    /* an entry waits for the close before it (a reversal) */
    gd_order queued;       /* ... that entry, its quantity on the step */
    uint8_t venue_flat;    /* ... and the venue held nothing of it at start-up */
    uint8_t settling;      /* taken up or adopted at start-up: trading waits until it is settled */
} vx_slot;

/* An order's fills as charged (the estimate) and as the venue's trade
 * events say it charged, until the order is final and both are known. Kept
 * apart from the slot: a stop's fill may be looked up, and its slot freed,
 * before the stream's trade event comes. */
typedef struct vx_fee {
    uint64_t oid; /* g<oid>-<kind>; 0: a free entry */
    char kind;
    uint8_t final;    /* the venue said the order is done */
    uint8_t has_host; /* owner, sym, intent, pos known (a fill was delivered) */
    uint32_t owner, sym;
    uint64_t intent, pos;
    double est, venue;
    double notional;    /* of the fills the host was given */
    int64_t last_trade; /* the venue's trade ids, increasing: a repeated event adds nothing */
    char asset[16];
} vx_fee;

/* A ledger record taken up at start-up: the slot it goes to. */
typedef struct vx_plan {
    uint64_t id;
    uint32_t slot;
} vx_plan;

/* A venue position gordon did not open, found at start-up. */
typedef struct vx_found {
    uint32_t sym;
    double amt, entry, mark;
} vx_found;

typedef struct vx_req vx_req;

struct gd_vexec {
    uv_loop_t *loop;
    const gd_config *cfg;
    gd_vexec_opts o;
    char **syms;          /* owned copies */
    gd_instrument *instr; /* owned: per symbol, from exchangeInfo */
    int *price_dec, *qty_dec;
    double *max_qty;
    gd_signer *signer;
    gd_rest *rest;
    uv_timer_t tick;
    int tick_init, stopped;
    vx_slot *slots; /* owned: [owner * n_symbols + symbol] */
    uint32_t n_owners;
    double pending_notional;
    double equity;
    int ready;
    int syncing;      /* a clock re-measure is under way */
    int setup_step;   /* start-up: which request */
    uint32_t setup_i; /* start-up: which symbol */
    vx_req *reqs;     /* in flight, freed by stop */
    /* the user-data stream */
    gd_wsc *ws;
    char ws_base[512];     /* wss://fstream.binance.com, or the loopback venue's */
    const char *ws_prefix; /* "/private/ws/" (live) or "/ws/" */
    char listen_key[128];
    int stream_on;       /* started after the start-up checks */
    int key_busy;        /* a listen key request is in flight */
    int64_t ws_retry_at; /* reconnect then (0: not waiting) */
    int64_t ws_backoff;
    int64_t key_renew_at;
    int64_t recon_at; /* the next positions check */
    int64_t clock_at; /* the next server-time re-measure */
    int64_t *swept;   /* owned, per symbol: the last flatten sweep (mono) */
    int recon_busy;
    gd_vexec_stats st;
    gd_vledger *ledger; /* owned; NULL without a state directory */
    double *venue_amt;  /* owned, per symbol: the venue's position at start-up */
    double *venue_mark; /* owned, per symbol: its mark price then */
    vx_plan *plan;      /* owned: the ledger's records to take up */
    size_t n_plan;
    int64_t startup_deadline; /* mono: start-up and take-up done by then */
    vx_found *found;          /* owned: unknown positions found at start-up, adopted by gd_vexec_recover */
    size_t n_found;
    gd_vexec_settled_fn settled; /* the take-up's end is reported to it once, then NULL */
    void *settled_arg;
    vx_fee fees[VX_FEES];
    uint32_t fee_next; /* the ring's next entry */
    gd_vevent ev;      /* the stream message being handled */
};

typedef enum vx_what {
    W_SETUP = 1,
    W_SLOT,
    W_KEY,      /* listen key create or keep-alive */
    W_RECONCILE /* positions, compared at run time */
} vx_what;

struct vx_req {
    gd_vexec *x;
    int what;
    uint32_t slot;
    uint8_t act; /* the slot's request this answers */
    char kind;   /* ACT_SEND/ACT_LOOKUP: 'e' the entry, else the close's kind */
    vx_req *prev, *next;
};

static const char *const setup_names[] = {"",
                                          "GET /fapi/v1/exchangeInfo",
                                          "GET /fapi/v1/positionSide/dual",
                                          "POST /fapi/v1/marginType",
                                          "POST /fapi/v1/leverage",
                                          "GET /fapi/v2/account",
                                          "GET /fapi/v2/positionRisk",
                                          "GET /fapi/v1/openAlgoOrders",
                                          "POST /fapi/v1/order (close)"};
enum {
    SU_CLOCK = 0,
    SU_INFO,
    SU_DUAL,
    SU_MARGIN,
    SU_LEVERAGE,
    SU_ACCOUNT,
    SU_POSITIONS,
    SU_ALGOS,
    SU_CLOSE,
    SU_DONE
};

/* ------------------------------------------------------------ helpers */

static int64_t now_ms(const gd_vexec *x) { return (int64_t)uv_now(x->loop); }

static vx_slot *slot_at(gd_vexec *x, uint32_t owner, uint32_t sym)
{
    return &x->slots[(size_t)owner * x->o.n_symbols + sym];
}

static uint32_t slot_owner(const gd_vexec *x, uint32_t i) { return i / x->o.n_symbols; }
static uint32_t slot_sym(const gd_vexec *x, uint32_t i) { return i % x->o.n_symbols; }

static void event(gd_vexec *x, uint32_t i, uint64_t intent, char kind, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void event(gd_vexec *x, uint32_t i, uint64_t intent, char kind, const char *status, const char *fmt, ...)
{
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    char cid[GD_CLIENT_ID_MAX];
    gd_client_id(cid, intent, kind);
    gd_log(!strcmp(status, "canceled") || !strcmp(status, "rejected") ? GD_LOG_WARN : GD_LOG_INFO, "venue", NULL,
           "%s %s: %s", cid, status, detail);
    if (x->o.hooks.order_event)
        x->o.hooks.order_event(x->o.hooks.arg, slot_owner(x, i), slot_sym(x, i), intent, kind, status, detail);
}

static void incident(gd_vexec *x, vx_slot *s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void incident(gd_vexec *x, vx_slot *s, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    x->st.incidents++;
    if (s)
        s->incident = 1;
    gd_log(GD_LOG_ERROR, "venue", NULL, "incident: %s", why);
    uint32_t owner = s ? slot_owner(x, (uint32_t)(s - x->slots)) : UINT32_MAX;
    if (x->o.hooks.incident)
        x->o.hooks.incident(x->o.hooks.arg, owner, why);
}

static void fmt_num(char *out, size_t cap, double v, int dec) { snprintf(out, cap, "%.*f", dec, v); }

/* Numbers in Binance's JSON come as strings ("0.010") or numbers. */
static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void track(gd_vexec *x, vx_req *q)
{
    q->next = x->reqs;
    q->prev = NULL;
    if (x->reqs)
        x->reqs->prev = q;
    x->reqs = q;
}

static void untrack(gd_vexec *x, vx_req *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        x->reqs = q->next;
    if (q->next)
        q->next->prev = q->prev;
}

static void on_reply(void *arg, const gd_rest_reply *r);
static void key_reply(gd_vexec *x, vx_req *q, const gd_rest_reply *r);
static void reconcile_reply(gd_vexec *x, const gd_rest_reply *r);
static void stream_tick(gd_vexec *x, int64_t now);
static void reconcile_tick(gd_vexec *x, int64_t now);
static void stream_connect(gd_vexec *x);
static void run_act(gd_vexec *x, uint32_t i);
static void pump(gd_vexec *x);

static int call(gd_vexec *x, int what, uint32_t slot, uint8_t act, const char *method, const char *path,
                const char *params, int sign, gd_err *err)
{
    char kind = 'e';
    if (what == W_SLOT && slot != UINT32_MAX && x->slots[slot].state == VS_CLOSING)
        kind = x->slots[slot].close_kind;
    vx_req *q = calloc(1, sizeof *q);
    if (!q)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    q->x = x;
    q->what = what;
    q->slot = slot;
    q->act = act;
    q->kind = kind;
    int rc = gd_rest_call(x->rest, method, path, params, sign, on_reply, q, err);
    if (rc) {
        free(q);
        return rc;
    }
    track(x, q);
    return 0;
}

static void note_headers(gd_vexec *x, const gd_rest_reply *r)
{
    if (r->used_weight_1m >= 0)
        x->st.used_weight_1m = r->used_weight_1m;
    if (r->order_count_1m >= 0)
        x->st.order_count_1m = r->order_count_1m;
}

static void on_resync(void *arg, int rc, int64_t offset)
{
    gd_vexec *x = arg;
    x->syncing = 0;
    if (rc == 0)
        gd_log(GD_LOG_INFO, "venue", NULL, "server time re-measured: %+" PRId64 " ms from ours", offset);
    else
        gd_log(GD_LOG_WARN, "venue", NULL, "server time could not be re-measured (%s); keeping the old offset",
               gd_rest_clock_why(x->rest));
}

static void resync(gd_vexec *x)
{
    gd_err e;
    if (x->syncing || x->stopped)
        return;
    x->st.clock_resyncs++;
    if (gd_rest_sync_clock(x->rest, VX_CLOCK_SAMPLES, on_resync, x, &e) == 0)
        x->syncing = 1;
}

/* ------------------------------------------------------------ start-up */

static void setup_next(gd_vexec *x);

static void setup_fail(gd_vexec *x, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void setup_fail(gd_vexec *x, int rc, const char *fmt, ...)
{
    gd_err e;
    char msg[sizeof e.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gd_err_set(&e, rc, "venue start-up: %s", msg);
    x->setup_step = SU_DONE;
    if (x->o.hooks.ready)
        x->o.hooks.ready(x->o.hooks.arg, rc, &e);
}

static void on_setup_clock(void *arg, int rc, int64_t offset)
{
    gd_vexec *x = arg;
    if (x->stopped)
        return;
    if (rc) {
        setup_fail(x, GD_EIO, "GET /fapi/v1/time: fewer than half of %d samples answered (last: %s)",
                   VX_CLOCK_SAMPLES, gd_rest_clock_why(x->rest));
        return;
    }
    gd_log(GD_LOG_INFO, "venue", NULL, "server time %+" PRId64 " ms from ours (median of %d)", offset,
           VX_CLOCK_SAMPLES);
    x->setup_step = SU_INFO;
    setup_next(x);
}

/* One symbol's rules: MARKET orders obey MARKET_LOT_SIZE where the venue
 * lists it (its step and minimum are the larger of the two). */
static int parse_symbol(gd_vexec *x, uint32_t s, const cJSON *it, char *why, size_t cap)
{
    gd_venue_rules r;
    if (gd_venue_rules_parse(it, x->syms[s], &r, why, cap) != 0)
        return -1;
    gd_instrument *in = &x->instr[s];
    snprintf(in->symbol, sizeof in->symbol, "%s", x->syms[s]);
    in->tick_size = r.tick;
    in->step_size = r.step;
    in->min_qty = r.min_qty;
    in->min_notional = r.min_notional;
    x->max_qty[s] = r.max_qty;
    x->price_dec[s] = r.price_dec;
    x->qty_dec[s] = r.qty_dec;
    /* Stops go with priceProtect: while mark and last price differ by more
     * than triggerProtect the venue holds them back, and the shadow stop
     * (stop_grace_ms after the host's price crossed) closes the position. */
    gd_log(GD_LOG_INFO, "venue", NULL,
           "%s: tick %.*f, step %.*f, min qty %.*f, min notional %g, triggerProtect %g (from the venue)", x->syms[s],
           x->price_dec[s], r.tick, x->qty_dec[s], r.step, x->qty_dec[s], r.min_qty, r.min_notional, r.trigger_protect);
    return 0;
}

/* ------------------------------------------------------------ recovery */

static int planned(const gd_vexec *x, uint64_t id)
{
    for (size_t k = 0; k < x->n_plan; k++)
        if (x->plan[k].id == id)
            return 1;
    return 0;
}

static const gd_vledger_rec *planned_on(const gd_vexec *x, uint32_t sym)
{
    for (size_t k = 0; k < x->n_plan; k++)
        if (slot_sym(x, x->plan[k].slot) == sym)
            return gd_vledger_find(x->ledger, x->plan[k].id);
    return NULL;
}

/* The ledger's open records, each to its slot. A record whose strategy or
 * symbol is not running here is left in the ledger (a later configuration
 * may take it up) and its symbol's position, if any, is unknown. */
static int plan_recovery(gd_vexec *x, char *why, size_t cap)
{
    size_t n = gd_vledger_count(x->ledger);
    free(x->plan);
    x->plan = NULL;
    x->n_plan = 0;
    if (!n)
        return 0;
    if (!(x->plan = calloc(n, sizeof *x->plan))) {
        snprintf(why, cap, "out of memory");
        return GD_ENOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        const gd_vledger_rec *r = gd_vledger_at(x->ledger, k);
        uint32_t sym = UINT32_MAX, owner = UINT32_MAX;
        for (uint32_t s = 0; s < x->o.n_symbols; s++)
            if (!strcmp(x->syms[s], r->symbol))
                sym = s;
        if (sym == UINT32_MAX || !x->o.hooks.owner_index ||
            x->o.hooks.owner_index(x->o.hooks.arg, r->strategy, &owner) != 0 || owner >= x->n_owners) {
            gd_log(GD_LOG_WARN, "venue", NULL,
                   "%s: g%" PRIu64 "-e (strategy %s, %s) is not taken up: %s is not traded by this configuration",
                   gd_vledger_path(x->ledger), r->id, r->strategy, r->symbol,
                   sym == UINT32_MAX ? "the symbol" : "the strategy");
            continue;
        }
        const gd_vledger_rec *other = planned_on(x, sym);
        if (other) {
            snprintf(why, cap,
                     "%s: g%" PRIu64 "-e and g%" PRIu64 "-e are both open on %s, which one-way mode nets into one "
                     "position: settle %s on the venue, then remove the ledger's file",
                     gd_vledger_path(x->ledger), other->id, r->id, r->symbol, r->symbol);
            return GD_EINVAL;
        }
        x->plan[x->n_plan++] = (vx_plan){r->id, owner * x->o.n_symbols + sym};
    }
    return 0;
}

static void setup_reply(gd_vexec *x, const gd_rest_reply *r)
{
    int step = x->setup_step;
    if (step == SU_DONE)
        return; /* the start-up already failed (its deadline passed) */
    char why[512];
    cJSON *j = NULL;
    if (r->outcome == GD_REST_OK && !(j = cJSON_ParseWithLength(r->body, r->body_len))) {
        setup_fail(x, GD_EIO, "%s: the reply is not JSON", setup_names[step]);
        return;
    }
    if (r->outcome != GD_REST_OK) {
        /* Unchanged margin type (-4046) is not a failure. */
        if (step == SU_MARGIN && r->code == -4046)
            goto next;
        setup_fail(x, r->outcome == GD_REST_REJECTED ? GD_EINVAL : GD_EIO, "%s %s: %s (HTTP %ld, code %d)",
                   setup_names[step], step == SU_MARGIN || step == SU_LEVERAGE ? x->syms[x->setup_i] : "", r->msg,
                   r->status, r->code);
        return;
    }
    switch (step) {
    case SU_INFO: {
        const cJSON *syms = cJSON_GetObjectItemCaseSensitive(j, "symbols");
        if (!cJSON_IsArray(syms)) {
            setup_fail(x, GD_EIO, "exchangeInfo: no symbols array");
            goto out;
        }
        for (uint32_t s = 0; s < x->o.n_symbols; s++) {
            const cJSON *it, *hit = NULL;
            cJSON_ArrayForEach(it, syms)
            {
                const char *n = jstr(it, "symbol");
                if (n && !strcmp(n, x->syms[s]))
                    hit = it;
            }
            if (!hit) {
                setup_fail(x, GD_EINVAL, "%s is not listed in exchangeInfo", x->syms[s]);
                goto out;
            }
            if (parse_symbol(x, s, hit, why, sizeof why) != 0) {
                setup_fail(x, GD_EINVAL, "%s", why);
                goto out;
            }
        }
        break;
    }
    case SU_DUAL:
        if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "dualSidePosition"))) {
            setup_fail(x, GD_EIO, "positionSide/dual: no dualSidePosition");
            goto out;
        }
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "dualSidePosition"))) {
            setup_fail(x, GD_EINVAL,
                       "the account is in hedge mode: gordon needs one-way position mode "
                       "(Binance: Preferences > Position Mode > One-way)");
            goto out;
        }
        break;
    case SU_ACCOUNT: {
        /* The wallet balance: the host's book adds the unrealised PnL of
         * positions it takes up from its own marks. */
        double margin, eq = gd_vreply_equity(j, &margin);
        if (!isfinite(eq)) {
            setup_fail(x, GD_EINVAL, "the account's equity is not positive (totalWalletBalance)");
            goto out;
        }
        x->equity = eq;
        gd_log(GD_LOG_INFO, "venue", NULL, "account equity %.2f (totalWalletBalance; margin balance %.2f)", eq,
               isfinite(margin) ? margin : eq);
        break;
    }
    case SU_POSITIONS: {
        /* A position is gordon's when its ledger has an open record for the
         * symbol; any other is unknown. */
        const cJSON *p;
        int close = x->cfg->venue_unknown_positions && !strcmp(x->cfg->venue_unknown_positions, "close");
        int adopt = x->cfg->venue_unknown_positions && !strcmp(x->cfg->venue_unknown_positions, "adopt");
        x->n_found = 0;
        if (plan_recovery(x, why, sizeof why) != 0) {
            setup_fail(x, GD_EINVAL, "%s", why);
            goto out;
        }
        for (uint32_t s = 0; s < x->o.n_symbols; s++)
            x->venue_amt[s] = x->venue_mark[s] = 0.0;
        if (!cJSON_IsArray(j)) {
            setup_fail(x, GD_EIO, "GET /fapi/v2/positionRisk: the reply is not an array");
            goto out;
        }
        cJSON_ArrayForEach(p, j)
        {
            gd_vposition vp;
            gd_vreply_position(p, &vp);
            const char *n = vp.symbol;
            double amt = vp.amt;
            for (uint32_t s = 0; n[0] && s < x->o.n_symbols; s++)
                if (!strcmp(n, x->syms[s])) {
                    x->venue_amt[s] = isfinite(amt) ? amt : 0.0;
                    x->venue_mark[s] = isfinite(vp.mark) ? vp.mark : 0.0;
                }
            if (!n[0] || !isfinite(amt) || amt == 0.0)
                continue;
            for (uint32_t s = 0; s < x->o.n_symbols; s++) {
                if (strcmp(n, x->syms[s]) != 0)
                    continue;
                const gd_vledger_rec *mine = planned_on(x, s);
                if (mine && mine->side * amt > 0.0)
                    continue; /* taken up once the host is ready (gd_vexec_recover) */
                if (mine) {
                    setup_fail(x, GD_EINVAL,
                               "the venue holds a %s position of %s %.*f, but gordon's ledger %s says its entry "
                               "g%" PRIu64 "-e (strategy %s) went %s: settle it on the venue first",
                               amt > 0 ? "long" : "short", n, x->qty_dec[s], fabs(amt), gd_vledger_path(x->ledger),
                               mine->id, mine->strategy, mine->side > 0 ? "long" : "short");
                    goto out;
                }
                if (adopt) {
                    /* Adopted with a stop once the host holds the venue's
                     * rules (gd_vexec_recover). */
                    for (size_t k = 0; k < x->n_found; k++)
                        if (x->found[k].sym == s) {
                            setup_fail(x, GD_EIO, "GET /fapi/v2/positionRisk: %s is listed twice", n);
                            goto out;
                        }
                    x->found[x->n_found++] = (vx_found){s, amt, isfinite(vp.entry) ? vp.entry : x->venue_mark[s],
                                                        x->venue_mark[s]};
                    break;
                }
                if (!close) {
                    char ent[48] = "?";
                    if (isfinite(vp.entry))
                        snprintf(ent, sizeof ent, "%.*f", x->price_dec[s], vp.entry);
                    setup_fail(x, GD_EINVAL,
                               "the venue holds a %s position of %s %.*f (entry %s) that gordon did not open: "
                               "close it on the venue, or set [venue] unknown_positions = close",
                               amt > 0 ? "long" : "short", n, x->qty_dec[s], fabs(amt), ent);
                    goto out;
                }
                gd_log(GD_LOG_WARN, "venue", NULL, "closing a %s position of %s %.*f that gordon did not open",
                       amt > 0 ? "long" : "short", n, x->qty_dec[s], fabs(amt));
                char params[256], q[64];
                fmt_num(q, sizeof q, fabs(amt), x->qty_dec[s]);
                snprintf(params, sizeof params,
                         "symbol=%s&side=%s&type=MARKET&quantity=%s&reduceOnly=true&newOrderRespType=RESULT", n,
                         amt > 0 ? "SELL" : "BUY", q);
                gd_err e;
                x->setup_step = SU_CLOSE;
                int crc = call(x, W_SETUP, 0, 0, "POST", "/fapi/v1/order", params, 1, &e);
                if (crc != 0) {
                    setup_fail(x, crc, "%s", e.msg);
                    goto out;
                }
                x->st.orders_sent++;
                cJSON_Delete(j);
                return; /* the close's answer comes back here, then positions are asked again */
            }
        }
        break;
    }
    case SU_CLOSE: {
        const char *status = jstr(j, "status");
        if (!status || strcmp(status, "FILLED") != 0) {
            setup_fail(x, GD_EIO, "closing an unknown position: the order is %s, not FILLED",
                       status ? status : "without a status");
            goto out;
        }
        x->setup_step = SU_POSITIONS - 1; /* ask again: another may be left */
        break;
    }
    case SU_ALGOS: {
        /* Protective orders of positions that are gone (a previous run's) go. */
        const cJSON *a;
        cJSON_ArrayForEach(a, j)
        {
            const char *n = jstr(a, "symbol"), *cid = jstr(a, "clientAlgoId");
            unsigned long long aid;
            if (!n || !cid || cid[0] != 'g')
                continue;
            if (sscanf(cid, "g%llu-", &aid) == 1 && planned(x, aid))
                continue; /* a position being taken up: its stop stays */
            for (uint32_t s = 0; s < x->o.n_symbols; s++)
                if (!strcmp(n, x->syms[s])) {
                    char params[160];
                    gd_err e;
                    snprintf(params, sizeof params, "symbol=%s&clientAlgoId=%s", n, cid);
                    gd_log(GD_LOG_WARN, "venue", NULL, "cancelling %s %s: no position of gordon's is behind it", n,
                           cid);
                    if (call(x, W_SETUP, UINT32_MAX, 0, "DELETE", "/fapi/v1/algoOrder", params, 1, &e) != 0)
                        gd_log(GD_LOG_WARN, "venue", NULL, "cancelling %s: %s", cid, e.msg);
                }
        }
        break;
    }
    default: break;
    }
next:
    if (step == SU_MARGIN || step == SU_LEVERAGE) {
        /* Each symbol gets both, then the next step. */
        if (step == SU_MARGIN) {
            x->setup_step = SU_LEVERAGE;
        } else if (++x->setup_i < x->o.n_symbols) {
            x->setup_step = SU_MARGIN;
        } else {
            x->setup_step = SU_ACCOUNT;
        }
    } else {
        x->setup_step++;
    }
    setup_next(x);
out:
    cJSON_Delete(j);
}

static void setup_next(gd_vexec *x)
{
    gd_err e;
    char params[256];
    int rc = 0;
    switch (x->setup_step) {
    case SU_CLOCK: rc = gd_rest_sync_clock(x->rest, VX_CLOCK_SAMPLES, on_setup_clock, x, &e); break;
    case SU_INFO: rc = call(x, W_SETUP, 0, 0, "GET", "/fapi/v1/exchangeInfo", "", 0, &e); break;
    case SU_DUAL: rc = call(x, W_SETUP, 0, 0, "GET", "/fapi/v1/positionSide/dual", "", 1, &e); break;
    case SU_MARGIN:
        snprintf(params, sizeof params, "symbol=%s&marginType=%s", x->syms[x->setup_i],
                 x->cfg->venue_margin_type && !strcmp(x->cfg->venue_margin_type, "isolated") ? "ISOLATED" : "CROSSED");
        rc = call(x, W_SETUP, 0, 0, "POST", "/fapi/v1/marginType", params, 1, &e);
        break;
    case SU_LEVERAGE:
        /* Leverage is margin only: the host sizes every order itself. */
        snprintf(params, sizeof params, "symbol=%s&leverage=%d", x->syms[x->setup_i],
                 (int)fmax(1.0, floor(x->cfg->leverage)));
        rc = call(x, W_SETUP, 0, 0, "POST", "/fapi/v1/leverage", params, 1, &e);
        break;
    case SU_ACCOUNT: rc = call(x, W_SETUP, 0, 0, "GET", "/fapi/v2/account", "", 1, &e); break;
    case SU_POSITIONS: rc = call(x, W_SETUP, 0, 0, "GET", "/fapi/v2/positionRisk", "", 1, &e); break;
    case SU_ALGOS: rc = call(x, W_SETUP, 0, 0, "GET", "/fapi/v1/openAlgoOrders", "", 1, &e); break;
    default:
        x->setup_step = SU_DONE;
        x->ready = x->st.ready = 1;
        gd_log(GD_LOG_INFO, "venue", NULL, "venue ready: %u symbol(s), one-way, %s margin, leverage %d", x->o.n_symbols,
               x->cfg->venue_margin_type ? x->cfg->venue_margin_type : "cross",
               (int)fmax(1.0, floor(x->cfg->leverage)));
        x->stream_on = 1;
        x->ws_backoff = VX_WS_BACKOFF_MIN_MS;
        x->recon_at = now_ms(x) + (int64_t)x->cfg->venue_reconcile_ms;
        x->clock_at = now_ms(x) + VX_KEY_KEEPALIVE_MS;
        stream_connect(x);
        if (x->o.hooks.ready)
            x->o.hooks.ready(x->o.hooks.arg, 0, NULL);
        return;
    }
    if (rc)
        setup_fail(x, rc, "%s", e.msg);
}

/* ------------------------------------------------------------ orders */

static void kick(gd_vexec *x, vx_slot *s, vx_act t, int64_t delay_ms)
{
    s->act = (uint8_t)t;
    s->due_ms = now_ms(x) + delay_ms;
}

/* The fee entry of order g<oid>-<kind>; a new one (the ring's oldest
 * reused) when create. NULL when none. */
static vx_fee *fee_find(gd_vexec *x, uint64_t oid, char kind, int create)
{
    for (uint32_t k = 0; k < VX_FEES; k++)
        if (x->fees[k].oid == oid && x->fees[k].kind == kind)
            return &x->fees[k];
    if (!create)
        return NULL;
    vx_fee *f = &x->fees[x->fee_next];
    x->fee_next = (x->fee_next + 1) % VX_FEES;
    memset(f, 0, sizeof *f);
    f->oid = oid;
    f->kind = kind;
    f->last_trade = -1;
    return f;
}

/* Once the order is final and a fill of it was charged: the venue's
 * commission goes to the host, in place of the estimate. */
static void fee_settle(gd_vexec *x, vx_fee *f)
{
    if (!f->final || !f->has_host || !(f->est > 0.0) || !f->asset[0])
        return;
    gd_vexec_fee r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "g%" PRIu64 "-%c", f->oid, f->kind);
    r.intent_id = f->intent;
    r.position_id = f->pos;
    snprintf(r.asset, sizeof r.asset, "%s", f->asset);
    r.estimated = f->est;
    r.charged = f->venue;
    /* Commission in the symbol's quote asset ("USDT" of "BTCUSDT") is money
     * of the account; another (BNB) is not priced here. */
    const char *sym = x->syms[f->sym];
    size_t n = strlen(sym), a = strlen(f->asset);
    r.apply = a < n && !strcmp(sym + n - a, f->asset);
    if (r.apply && !(r.charged <= f->notional * VX_FEE_MAX_BPS / 1e4)) {
        x->st.fee_implausible++;
        gd_log(GD_LOG_ERROR, "venue", NULL,
               "%s: %s's commission %g %s is implausible (more than %g bps of the %g filled): the book keeps the "
               "estimate %g",
               sym, r.client_id, r.charged, r.asset, VX_FEE_MAX_BPS, f->notional, r.estimated);
        f->oid = 0;
        return;
    }
    x->st.fee_corrections++;
    if (!r.apply) {
        x->st.fee_foreign++;
        gd_log(GD_LOG_WARN, "venue", NULL,
               "%s: %s's commission %g %s is not in %s's quote asset: the book keeps the estimate %g", sym, r.client_id,
               r.charged, r.asset, sym, r.estimated);
    }
    if (x->o.hooks.fee)
        x->o.hooks.fee(x->o.hooks.arg, f->owner, f->sym, &r);
    f->oid = 0;
}

/* A trade event of order g<oid>-<kind>: its commission n in asset; final
 * when the order is done. */
static void fee_trade(gd_vexec *x, uint64_t oid, char kind, const gd_vevent *ev, int final)
{
    if (!ev->trade && !final)
        return;
    vx_fee *f = fee_find(x, oid, kind, ev->trade);
    if (!f)
        return;
    if (ev->trade && (ev->trade_id < 0 || ev->trade_id > f->last_trade)) {
        if (ev->trade_id >= 0)
            f->last_trade = ev->trade_id;
        if (f->asset[0] && strcmp(f->asset, ev->commission_asset) != 0) {
            gd_log(GD_LOG_WARN, "venue", NULL, "g%" PRIu64 "-%c: commission in %s and in %s: the estimate stays", oid,
                   kind, f->asset, ev->commission_asset);
            f->oid = 0;
            return;
        }
        snprintf(f->asset, sizeof f->asset, "%s", ev->commission_asset);
        f->venue += ev->commission;
    }
    if (final)
        f->final = 1;
}

static void deliver_fill(gd_vexec *x, uint32_t i, int reason, int side, double qty, double price)
{
    vx_slot *s = &x->slots[i];
    gordon_fill f;
    memset(&f, 0, sizeof f);
    f.struct_size = sizeof f;
    f.symbol = slot_sym(x, i);
    f.side = side;
    f.reason = reason;
    f.qty = qty;
    f.price = price;
    /* The order reply has no commission; the user-data stream's does. */
    f.fee = qty * price * x->cfg->fee_bps / 1e4;
    f.time_ms = gd_wall_ms();
    f.intent_id = reason == GORDON_FILL_ENTRY ? s->intent : s->close_intent;
    x->o.sink.on_fill(x->o.sink.host, slot_owner(x, i), &f, s->stop, s->tp);
    /* Which order it was, for its commission when the stream says it. */
    char kind = reason == GORDON_FILL_ENTRY         ? 'e'
                : reason == GORDON_FILL_STOP        ? 's'
                : reason == GORDON_FILL_TAKE_PROFIT ? 't'
                                                    : s->close_kind;
    uint64_t oid = kind == 'e' || kind == 's' || kind == 't' ? s->intent : s->close_intent;
    vx_fee *fe = fee_find(x, oid, kind, 1);
    fe->has_host = 1;
    fe->owner = slot_owner(x, i);
    fe->sym = f.symbol;
    fe->intent = f.intent_id ? f.intent_id : s->intent;
    fe->pos = s->intent;
    fe->est += f.fee;
    fe->notional += qty * price;
    gd_err e;
    /* After the host has it: a restart delivers only what is not here. */
    if (reason == GORDON_FILL_ENTRY && x->ledger && gd_vledger_fill(x->ledger, s->intent, s->filled, s->avg, &e) != 0)
        gd_log(GD_LOG_ERROR, "venue", NULL, "%s", e.msg);
}

/* The slot's record is done: a restart has nothing to take up. */
static void ledger_flat(gd_vexec *x, const vx_slot *s)
{
    gd_err e;
    if (x->ledger && s->intent && gd_vledger_flat(x->ledger, s->intent, &e) != 0)
        gd_log(GD_LOG_ERROR, "venue", NULL, "%s", e.msg);
}

static void slot_reset(gd_vexec *x, vx_slot *s)
{
    if (s->state == VS_ENTRY) {
        x->pending_notional -= s->qty * s->ref;
        if (x->pending_notional < 1e-9)
            x->pending_notional = 0.0;
    }
    ledger_flat(x, s);
    memset(s, 0, sizeof *s);
}

static int start_entry(gd_vexec *x, uint32_t i, const gd_order *o, double q, gd_err *err);

/* A reversal's entry that will not go: its exit did not complete. */
static void drop_queued(gd_vexec *x, uint32_t i, const char *why)
{
    vx_slot *s = &x->slots[i];
    if (!s->has_queued)
        return;
    s->has_queued = 0;
    x->pending_notional -= s->queued.qty * s->queued.ref_price;
    if (x->pending_notional < 1e-9)
        x->pending_notional = 0.0;
    event(x, i, s->queued.intent_id, 'e', "rejected", "%s", why);
}

/* The position is flat: what protected it goes. */
static void position_gone(gd_vexec *x, uint32_t i)
{
    vx_slot *s = &x->slots[i];
    int stop_open = s->stop_st == P_WORKING || s->stop_st == P_PENDING;
    int tp_open = s->tp_st == P_WORKING || s->tp_st == P_PENDING;
    if (stop_open || tp_open) {
        char params[192], cid[GD_CLIENT_ID_MAX];
        gd_err e;
        for (int k = 0; k < 2; k++) {
            if (!(k ? tp_open : stop_open))
                continue;
            gd_client_id(cid, s->intent, k ? 't' : 's');
            snprintf(params, sizeof params, "symbol=%s&clientAlgoId=%s", x->syms[slot_sym(x, i)], cid);
            /* Best effort: a closePosition stop with nothing to close expires. */
            if (call(x, W_SETUP, UINT32_MAX, 0, "DELETE", "/fapi/v1/algoOrder", params, 1, &e) != 0)
                gd_log(GD_LOG_WARN, "venue", NULL, "cancelling %s: %s", cid, e.msg);
            event(x, i, s->intent, k ? 't' : 's', "canceled", "the position is closed");
        }
    }
    ledger_flat(x, s);
    int queued = s->has_queued;
    gd_order q = s->queued;
    memset(s, 0, sizeof *s);
    if (queued) {
        /* The reversal's entry goes now that the close is done. */
        gd_err e;
        x->pending_notional -= q.qty * q.ref_price;
        if (x->pending_notional < 1e-9)
            x->pending_notional = 0.0;
        if (start_entry(x, i, &q, q.qty, &e) != 0)
            event(x, i, q.intent_id, 'e', "rejected", "%s", e.msg);
    }
}

static void send_close(gd_vexec *x, uint32_t i, char kind, uint64_t intent)
{
    vx_slot *s = &x->slots[i];
    gd_err e;
    /* Written before it leaves; a close goes even if the write failed. */
    if (x->ledger && gd_vledger_close(x->ledger, s->intent, intent, kind, &e) != 0)
        gd_log(GD_LOG_ERROR, "venue", NULL, "%s", e.msg);
    s->state = VS_CLOSING;
    s->close_kind = kind;
    s->close_intent = intent;
    s->sends = 0;
    s->closed = s->close_avg = 0.0;
    if (kind == 'c')
        event(x, i, intent, 'c', "new", "a reduce-only market close of %.*f by the executor",
              x->qty_dec[slot_sym(x, i)], s->filled);
    kick(x, s, ACT_SEND, 0);
}

/* A stop that is not there: close the position, halt the host. */
static void stop_failed(gd_vexec *x, uint32_t i, const char *why)
{
    vx_slot *s = &x->slots[i];
    x->st.stop_failures++;
    if (s->stop_st != P_WORKING)
        s->stop_st = P_DONE; /* nothing to cancel */
    event(x, i, s->intent, 's', strstr(why, "refused") || strstr(why, "rejected") ? "rejected" : "canceled", "%s", why);
    if (!s->incident)
        incident(x, s, "%s %s: %s; closing the position", x->syms[slot_sym(x, i)], s->side > 0 ? "long" : "short", why);
    if (s->state == VS_OPEN)
        send_close(x, i, 'c', s->intent);
}

static void protective_next(gd_vexec *x, uint32_t i)
{
    vx_slot *s = &x->slots[i];
    /* Taken up after a restart, they may be there already: asked first
     * (a lookup that finds nothing sends them). */
    if (s->stop > 0.0 && s->stop_st == P_NONE) {
        s->stop_st = P_PENDING;
        s->prot_sends = 0;
        s->prot_deadline = now_ms(x) + (int64_t)x->cfg->venue_retry_budget_ms;
        kick(x, s, s->recovering ? ACT_STOP_LOOKUP : ACT_STOP_SEND, 0);
    } else if (s->tp > 0.0 && s->tp_st == P_NONE && (s->stop_st == P_WORKING || s->venue_flat)) {
        s->tp_st = P_PENDING;
        s->prot_sends = 0;
        kick(x, s, s->recovering ? ACT_TP_LOOKUP : ACT_TP_SEND, 0);
    }
    /* Otherwise what is due (a send or lookup in flight or scheduled) stays. */
}

/* An order's state as the venue reports it (a RESULT reply or a lookup). */
static void entry_order(gd_vexec *x, uint32_t i, const gd_vorder *o)
{
    vx_slot *s = &x->slots[i];
    if (s->state == VS_IDLE)
        return; /* an answer about a position already gone */
    const char *status = o->status[0] ? o->status : NULL;
    double exec_q = o->executed, avg = o->avg;
    int delivered = 0;
    if (!status || !isfinite(exec_q)) {
        kick(x, s, ACT_LOOKUP, (int64_t)x->cfg->venue_poll_ms);
        return;
    }
    if (exec_q > s->qty * (1 + 1e-9)) {
        /* More than was asked: the venue's word is not taken past the order. */
        gd_log(GD_LOG_ERROR, "venue", NULL, "%s: the venue reports %g executed of an entry of %g: counting %g",
               x->syms[slot_sym(x, i)], exec_q, s->qty, s->qty);
        exec_q = s->qty;
    }
    if (exec_q > s->filled + 1e-12) {
        if (!(avg > 0.0))
            avg = s->ref;
        double d = exec_q - s->filled;
        double px = (avg * exec_q - s->avg * s->filled) / d;
        if (!(px > 0.0) || !isfinite(px))
            px = avg;
        s->filled = exec_q;
        s->avg = avg;
        deliver_fill(x, i, GORDON_FILL_ENTRY, s->side, d, px);
        delivered = 1;
    }
    int final = !strcmp(status, "FILLED") || !strcmp(status, "EXPIRED") || !strcmp(status, "CANCELED") ||
                !strcmp(status, "REJECTED") || !strcmp(status, "EXPIRED_IN_MATCH");
    if (s->state == VS_CLOSING)
        return; /* a late word on the entry: the close takes what it filled */
    if (s->filled > 0.0 && s->state == VS_ENTRY) {
        x->pending_notional -= s->qty * s->ref;
        if (x->pending_notional < 1e-9)
            x->pending_notional = 0.0;
        s->state = VS_OPEN;
        if (!s->recovering || delivered)
            event(x, i, s->intent, 'e', final ? "filled" : "working", "%.*f at %g (%s)", x->qty_dec[slot_sym(x, i)],
                  s->filled, s->avg, status);
    }
    if (s->state == VS_OPEN) {
        if (s->exit_wanted) {
            s->exit_wanted = 0;
            send_close(x, i, s->close_kind ? s->close_kind : 'x', s->close_intent);
            return;
        }
        s->entry_open = !final; /* the rest may still fill: the tick asks after it */
        protective_next(x, i);
        return;
    }
    if (final) {
        event(x, i, s->intent, 'e', "rejected", "the venue ended it %s with nothing filled", status);
        if (s->exit_wanted)
            event(x, i, s->close_intent, s->close_kind ? s->close_kind : 'x', "canceled", "its entry never filled");
        slot_reset(x, s);
        return;
    }
    kick(x, s, ACT_LOOKUP, (int64_t)x->cfg->venue_poll_ms);
}

static void close_order(gd_vexec *x, uint32_t i, const gd_vorder *o)
{
    vx_slot *s = &x->slots[i];
    if (s->state != VS_CLOSING)
        return; /* already accounted for (by the stream or the reply) */
    const char *status = o->status[0] ? o->status : NULL;
    double exec_q = o->executed, avg = o->avg;
    if (!status || !isfinite(exec_q)) {
        kick(x, s, ACT_LOOKUP, (int64_t)x->cfg->venue_poll_ms);
        return;
    }
    if (exec_q > s->closed + s->filled + 1e-12) {
        /* More than the position: the close takes no more than it holds. */
        gd_log(GD_LOG_ERROR, "venue", NULL, "%s: the venue reports %g executed of a close of %g: counting %g",
               x->syms[slot_sym(x, i)], exec_q, s->closed + s->filled, s->closed + s->filled);
        exec_q = s->closed + s->filled;
    }
    if (exec_q > s->closed + 1e-12) {
        if (!(avg > 0.0))
            avg = s->ref;
        double d = exec_q - s->closed;
        double px = (avg * exec_q - s->close_avg * s->closed) / d;
        if (!(px > 0.0) || !isfinite(px))
            px = avg;
        s->closed = exec_q;
        s->close_avg = avg;
        int reason = s->close_kind == 'x' ? GORDON_FILL_EXIT : GORDON_FILL_FLATTEN;
        deliver_fill(x, i, reason, -s->side, d, px);
        s->filled -= d;
    }
    if (!strcmp(status, "FILLED") || s->filled <= 1e-12) {
        event(x, i, s->close_intent, s->close_kind, "filled", "%.*f at %g", x->qty_dec[slot_sym(x, i)], s->closed,
              s->close_avg);
        position_gone(x, i);
        return;
    }
    if (!strcmp(status, "EXPIRED") || !strcmp(status, "CANCELED") || !strcmp(status, "REJECTED")) {
        /* Part or none closed: close the rest with a new order. */
        event(x, i, s->close_intent, s->close_kind, "canceled", "the venue ended it %s with %.*f still open", status,
              x->qty_dec[slot_sym(x, i)], s->filled);
        s->state = VS_OPEN;
        drop_queued(x, i, "the close before it did not complete");
        if (!s->incident)
            incident(x, s, "%s: a close ended %s with the position still open", x->syms[slot_sym(x, i)], status);
        send_close(x, i, 'c', s->intent);
        s->close_intent = s->intent;
        return;
    }
    kick(x, s, ACT_LOOKUP, (int64_t)x->cfg->venue_poll_ms);
}

/* Taken up after a restart, the venue held nothing, and neither the stop
 * (nor, tp, the take profit) filled: the position was closed by other means
 * while gordon was down (by hand, a liquidation). The book closes it at the
 * venue's mark price then, as the executor's own close; alive says the
 * order looked up is still working (it is cancelled). */
static void flat_resolve(gd_vexec *x, uint32_t i, int tp, int alive)
{
    vx_slot *s = &x->slots[i];
    uint32_t sym = slot_sym(x, i);
    *(tp ? &s->tp_st : &s->stop_st) = alive ? P_WORKING : P_DONE;
    if (!tp && s->tp > 0.0 && s->tp_st == P_NONE) {
        protective_next(x, i); /* the take profit may have closed it */
        return;
    }
    double px = x->venue_mark && x->venue_mark[sym] > 0.0 ? x->venue_mark[sym] : s->avg;
    x->st.mismatches++;
    gd_log(GD_LOG_WARN, "venue", NULL,
           "%s: the %s position of %.*f (g%" PRIu64 "-e) was closed on the venue while gordon was down, not by its "
           "stop or take profit: recorded at the mark price %g",
           x->syms[sym], s->side > 0 ? "long" : "short", x->qty_dec[sym], s->filled, s->intent, px);
    if (s->filled > 0.0 && px > 0.0) {
        s->close_intent = s->intent;
        s->close_kind = 'c';
        event(x, i, s->intent, 'c', "new", "closed on the venue while gordon was down");
        deliver_fill(x, i, GORDON_FILL_FLATTEN, -s->side, s->filled, px);
        event(x, i, s->intent, 'c', "filled", "%.*f at the mark price %g", x->qty_dec[sym], s->filled, px);
    }
    position_gone(x, i);
}

/* The stop (or take profit) as the venue reports it. */
static void algo_state(gd_vexec *x, uint32_t i, int tp, const gd_vorder *o)
{
    vx_slot *s = &x->slots[i];
    const char *st = o->status[0] ? o->status : NULL;
    uint8_t *ps = tp ? &s->tp_st : &s->stop_st;
    char k = tp ? 't' : 's';
    if (!st) {
        kick(x, s, tp ? ACT_TP_LOOKUP : ACT_STOP_LOOKUP, (int64_t)x->cfg->venue_poll_ms);
        return;
    }
    if (s->venue_flat && s->state == VS_OPEN && !(!strcmp(st, "FINISHED") && o->executed > 0.0)) {
        if (s->act >= ACT_STOP_SEND && s->act <= ACT_TP_LOOKUP)
            s->act = ACT_NONE;
        flat_resolve(x, i, tp, !strcmp(st, "NEW") || !strcmp(st, "TRIGGERING"));
        return;
    }
    if (s->act >= ACT_STOP_SEND && s->act <= ACT_TP_LOOKUP)
        s->act = ACT_NONE; /* answered; a close that is due stays due */
    if (!strcmp(st, "NEW") || !strcmp(st, "TRIGGERING") || !strcmp(st, "TRIGGERED")) {
        if (*ps != P_WORKING) {
            *ps = P_WORKING;
            if (!tp)
                x->st.stops_working++;
            event(x, i, s->intent, k, "working", "%s at %.*f", tp ? "take profit" : "stop",
                  x->price_dec[slot_sym(x, i)], tp ? s->tp : s->stop);
        }
        if (!strcmp(st, "NEW")) {
            s->trig_since = 0;
        } else if (!s->trig_since) {
            s->trig_since = now_ms(x);
        } else if (now_ms(x) - s->trig_since > (int64_t)x->cfg->venue_stop_grace_ms && !tp) {
            stop_failed(x, i, "the stop has been TRIGGERING past its grace window");
            return;
        }
        if (s->state == VS_OPEN)
            protective_next(x, i);
        return;
    }
    if (!strcmp(st, "FINISHED")) {
        double q = o->executed, px = o->avg;
        if (!(q > 0.0)) {
            /* Finished without filling: nothing left to close. */
            *ps = P_DONE;
            if (s->state == VS_OPEN && !tp)
                stop_failed(x, i, "the stop finished without filling while the position is open");
            return;
        }
        if (!(px > 0.0))
            px = tp ? s->tp : s->stop;
        *ps = P_DONE;
        s->close_intent = s->intent;
        event(x, i, s->intent, k, "filled", "%.*f at %g", x->qty_dec[slot_sym(x, i)], q, px);
        deliver_fill(x, i, tp ? GORDON_FILL_TAKE_PROFIT : GORDON_FILL_STOP, -s->side, fmin(q, s->filled), px);
        position_gone(x, i);
        return;
    }
    /* CANCELED, EXPIRED, REJECTED: it is not protecting anything. */
    *ps = P_DONE;
    if (s->state != VS_OPEN)
        return;
    if (tp) {
        event(x, i, s->intent, 't', "canceled", "the venue reports it %s", st);
        return;
    }
    stop_failed(x, i, st[0] == 'R' ? "the venue rejected the stop" : "the stop is gone from the venue");
}

static void slot_reply(gd_vexec *x, vx_req *q, const gd_rest_reply *r)
{
    uint32_t i = q->slot;
    if (i == UINT32_MAX)
        return; /* a best-effort cancel */
    vx_slot *s = &x->slots[i];
    s->busy = 0;
    cJSON *j = NULL;
    if (r->outcome == GD_REST_OK && !(j = cJSON_ParseWithLength(r->body, r->body_len))) {
        /* A 200 we cannot read is not an answer. */
        x->st.unknown++;
        gd_log(GD_LOG_WARN, "venue", NULL, "%s: a reply that is not JSON; looking the order up",
               x->syms[slot_sym(x, i)]);
    }
    int unknown = r->outcome == GD_REST_UNKNOWN || (r->outcome == GD_REST_OK && !j);
    int limited = r->outcome == GD_REST_LIMITED;
    int64_t backoff = r->retry_after_s > 0 ? r->retry_after_s * 1000 : 1000;
    if (limited) {
        x->st.limited++;
        gd_log(GD_LOG_WARN, "venue", NULL, "rate limited (HTTP %ld): backing off %" PRId64 " ms", r->status, backoff);
    }
    if (r->outcome == GD_REST_REJECTED && r->code == -1021) {
        /* Refused for its timestamp: nothing happened; measure the clock again. */
        resync(x);
        limited = 1;
        backoff = 500;
    } else if (r->outcome == GD_REST_REJECTED) {
        x->st.rejected++;
    }
    if (unknown)
        x->st.unknown++;
    switch (q->act) {
    case ACT_SEND:
        if (unknown) {
            kick(x, s, ACT_LOOKUP, VX_LOOKUP_DELAY_MS);
        } else if (limited) {
            kick(x, s, ACT_SEND, backoff); /* refused unprocessed: the same order again */
        } else if (r->outcome == GD_REST_REJECTED && r->code == -4116) {
            kick(x, s, ACT_LOOKUP, 0); /* the client id exists: that is our order */
        } else if (r->outcome == GD_REST_REJECTED) {
            if (s->state == VS_ENTRY) {
                event(x, i, s->intent, 'e', "rejected", "venue %d: %s", r->code, r->msg);
                if (s->exit_wanted)
                    event(x, i, s->close_intent, s->close_kind ? s->close_kind : 'x', "canceled",
                          "its entry was rejected");
                slot_reset(x, s);
            } else if (r->code == -2022) {
                /* Reduce-only refused: the position is already gone (a stop
                 * fired); the stop's lookup says how. */
                event(x, i, s->close_intent, s->close_kind, "rejected", "venue -2022: %s", r->msg);
                s->state = VS_OPEN;
                kick(x, s, ACT_STOP_LOOKUP, 0);
            } else {
                event(x, i, s->close_intent, s->close_kind, "rejected", "venue %d: %s", r->code, r->msg);
                s->state = VS_OPEN;
                drop_queued(x, i, "the close before it was refused");
                if (!s->incident)
                    incident(x, s, "%s: the venue refused to close the position: %d %s", x->syms[slot_sym(x, i)],
                             r->code, r->msg);
            }
        } else {
            gd_vorder o;
            gd_vreply_order(j, 0, &o);
            if (q->kind == 'e')
                entry_order(x, i, &o);
            else
                close_order(x, i, &o);
        }
        break;
    case ACT_LOOKUP:
        x->st.lookups++;
        if (r->outcome == GD_REST_REJECTED && r->code == -2013) {
            /* The venue never took it: only now may it be sent again. */
            if (s->sends >= VX_MAX_SENDS) {
                if (s->state == VS_ENTRY) {
                    if (s->recovering)
                        event(x, i, s->intent, 'e', "rejected", "not on the venue: it never left before the restart");
                    else
                        event(x, i, s->intent, 'e', "rejected", "not on the venue after %u sends", s->sends);
                    slot_reset(x, s);
                } else {
                    s->state = VS_OPEN;
                    drop_queued(x, i, "the close before it is not on the venue");
                    if (!s->incident)
                        incident(x, s, "%s: a close is not on the venue after %u sends", x->syms[slot_sym(x, i)],
                                 s->sends);
                }
            } else {
                x->st.resent++;
                kick(x, s, ACT_SEND, 0);
            }
        } else if (unknown || limited || r->outcome == GD_REST_REJECTED) {
            kick(x, s, ACT_LOOKUP, limited ? backoff : (int64_t)x->cfg->venue_poll_ms);
        } else {
            gd_vorder o;
            gd_vreply_order(j, 0, &o);
            if (q->kind == 'e')
                entry_order(x, i, &o);
            else
                close_order(x, i, &o);
        }
        break;
    case ACT_STOP_SEND:
    case ACT_TP_SEND: {
        int tp = q->act == ACT_TP_SEND;
        if (unknown || (r->outcome == GD_REST_REJECTED && r->code == -4116)) {
            kick(x, s, tp ? ACT_TP_LOOKUP : ACT_STOP_LOOKUP, unknown ? VX_LOOKUP_DELAY_MS : 0);
        } else if (limited) {
            if (!tp && now_ms(x) + backoff > s->prot_deadline)
                stop_failed(x, i, "rate limited past the stop's retry budget");
            else
                kick(x, s, tp ? ACT_TP_SEND : ACT_STOP_SEND, backoff);
        } else if (r->outcome == GD_REST_REJECTED) {
            if (tp) {
                s->tp_st = P_DONE;
                event(x, i, s->intent, 't', "rejected", "venue %d: %s", r->code, r->msg);
                s->act = ACT_NONE;
            } else {
                char why[320];
                snprintf(why, sizeof why, "the venue refused the stop: %d %s%s", r->code, r->msg,
                         r->code == -2021 ? " (it would trigger at once)" : "");
                stop_failed(x, i, why);
            }
        } else {
            gd_vorder o;
            gd_vreply_order(j, 1, &o);
            algo_state(x, i, tp, &o);
        }
        break;
    }
    case ACT_STOP_LOOKUP:
    case ACT_TP_LOOKUP: {
        int tp = q->act == ACT_TP_LOOKUP;
        x->st.lookups++;
        uint8_t *ps = tp ? &s->tp_st : &s->stop_st;
        if (r->outcome == GD_REST_REJECTED && (r->code == -2013 || r->code == -2011 || r->code == -1102)) {
            /* Not there. Never placed: place it (within the budget); gone: an incident. */
            if (s->venue_flat && s->state == VS_OPEN) {
                flat_resolve(x, i, tp, 0);
            } else if (*ps == P_WORKING) {
                *ps = P_DONE;
                if (tp)
                    event(x, i, s->intent, 't', "canceled", "gone from the venue");
                else
                    stop_failed(x, i, "the stop is gone from the venue");
            } else if (!tp && now_ms(x) > s->prot_deadline) {
                stop_failed(x, i, "the stop could not be placed within the retry budget");
            } else if (s->prot_sends >= VX_MAX_SENDS) {
                if (tp) {
                    s->tp_st = P_DONE;
                    s->act = ACT_NONE;
                } else {
                    stop_failed(x, i, "the stop is not on the venue after repeated sends");
                }
            } else {
                x->st.resent++;
                kick(x, s, tp ? ACT_TP_SEND : ACT_STOP_SEND, 0);
            }
        } else if (unknown || limited || r->outcome == GD_REST_REJECTED) {
            if (!tp && *ps != P_WORKING && now_ms(x) > s->prot_deadline)
                stop_failed(x, i, "the stop's state is unknown past its retry budget");
            else
                kick(x, s, tp ? ACT_TP_LOOKUP : ACT_STOP_LOOKUP, limited ? backoff : VX_LOOKUP_DELAY_MS);
        } else {
            gd_vorder o;
            gd_vreply_order(j, 1, &o);
            algo_state(x, i, tp, &o);
        }
        break;
    }
    default: break;
    }
    cJSON_Delete(j);
}

/* What became due in a reply or an event goes out now, not at the next tick:
 * a filled entry's stop is on the wire within the same loop turn. */
static void pump(gd_vexec *x)
{
    if (x->stopped || !x->ready)
        return;
    int64_t now = now_ms(x);
    size_t n = (size_t)x->n_owners * x->o.n_symbols;
    for (uint32_t i = 0; i < n; i++) {
        vx_slot *s = &x->slots[i];
        if (s->act != ACT_NONE && !s->busy && now >= s->due_ms)
            run_act(x, i);
    }
}

static void on_reply(void *arg, const gd_rest_reply *r)
{
    vx_req *q = arg;
    gd_vexec *x = q->x;
    untrack(x, q);
    note_headers(x, r);
    if (!x->stopped) {
        if (q->what == W_SETUP && q->slot == 0)
            setup_reply(x, r);
        else if (q->what == W_SETUP && r->outcome != GD_REST_OK)
            gd_log(GD_LOG_WARN, "venue", NULL, "a cancel was not confirmed: %s (code %d)", r->msg, r->code);
        else if (q->what == W_SLOT)
            slot_reply(x, q, r);
        else if (q->what == W_KEY)
            key_reply(x, q, r);
        else if (q->what == W_RECONCILE)
            reconcile_reply(x, r);
        pump(x);
    }
    free(q);
}

/* The request a slot's next act names. */
static void run_act(gd_vexec *x, uint32_t i)
{
    vx_slot *s = &x->slots[i];
    uint32_t sym = slot_sym(x, i);
    char params[512], cid[GD_CLIENT_ID_MAX], qty[64];
    const char *method = "GET", *path = "/fapi/v1/order";
    gd_err e;
    uint8_t t = s->act;
    switch (t) {
    case ACT_SEND:
        if (s->state == VS_ENTRY) {
            gd_client_id(cid, s->intent, 'e');
            fmt_num(qty, sizeof qty, s->qty, x->qty_dec[sym]);
            snprintf(params, sizeof params,
                     "symbol=%s&side=%s&type=MARKET&quantity=%s&newClientOrderId=%s&newOrderRespType=RESULT",
                     x->syms[sym], s->side > 0 ? "BUY" : "SELL", qty, cid);
        } else {
            gd_client_id(cid, s->close_intent, s->close_kind);
            fmt_num(qty, sizeof qty, s->filled, x->qty_dec[sym]);
            snprintf(params, sizeof params,
                     "symbol=%s&side=%s&type=MARKET&quantity=%s&reduceOnly=true&newClientOrderId=%s"
                     "&newOrderRespType=RESULT",
                     x->syms[sym], s->side > 0 ? "SELL" : "BUY", qty, cid);
        }
        method = "POST";
        s->sends++;
        x->st.orders_sent++;
        break;
    case ACT_LOOKUP:
        gd_client_id(cid, s->state == VS_CLOSING ? s->close_intent : s->intent,
                     s->state == VS_CLOSING ? s->close_kind : 'e');
        snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", x->syms[sym], cid);
        break;
    case ACT_STOP_SEND:
    case ACT_TP_SEND: {
        int tp = t == ACT_TP_SEND;
        char px[64];
        gd_client_id(cid, s->intent, tp ? 't' : 's');
        fmt_num(px, sizeof px, tp ? s->tp : s->stop, x->price_dec[sym]);
        snprintf(params, sizeof params,
                 "algoType=CONDITIONAL&symbol=%s&side=%s&type=%s&triggerPrice=%s&closePosition=true"
                 "&workingType=MARK_PRICE&priceProtect=true&clientAlgoId=%s",
                 x->syms[sym], s->side > 0 ? "SELL" : "BUY", tp ? "TAKE_PROFIT_MARKET" : "STOP_MARKET", px, cid);
        method = "POST";
        path = "/fapi/v1/algoOrder";
        s->prot_sends++;
        x->st.algo_sent++;
        break;
    }
    case ACT_STOP_LOOKUP:
    case ACT_TP_LOOKUP:
        gd_client_id(cid, s->intent, t == ACT_TP_LOOKUP ? 't' : 's');
        snprintf(params, sizeof params, "symbol=%s&clientAlgoId=%s", x->syms[sym], cid);
        path = "/fapi/v1/algoOrder";
        break;
    default: s->act = ACT_NONE; return;
    }
    s->act = ACT_NONE;
    if (call(x, W_SLOT, i, t, method, path, params, 1, &e) != 0) {
        gd_log(GD_LOG_ERROR, "venue", NULL, "%s %s: %s", method, path, e.msg);
        kick(x, s, (vx_act)t, 1000);
        return;
    }
    s->busy = 1;
}

static const char *owner_name(gd_vexec *x, uint32_t owner)
{
    const char *n = x->o.hooks.owner_name ? x->o.hooks.owner_name(x->o.hooks.arg, owner) : NULL;
    return n ? n : "?";
}

/* What keeps a slot taken up from the ledger from being settled, or NULL:
 * its entry's fate unknown, a close under way, or a position whose stop (or
 * take profit) is not yet confirmed working at the venue. */
static const char *unsettled(const vx_slot *s)
{
    if (!s->settling)
        return NULL; /* a slot that went idle was cleared */
    switch (s->state) {
    case VS_ENTRY: return "its entry is still being looked up";
    case VS_CLOSING: return "its close is not done";
    case VS_OPEN:
        if (s->stop > 0.0 && s->stop_st != P_WORKING && !s->venue_flat)
            return "its stop is not confirmed working";
        if (s->tp > 0.0 && (s->tp_st == P_PENDING || (s->tp_st == P_NONE && s->stop_st == P_WORKING)))
            return "its take profit is not confirmed working";
        return NULL;
    default: return NULL;
    }
}

/* Reports the take-up's end: all settled, or the deadline passed. */
static void settle_check(gd_vexec *x, int64_t now)
{
    size_t n = (size_t)x->n_owners * x->o.n_symbols;
    for (uint32_t i = 0; i < n; i++) {
        const char *why = unsettled(&x->slots[i]);
        if (!why)
            continue;
        if (now <= x->startup_deadline)
            return;
        gd_err e;
        gd_err_set(&e, GD_ETIMEDOUT,
                   "venue start-up: g%" PRIu64 "-e (%s %s, from %s) is not settled within [venue] startup_ms "
                   "(%.0f ms): %s; nothing trades until it is",
                   x->slots[i].intent, owner_name(x, slot_owner(x, i)), x->syms[slot_sym(x, i)],
                   x->ledger ? gd_vledger_path(x->ledger) : "the ledger", x->cfg->venue_startup_ms, why);
        gd_vexec_settled_fn f = x->settled;
        x->settled = NULL;
        f(x->settled_arg, GD_ETIMEDOUT, &e);
        return;
    }
    gd_vexec_settled_fn f = x->settled;
    x->settled = NULL;
    if (x->st.recovered)
        gd_log(GD_LOG_INFO, "venue", NULL,
               "take-up settled: %" PRIu64 " ledger record(s), %" PRIu64 " position(s) held", x->st.recovered,
               x->st.adopted);
    f(x->settled_arg, 0, NULL);
}

static void on_tick(uv_timer_t *h)
{
    gd_vexec *x = h->data;
    if (x->stopped)
        return;
    int64_t now = now_ms(x);
    if (!x->ready) {
        if (x->setup_step != SU_DONE && now > x->startup_deadline)
            setup_fail(x, GD_ETIMEDOUT, "%s: no answer within [venue] startup_ms (%.0f ms from the start)",
                       x->setup_step < SU_DONE ? setup_names[x->setup_step] : "", x->cfg->venue_startup_ms);
        return;
    }
    stream_tick(x, now);
    reconcile_tick(x, now);
    if (now >= x->clock_at) { /* the offset drifts: measured again every half hour */
        x->clock_at = now + VX_KEY_KEEPALIVE_MS;
        resync(x);
    }
    size_t n = (size_t)x->n_owners * x->o.n_symbols;
    for (uint32_t i = 0; i < n; i++) {
        vx_slot *s = &x->slots[i];
        if (s->state == VS_IDLE || s->busy)
            continue;
        /* The stop must be working in time. */
        if (s->state == VS_OPEN && s->stop > 0.0 && s->stop_st == P_PENDING && now > s->prot_deadline &&
            s->act != ACT_STOP_LOOKUP) {
            stop_failed(x, i, "the stop was not confirmed within the retry budget");
            continue;
        }
        /* The shadow stop: the host's price is past the stop and the venue
         * has not closed the position within the grace window. */
        if (s->state == VS_OPEN && s->crossed_since && now - s->crossed_since > (int64_t)x->cfg->venue_stop_grace_ms) {
            x->st.shadow_closes++;
            s->crossed_since = 0;
            if (!s->incident)
                incident(x, s,
                         "%s: the price crossed the stop %.*f over %.0f ms ago and the venue's stop has not "
                         "closed the position (shadow stop)",
                         x->syms[slot_sym(x, i)], x->price_dec[slot_sym(x, i)], s->stop, x->cfg->venue_stop_grace_ms);
            send_close(x, i, 'c', s->intent);
        }
        /* A close with nothing due or in flight: send it, or ask after it. */
        if (s->act == ACT_NONE && s->state == VS_CLOSING)
            kick(x, s, s->sends ? ACT_LOOKUP : ACT_SEND, 0);
        /* A protective order pending with nothing due (an answer about the
         * entry replaced its step): ask again. */
        if (s->act == ACT_NONE && s->state == VS_OPEN && s->stop_st == P_PENDING)
            kick(x, s, s->prot_sends ? ACT_STOP_LOOKUP : ACT_STOP_SEND, 0);
        else if (s->act == ACT_NONE && s->state == VS_OPEN && s->tp_st == P_PENDING)
            kick(x, s, s->prot_sends ? ACT_TP_LOOKUP : ACT_TP_SEND, 0);
        if (s->act == ACT_NONE && s->state == VS_OPEN && s->entry_open && s->stop_st != P_PENDING &&
            now - s->entry_poll >= 2 * (int64_t)x->cfg->venue_poll_ms) {
            /* A partly filled entry: what more filled (the stop closes the whole position either way). */
            s->entry_poll = now;
            s->entry_open = 0; /* set again by the answer while it is not final */
            kick(x, s, ACT_LOOKUP, 0);
        }
        if (s->act == ACT_NONE && s->state == VS_OPEN && (s->stop_st == P_WORKING || s->tp_st == P_WORKING) &&
            now - s->last_poll >= (int64_t)x->cfg->venue_poll_ms) {
            /* Working protective orders are asked after: filled, stuck or gone. */
            s->last_poll = now;
            s->act = s->stop_st == P_WORKING ? ACT_STOP_LOOKUP : ACT_TP_LOOKUP;
            s->due_ms = now;
            /* Alternate between the two when both work. */
            if (s->stop_st == P_WORKING && s->tp_st == P_WORKING && (now / (int64_t)x->cfg->venue_poll_ms) % 2)
                s->act = ACT_TP_LOOKUP;
        }
        if (s->act != ACT_NONE && now >= s->due_ms)
            run_act(x, i);
    }
    if (x->settled)
        settle_check(x, now);
}

/* ------------------------------------------------------------ user-data stream */

/* The slot an order's client id names ("g<intent>-<kind>"), or UINT32_MAX. */
static uint32_t slot_of_client_id(gd_vexec *x, const char *cid, char *kind)
{
    unsigned long long id;
    char k;
    int n = 0;
    if (!cid || sscanf(cid, "g%llu-%c%n", &id, &k, &n) != 2 || cid[n] != '\0')
        return UINT32_MAX;
    size_t total = (size_t)x->n_owners * x->o.n_symbols;
    for (uint32_t i = 0; i < total; i++) {
        const vx_slot *s = &x->slots[i];
        if (s->state == VS_IDLE)
            continue;
        if ((k == 'e' || k == 's' || k == 't') && s->intent == id) {
            *kind = k;
            return i;
        }
        if (s->state == VS_CLOSING && s->close_intent == id && s->close_kind == k) {
            *kind = k;
            return i;
        }
    }
    return UINT32_MAX;
}

/* After a (re)connect, what the stream may have missed is asked for. */
static void reconcile_slots(gd_vexec *x)
{
    size_t total = (size_t)x->n_owners * x->o.n_symbols;
    for (uint32_t i = 0; i < total; i++) {
        vx_slot *s = &x->slots[i];
        if (s->state == VS_IDLE || s->act != ACT_NONE)
            continue;
        if (s->state == VS_ENTRY || s->state == VS_CLOSING)
            kick(x, s, ACT_LOOKUP, 0);
        else if (s->stop_st == P_WORKING)
            kick(x, s, ACT_STOP_LOOKUP, 0);
    }
}

static void on_order_update(gd_vexec *x, const gd_vevent *ev)
{
    const char *cid = ev->client_id, *st = ev->order.status, *sym = ev->symbol;
    if (!cid[0] || !st[0] || !sym[0])
        return;
    /* The venue's own closes: liquidation and auto-deleveraging. */
    if (!strncmp(cid, "autoclose-", 10) || !strncmp(cid, "adl_autoclose", 13)) {
        for (uint32_t sy = 0; sy < x->o.n_symbols; sy++) {
            if (strcmp(sym, x->syms[sy]) != 0)
                continue;
            for (uint32_t k = 0; k < x->n_owners; k++) {
                uint32_t i = k * x->o.n_symbols + sy;
                vx_slot *s = &x->slots[i];
                if (s->state != VS_OPEN || strcmp(st, "FILLED") != 0)
                    continue;
                double z = ev->order.executed, ap = ev->order.avg;
                const char *what = cid[0] == 'a' && cid[1] == 'd' ? "auto-deleveraging" : "liquidation";
                incident(x, s, "%s: the venue closed the position itself (%s, %s)", sym, what, cid);
                /* Recorded as a close of the executor's own (g<intent>-c), its detail naming the venue's order. */
                s->close_intent = s->intent;
                s->close_kind = 'c';
                event(x, i, s->intent, 'c', "new", "%s by the venue (%s)", what, cid);
                deliver_fill(x, i, GORDON_FILL_FLATTEN, -s->side, z > 0 ? fmin(z, s->filled) : s->filled,
                             ap > 0 ? ap : s->ref);
                position_gone(x, i);
            }
        }
        return;
    }
    char kind;
    unsigned long long oid = 0;
    char ok_kind = 0;
    int nc = 0;
    int final = !strcmp(st, "FILLED") || !strcmp(st, "CANCELED") || !strcmp(st, "EXPIRED") || !strcmp(st, "REJECTED");
    if (sscanf(cid, "g%llu-%c%n", &oid, &ok_kind, &nc) == 2 && cid[nc] == '\0')
        fee_trade(x, oid, ok_kind, ev, final);
    uint32_t i = slot_of_client_id(x, cid, &kind);
    if (i == UINT32_MAX) {
        /* Its slot is gone (the fill was looked up first): the commission still counts. */
        vx_fee *f = oid ? fee_find(x, oid, ok_kind, 0) : NULL;
        if (f)
            fee_settle(x, f);
        return;
    }
    if (kind == 'e') {
        entry_order(x, i, &ev->order);
    } else if (kind == 's' || kind == 't') {
        /* The market order a triggered stop placed (its id is the algo's). */
        if (!strcmp(st, "FILLED")) {
            gd_vorder o = ev->order;
            snprintf(o.status, sizeof o.status, "FINISHED");
            algo_state(x, i, kind == 't', &o);
        }
    } else {
        close_order(x, i, &ev->order);
    }
    vx_fee *f = oid ? fee_find(x, oid, ok_kind, 0) : NULL;
    if (f)
        fee_settle(x, f);
}

static void on_algo_update(gd_vexec *x, const gd_vevent *ev)
{
    const char *cid = ev->client_id, *st = ev->order.status;
    char kind;
    uint32_t i = cid[0] ? slot_of_client_id(x, cid, &kind) : UINT32_MAX;
    if (i == UINT32_MAX || !st[0] || (kind != 's' && kind != 't'))
        return;
    vx_slot *s = &x->slots[i];
    if (!strcmp(st, "FINISHED") && !(ev->order.executed > 0.0)) {
        /* Its fill comes with the market order's own update; ask if it does not. */
        if (s->act == ACT_NONE)
            kick(x, s, kind == 't' ? ACT_TP_LOOKUP : ACT_STOP_LOOKUP, (int64_t)x->cfg->venue_poll_ms);
        return;
    }
    if (s->busy) {
        /* A request about it is out; its answer decides, this one is noted. */
        if (!strcmp(st, "TRIGGERING") && !s->trig_since)
            s->trig_since = now_ms(x);
    } else {
        algo_state(x, i, kind == 't', &ev->order);
    }
}

static void on_account_update(gd_vexec *x, const gd_vevent *ev)
{
    for (uint32_t n = 0; n < ev->n_pos; n++) {
        if (ev->pos[n].amt != 0.0)
            continue;
        /* Flat on the venue: a position of gordon's there is gone; its stop says how. */
        for (uint32_t sy = 0; sy < x->o.n_symbols; sy++)
            if (!strcmp(ev->pos[n].symbol, x->syms[sy]))
                for (uint32_t k = 0; k < x->n_owners; k++) {
                    vx_slot *s = slot_at(x, k, sy);
                    if (s->state == VS_OPEN && s->act == ACT_NONE && s->stop_st == P_WORKING)
                        kick(x, s, ACT_STOP_LOOKUP, 0);
                }
    }
}

static void ws_message(void *arg, const char *text, size_t len)
{
    gd_vexec *x = arg;
    char why[160];
    /* Parsed into the executor's scratch event: it is large, and the loop
     * reads one message at a time. */
    gd_vevent *ev = &x->ev;
    if (gd_vevent_parse(text, len, ev, why, sizeof why) != 0) {
        gd_log(GD_LOG_WARN, "venue", NULL, "stream: %s (%zu bytes): ignored", why, len);
        return;
    }
    if (why[0])
        gd_log(GD_LOG_WARN, "venue", NULL, "stream: %s: ignored", why);
    x->st.stream_events++;
    if (ev->type == GD_VEV_ORDER)
        on_order_update(x, ev);
    else if (ev->type == GD_VEV_ALGO)
        on_algo_update(x, ev);
    else if (ev->type == GD_VEV_ACCOUNT)
        on_account_update(x, ev);
    else if (ev->type == GD_VEV_KEY_EXPIRED) {
        gd_log(GD_LOG_WARN, "venue", NULL, "stream: the listen key expired; a new one comes with the reconnect");
        x->listen_key[0] = '\0';
        gd_wsc_disconnect(x->ws);
    }
    pump(x);
}

static void ws_open(void *arg)
{
    gd_vexec *x = arg;
    x->st.stream_connected = 1;
    x->st.stream_connects++;
    x->ws_backoff = VX_WS_BACKOFF_MIN_MS;
    gd_log(GD_LOG_INFO, "venue", NULL, "user-data stream connected");
    reconcile_slots(x); /* what happened while it was away */
}

static void ws_closed(void *arg, const char *why)
{
    gd_vexec *x = arg;
    x->st.stream_connected = 0;
    if (x->stopped)
        return;
    x->ws_retry_at = now_ms(x) + x->ws_backoff;
    gd_log(GD_LOG_WARN, "venue", NULL, "user-data stream: %s; reconnecting in %" PRId64 " ms", why, x->ws_backoff);
    x->ws_backoff = x->ws_backoff * 2 > VX_WS_BACKOFF_MAX_MS ? VX_WS_BACKOFF_MAX_MS : x->ws_backoff * 2;
}

/* A listen key (a new one, or the live one extended), then the socket. */
static void stream_connect(gd_vexec *x)
{
    gd_err e;
    if (x->key_busy)
        return;
    x->ws_retry_at = 0;
    if (call(x, W_KEY, 0, 0, "POST", "/fapi/v1/listenKey", "", 0, &e) != 0) {
        gd_log(GD_LOG_ERROR, "venue", NULL, "listen key: %s", e.msg);
        x->ws_retry_at = now_ms(x) + x->ws_backoff;
        return;
    }
    x->key_busy = 1;
}

static void key_reply(gd_vexec *x, vx_req *q, const gd_rest_reply *r)
{
    x->key_busy = 0;
    if (q->act == 1) { /* keep-alive */
        if (r->outcome == GD_REST_OK)
            return;
        gd_log(GD_LOG_WARN, "venue", NULL, "listen key keep-alive: %s (code %d)%s", r->msg, r->code,
               r->code == -1125 ? ": the key is gone; a new one" : "");
        if (r->code == -1125) {
            x->listen_key[0] = '\0';
            gd_wsc_disconnect(x->ws);
            if (!gd_wsc_connected(x->ws))
                stream_connect(x);
        } else {
            x->key_renew_at = now_ms(x) + 60000; /* try again in a minute, well inside the hour */
        }
        return;
    }
    cJSON *j = r->outcome == GD_REST_OK ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    const char *key = j ? jstr(j, "listenKey") : NULL;
    gd_err e;
    if (!key || !key[0] || strlen(key) >= sizeof x->listen_key ||
        strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != strlen(key)) {
        gd_log(GD_LOG_WARN, "venue", NULL, "listen key: %s", key ? "an unexpected key" : r->msg);
        x->ws_retry_at = now_ms(x) + x->ws_backoff;
        x->ws_backoff = x->ws_backoff * 2 > VX_WS_BACKOFF_MAX_MS ? VX_WS_BACKOFF_MAX_MS : x->ws_backoff * 2;
        cJSON_Delete(j);
        return;
    }
    snprintf(x->listen_key, sizeof x->listen_key, "%s", key);
    cJSON_Delete(j);
    x->key_renew_at = now_ms(x) + VX_KEY_KEEPALIVE_MS;
    char url[sizeof x->ws_base + sizeof x->listen_key + 16];
    snprintf(url, sizeof url, "%s%s%s", x->ws_base, x->ws_prefix, x->listen_key);
    if (gd_wsc_connected(x->ws))
        return;
    if (gd_wsc_connect(x->ws, url, &e) != 0) {
        gd_log(GD_LOG_WARN, "venue", NULL, "user-data stream: %s", e.msg);
        x->ws_retry_at = now_ms(x) + x->ws_backoff;
    }
}

static void stream_tick(gd_vexec *x, int64_t now)
{
    if (!x->stream_on)
        return;
    if (x->ws_retry_at && now >= x->ws_retry_at && !gd_wsc_connected(x->ws))
        stream_connect(x);
    if (x->listen_key[0] && x->key_renew_at && now >= x->key_renew_at && !x->key_busy) {
        gd_err e;
        x->key_renew_at = now + VX_KEY_KEEPALIVE_MS;
        if (call(x, W_KEY, 1, 1, "PUT", "/fapi/v1/listenKey", "", 0, &e) == 0)
            x->key_busy = 1;
    }
}

/* ------------------------------------------------------------ run-time reconciliation */

/* The venue's positions against gordon's, every [venue] reconcile_ms: a mismatch
 * is logged and counted; gordon's position missing there is asked after
 * through its stop; one gordon does not know is an incident. */
/* [venue] unknown_positions = adopt: a venue position gordon did not open
 * goes to [venue] adopt_strategy with a stop adopt_stop_pct from the mark,
 * recorded in the ledger as if gordon had opened it. Returns 0, or why not
 * (the caller treats the position as it would without adopt). */
static int adopt_position(gd_vexec *x, uint32_t sym, double amt, double entry, double mark, int settling, gd_err *err)
{
    uint32_t owner;
    if (!x->o.hooks.adopt_new || !x->o.hooks.owner_index ||
        x->o.hooks.owner_index(x->o.hooks.arg, x->cfg->venue_adopt_strategy, &owner) != 0 || owner >= x->n_owners)
        return gd_err_set(err, GD_ENOENT, "[venue] adopt_strategy %s is not a running strategy",
                          x->cfg->venue_adopt_strategy ? x->cfg->venue_adopt_strategy : "(unset)");
    uint32_t i = owner * x->o.n_symbols + sym;
    vx_slot *s = &x->slots[i];
    if (s->state != VS_IDLE)
        return gd_err_set(err, GD_ESTATE, "%s already has an order or a position on %s", x->cfg->venue_adopt_strategy,
                          x->syms[sym]);
    const gd_instrument *in = &x->instr[sym];
    int side = amt > 0 ? 1 : -1;
    if (!(mark > 0.0))
        mark = entry;
    if (!(mark > 0.0) || !isfinite(mark))
        return gd_err_set(err, GD_EIO, "no mark price for %s", x->syms[sym]);
    /* The stop rounds towards the price, as every stop does. */
    double stop = gd_round_tick(mark * (1.0 - side * x->cfg->venue_adopt_stop_pct / 100.0), in->tick_size, side);
    if (!(stop > 0.0))
        return gd_err_set(err, GD_ERANGE, "a stop %.4g%% from %g is not a price", x->cfg->venue_adopt_stop_pct, mark);
    gordon_fill f;
    memset(&f, 0, sizeof f);
    f.struct_size = sizeof f;
    f.symbol = sym;
    f.side = side;
    f.reason = GORDON_FILL_ENTRY;
    f.qty = fabs(amt);
    f.price = entry > 0.0 ? entry : mark;
    f.time_ms = gd_wall_ms(); /* no fee: it was paid by whoever opened it */
    uint64_t id = 0;
    int rc = x->o.hooks.adopt_new(x->o.hooks.arg, owner, &f, stop, mark, &id, err);
    if (rc)
        return rc;
    memset(s, 0, sizeof *s);
    s->state = VS_OPEN;
    s->side = (int8_t)side;
    s->intent = id;
    s->qty = s->filled = f.qty;
    s->avg = f.price;
    s->ref = mark;
    s->stop = stop;
    s->settling = (uint8_t)settling;
    gd_vledger_rec lr;
    memset(&lr, 0, sizeof lr);
    lr.id = id;
    snprintf(lr.strategy, sizeof lr.strategy, "%s", x->cfg->venue_adopt_strategy);
    snprintf(lr.symbol, sizeof lr.symbol, "%s", x->syms[sym]);
    lr.side = side;
    lr.qty = f.qty;
    lr.stop = stop;
    lr.ref = mark;
    lr.at_ms = f.time_ms;
    gd_err le;
    /* A restart must know it is gordon's now; the stop goes either way. */
    if (x->ledger &&
        (gd_vledger_entry(x->ledger, &lr, &le) != 0 || gd_vledger_fill(x->ledger, id, f.qty, f.price, &le) != 0))
        gd_log(GD_LOG_ERROR, "venue", NULL, "%s", le.msg);
    x->st.adopted_unknown++;
    gd_log(GD_LOG_WARN, "venue", NULL,
           "adopted a %s position of %s %.*f (entry %.*f) that gordon did not open: held by %s as g%" PRIu64
           ", stop %.*f (%.4g%% from the mark %.*f), %.2f at risk",
           side > 0 ? "long" : "short", x->syms[sym], x->qty_dec[sym], f.qty, x->price_dec[sym], f.price,
           x->cfg->venue_adopt_strategy, id, x->price_dec[sym], stop, x->cfg->venue_adopt_stop_pct, x->price_dec[sym],
           mark, f.qty * fabs(mark - stop));
    protective_next(x, i);
    return 0;
}

static void reconcile_reply(gd_vexec *x, const gd_rest_reply *r)
{
    x->recon_busy = 0;
    cJSON *j = r->outcome == GD_REST_OK ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (!cJSON_IsArray(j)) {
        cJSON_Delete(j);
        return;
    }
    x->st.reconciliations++;
    for (uint32_t sy = 0; sy < x->o.n_symbols; sy++) {
        double venue = 0.0, ours = 0.0;
        int busy = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, j)
        {
            gd_vposition vp;
            gd_vreply_position(p, &vp);
            if (!strcmp(vp.symbol, x->syms[sy]) && isfinite(vp.amt))
                venue += vp.amt;
        }
        vx_slot *open = NULL;
        for (uint32_t k = 0; k < x->n_owners; k++) {
            vx_slot *s = slot_at(x, k, sy);
            if (s->state == VS_OPEN) {
                ours += s->side * s->filled;
                open = s;
            }
            busy |= s->state == VS_ENTRY || s->state == VS_CLOSING || s->busy || s->act != ACT_NONE;
        }
        double tol = x->instr[sy].step_size / 2;
        if (busy || fabs(venue - ours) <= tol)
            continue; /* in flight: the next round compares */
        x->st.mismatches++;
        gd_log(GD_LOG_WARN, "venue", NULL, "reconciliation: %s is %.*f on the venue, %.*f by gordon's book",
               x->syms[sy], x->qty_dec[sy], venue, x->qty_dec[sy], ours);
        if (open && fabs(venue) <= tol) {
            if (open->act == ACT_NONE)
                kick(x, open, ACT_STOP_LOOKUP, 0);
        } else if (!open && x->cfg->venue_unknown_positions && !strcmp(x->cfg->venue_unknown_positions, "adopt")) {
            double entry = 0.0, mark = 0.0;
            cJSON_ArrayForEach(p, j)
            {
                gd_vposition vp;
                gd_vreply_position(p, &vp);
                if (!strcmp(vp.symbol, x->syms[sy])) {
                    entry = vp.entry;
                    mark = vp.mark;
                }
            }
            gd_err e;
            if (adopt_position(x, sy, venue, isfinite(entry) ? entry : 0.0, isfinite(mark) ? mark : 0.0, 0, &e) != 0)
                incident(x, NULL,
                         "reconciliation: the venue holds %.*f %s that gordon did not open, and adopting it "
                         "failed: %s",
                         x->qty_dec[sy], venue, x->syms[sy], e.msg);
        } else if (!open && x->cfg->venue_unknown_positions && !strcmp(x->cfg->venue_unknown_positions, "close")) {
            /* Someone else's position on a symbol gordon trades: closed, per
             * [venue] unknown_positions = close (reduce-only, no client id
             * of gordon's). */
            char params[256], q[64];
            gd_err e;
            fmt_num(q, sizeof q, fabs(venue), x->qty_dec[sy]);
            snprintf(params, sizeof params,
                     "symbol=%s&side=%s&type=MARKET&quantity=%s&reduceOnly=true&newOrderRespType=RESULT", x->syms[sy],
                     venue > 0 ? "SELL" : "BUY", q);
            gd_log(GD_LOG_ERROR, "venue", NULL,
                   "reconciliation: the venue holds %.*f %s that gordon did not open: closing it ([venue] "
                   "unknown_positions = close)",
                   x->qty_dec[sy], venue, x->syms[sy]);
            x->st.orders_sent++;
            if (call(x, W_SETUP, UINT32_MAX, 0, "POST", "/fapi/v1/order", params, 1, &e) != 0)
                gd_log(GD_LOG_ERROR, "venue", NULL, "closing %s: %s", x->syms[sy], e.msg);
        } else if (!open) {
            incident(x, NULL, "reconciliation: the venue holds %.*f %s that gordon did not open", x->qty_dec[sy], venue,
                     x->syms[sy]);
        } else {
            incident(x, open, "reconciliation: %s is %.*f on the venue but %.*f by gordon's book", x->syms[sy],
                     x->qty_dec[sy], venue, x->qty_dec[sy], ours);
        }
    }
    cJSON_Delete(j);
}

static void reconcile_tick(gd_vexec *x, int64_t now)
{
    gd_err e;
    if (x->recon_busy || now < x->recon_at)
        return;
    x->recon_at = now + (int64_t)x->cfg->venue_reconcile_ms;
    if (call(x, W_RECONCILE, 0, 0, "GET", "/fapi/v2/positionRisk", "", 1, &e) == 0)
        x->recon_busy = 1;
}

/* ------------------------------------------------------------ executor ops */

/* An emergency flatten also clears the symbol of every open order and algo
 * order on the venue, gordon's or not (once a second at most): nothing may
 * reopen what is being closed. Best effort; the closes go regardless. */
static void sweep(gd_vexec *x, uint32_t sym)
{
    int64_t now = now_ms(x);
    if (x->swept[sym] && now - x->swept[sym] < 1000)
        return;
    x->swept[sym] = now;
    char params[96];
    gd_err e;
    snprintf(params, sizeof params, "symbol=%s", x->syms[sym]);
    gd_log(GD_LOG_WARN, "venue", NULL, "%s: emergency flatten: cancelling every open order and algo order",
           x->syms[sym]);
    if (call(x, W_SETUP, UINT32_MAX, 0, "DELETE", "/fapi/v1/allOpenOrders", params, 1, &e) != 0 ||
        call(x, W_SETUP, UINT32_MAX, 0, "DELETE", "/fapi/v1/algoOpenOrders", params, 1, &e) != 0)
        gd_log(GD_LOG_ERROR, "venue", NULL, "%s: flatten sweep: %s", x->syms[sym], e.msg);
}

static int vx_submit(void *self, const gd_order *o, gd_err *err)
{
    gd_vexec *x = self;
    if (o->owner >= x->n_owners || o->symbol >= x->o.n_symbols)
        return gd_err_set(err, GD_EINVAL, "order for unknown owner %u / symbol %u", o->owner, o->symbol);
    if (!x->ready || x->stopped)
        return gd_err_set(err, GD_ESTATE, "the venue is not ready");
    uint32_t i = o->owner * x->o.n_symbols + o->symbol;
    vx_slot *s = &x->slots[i];
    const char *sym = x->syms[o->symbol];
    switch (o->kind) {
    case GD_ORDER_ENTRY: {
        /* A reversal: the exit just sent closes first, then this entry goes. */
        int reversal = s->state == VS_CLOSING && !s->has_queued && s->close_kind == 'x';
        if (s->state != VS_IDLE && !reversal)
            return gd_err_set(err, GD_ESTATE, "%s: this strategy already has an order or a position", sym);
        for (uint32_t k = 0; k < x->n_owners; k++)
            if (k != o->owner && slot_at(x, k, o->symbol)->state != VS_IDLE)
                return gd_err_set(err, GD_ESTATE,
                                  "%s: another strategy holds or is entering it (one-way mode nets a symbol's "
                                  "positions)",
                                  sym);
        const gd_instrument *in = &x->instr[o->symbol];
        double q = gd_round_down_step(o->qty, in->step_size);
        if (!(q > 0.0) || q < in->min_qty)
            return gd_err_set(err, GD_EINVAL, "%s: quantity %g is below the venue's minimum %g", sym, o->qty,
                              in->min_qty);
        if (q > x->max_qty[o->symbol])
            return gd_err_set(err, GD_EINVAL, "%s: quantity %g is above the venue's maximum for a market order %g", sym,
                              q, x->max_qty[o->symbol]);
        if (!(o->side == 1 || o->side == -1))
            return gd_err_set(err, GD_EINVAL, "entry side %d", o->side);
        if (reversal) {
            s->queued = *o;
            s->queued.qty = q;
            s->has_queued = 1;
            x->pending_notional += q * o->ref_price;
            return 0;
        }
        return start_entry(x, i, o, q, err);
    }
    case GD_ORDER_EXIT:
    case GD_ORDER_FLATTEN: {
        char k = o->kind == GD_ORDER_FLATTEN ? 'f' : 'x';
        if (s->state == VS_IDLE)
            return gd_err_set(err, GD_ESTATE, "%s: nothing to exit", sym);
        if (s->state == VS_CLOSING && k == 'f' && s->has_queued)
            drop_queued(x, i, "an emergency flatten came before it went");
        if (s->state == VS_CLOSING)
            return gd_err_set(err, GD_ESTATE, "%s: a close is already on its way", sym);
        if (s->state == VS_ENTRY) {
            /* A market entry in flight cannot be called back: close what it fills. */
            s->exit_wanted = 1;
            s->close_kind = k;
            s->close_intent = o->intent_id;
            return 0;
        }
        s->ref = o->ref_price;
        send_close(x, i, k, o->intent_id);
        if (!s->busy)
            run_act(x, i);
        if (k == 'f')
            sweep(x, o->symbol);
        return 0;
    }
    default: return gd_err_set(err, GD_EINVAL, "unknown order kind %d", o->kind);
    }
}

/* A new entry on slot i (idle): recorded in the ledger, then on the wire. */
static int start_entry(gd_vexec *x, uint32_t i, const gd_order *o, double q, gd_err *err)
{
    vx_slot *s = &x->slots[i];
    const gd_instrument *in = &x->instr[slot_sym(x, i)];
    const char *sym = x->syms[slot_sym(x, i)];
    memset(s, 0, sizeof *s);
    s->state = VS_ENTRY;
    s->side = (int8_t)o->side;
    s->intent = o->intent_id;
    s->qty = q;
    s->ref = o->ref_price;
    /* The stop rounds towards the price (a tighter stop, never a looser one). */
    s->stop = o->stop > 0.0 ? gd_round_tick(o->stop, in->tick_size, o->side > 0 ? 1 : -1) : 0.0;
    s->tp = o->take_profit > 0.0 ? gd_round_tick(o->take_profit, in->tick_size, o->side > 0 ? -1 : 1) : 0.0;
    if (x->ledger) {
        gd_vledger_rec lr;
        memset(&lr, 0, sizeof lr);
        const char *name = x->o.hooks.owner_name ? x->o.hooks.owner_name(x->o.hooks.arg, o->owner) : NULL;
        lr.id = s->intent;
        snprintf(lr.strategy, sizeof lr.strategy, "%s", name ? name : "");
        snprintf(lr.symbol, sizeof lr.symbol, "%s", sym);
        lr.side = s->side;
        lr.qty = q;
        lr.stop = s->stop;
        lr.tp = s->tp;
        lr.ref = o->ref_price;
        lr.at_ms = gd_wall_ms();
        /* Not recorded, not sent: a restart must be able to find it. */
        int lrc = gd_vledger_entry(x->ledger, &lr, err);
        if (lrc) {
            memset(s, 0, sizeof *s);
            return lrc;
        }
    }
    x->pending_notional += q * o->ref_price;
    kick(x, s, ACT_SEND, 0);
    run_act(x, i); /* on the wire now, not at the next tick */
    return 0;
}

static void vx_slot_orders(void *self, uint32_t owner, uint32_t symbol, gd_slot_orders *out)
{
    gd_vexec *x = self;
    memset(out, 0, sizeof *out);
    if (owner >= x->n_owners || symbol >= x->o.n_symbols)
        return;
    const vx_slot *s = slot_at(x, owner, symbol);
    out->entry_pending = s->state == VS_ENTRY || s->has_queued;
    out->exit_pending = s->state == VS_CLOSING || s->exit_wanted;
    out->entry_notional = s->state == VS_ENTRY ? s->qty * s->ref
                          : s->has_queued      ? s->queued.qty * s->queued.ref_price
                                               : 0.0;
}

static double vx_pending_notional(void *self) { return ((gd_vexec *)self)->pending_notional; }

static int vx_grow(void *self, uint32_t n_owners)
{
    gd_vexec *x = self;
    if (n_owners <= x->n_owners)
        return 0;
    size_t old = (size_t)x->n_owners * x->o.n_symbols, now = (size_t)n_owners * x->o.n_symbols;
    vx_slot *p = realloc(x->slots, now * sizeof *p);
    if (!p)
        return GD_ENOMEM;
    memset(p + old, 0, (now - old) * sizeof *p);
    x->slots = p;
    x->n_owners = n_owners;
    return 0;
}

/* The shadow stop watches the host's price: a bar's close, or the venue's
 * mark price where live data brings it. */
static void shadow_check(gd_vexec *x, uint32_t symbol, double price)
{
    if (symbol >= x->o.n_symbols || !(price > 0.0))
        return;
    for (uint32_t k = 0; k < x->n_owners; k++) {
        vx_slot *s = slot_at(x, k, symbol);
        if (s->state != VS_OPEN || !(s->stop > 0.0))
            continue;
        int crossed = s->side > 0 ? price <= s->stop : price >= s->stop;
        if (!crossed) {
            s->crossed_since = 0;
        } else if (!s->crossed_since) {
            s->crossed_since = now_ms(x);
            if (s->stop_st == P_WORKING && s->act == ACT_NONE)
                kick(x, s, ACT_STOP_LOOKUP, 0); /* has it filled? */
        }
    }
}

static void vx_on_bar(void *self, uint32_t symbol, const gordon_bar *bar) { shadow_check(self, symbol, bar->close); }

void gd_vexec_mark(gd_vexec *x, uint32_t symbol, double mark)
{
    if (!x->stopped && x->ready)
        shadow_check(x, symbol, mark);
}

static void free_all(gd_vexec *x)
{
    if (x->syms)
        for (uint32_t s = 0; s < x->o.n_symbols; s++)
            free(x->syms[s]);
    free(x->syms);
    free(x->instr);
    free(x->price_dec);
    free(x->qty_dec);
    free(x->max_qty);
    free(x->swept);
    free(x->slots);
    free(x->venue_amt);
    free(x->venue_mark);
    free(x->found);
    free(x->plan);
    gd_vledger_free(x->ledger);
    gd_wsc_free(x->ws);
    gd_signer_free(x->signer);
    free(x);
}

void gd_vexec_stop(gd_vexec *x)
{
    if (!x || x->stopped)
        return;
    x->stopped = 1;
    if (x->tick_init)
        uv_close((uv_handle_t *)&x->tick, NULL);
    if (x->rest) {
        gd_rest_close(x->rest);
        x->rest = NULL;
    }
    gd_wsc_stop(x->ws);
    while (x->reqs) {
        vx_req *q = x->reqs;
        untrack(x, q);
        free(q);
    }
}

static void vx_destroy(void *self)
{
    gd_vexec *x = self;
    gd_vexec_stop(x);
    free_all(x);
}

static const gd_executor_ops vx_ops = {
    "binance", 1, vx_submit, vx_slot_orders, vx_pending_notional, vx_grow, vx_on_bar, vx_destroy,
};

gd_executor gd_vexec_executor(gd_vexec *x) { return (gd_executor){&vx_ops, x}; }

/* ------------------------------------------------------------ set-up */

int gd_vexec_new(const gd_vexec_opts *o, gd_vexec **out, gd_err *err)
{
    const gd_config *cfg = o->cfg;
    gd_venue_endpoints ep;
    int rc;
    *out = NULL;
    if ((rc = gd_venue_endpoints_get(cfg, &ep, err)) != 0)
        return rc;
    if (!cfg->venue_key_file || !cfg->venue_api_key || !cfg->venue_api_key[0])
        return gd_err_set(err, GD_EINVAL,
                          "[venue]: trading needs an API key ([venue] api_key or "
                          "GORDON_VENUE_API_KEY) and its secret ([venue] key_file)");
    gd_vexec *x = calloc(1, sizeof *x);
    if (!x)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    x->loop = o->loop;
    x->cfg = cfg;
    x->o = *o;
    x->n_owners = o->n_owners ? o->n_owners : 1;
    x->st.used_weight_1m = x->st.order_count_1m = -1;
    uint32_t ns = o->n_symbols ? o->n_symbols : 1;
    x->syms = calloc(ns, sizeof *x->syms);
    x->instr = calloc(ns, sizeof *x->instr);
    x->price_dec = calloc(ns, sizeof *x->price_dec);
    x->qty_dec = calloc(ns, sizeof *x->qty_dec);
    x->max_qty = calloc(ns, sizeof *x->max_qty);
    x->swept = calloc(ns, sizeof *x->swept);
    x->venue_amt = calloc(ns, sizeof *x->venue_amt);
    x->venue_mark = calloc(ns, sizeof *x->venue_mark);
    x->found = calloc(ns, sizeof *x->found);
    x->slots = calloc((size_t)x->n_owners * ns, sizeof *x->slots);
    if (!x->syms || !x->instr || !x->price_dec || !x->qty_dec || !x->max_qty || !x->swept || !x->slots ||
        !x->venue_amt || !x->venue_mark || !x->found) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t s = 0; s < o->n_symbols; s++) {
        if (!(x->syms[s] = strdup(o->symbols[s]))) {
            rc = gd_err_set(err, GD_ENOMEM, "out of memory");
            goto fail;
        }
        /* Symbols go into query strings unencoded: Binance's are [A-Z0-9]. */
        for (const char *c = x->syms[s]; *c; c++)
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) {
                rc = gd_err_set(err, GD_EINVAL, "symbol %s: a venue symbol is upper-case letters and digits",
                                x->syms[s]);
                goto fail;
            }
    }
    if (o->ledger_path && (rc = gd_vledger_open(o->ledger_path, o->loop, &x->ledger, err)) != 0)
        goto fail;
    if (x->ledger && gd_vledger_count(x->ledger))
        gd_log(GD_LOG_INFO, "venue", NULL, "%s: %zu open record(s) from an earlier run to take up",
               gd_vledger_path(x->ledger), gd_vledger_count(x->ledger));
    gd_sign_kind kind = cfg->venue_key_type && !strcmp(cfg->venue_key_type, "ed25519") ? GD_SIGN_ED25519 : GD_SIGN_HMAC;
    if ((rc = gd_signer_load_file(kind, cfg->venue_key_file, &x->signer, err)) != 0)
        goto fail;
    gd_rest_opts ro = {
        o->loop, ep.rest, cfg->venue_api_key, x->signer, cfg->venue_timeout_ms, cfg->venue_recv_window_ms};
    if ((rc = gd_rest_new(&ro, &x->rest, err)) != 0)
        goto fail;
    if (!cfg->venue_rest_url != !cfg->venue_ws_url) {
        rc = gd_err_set(err, GD_EINVAL,
                        "[venue] rest_url and ws_url go together: one without the other would "
                        "trade on one venue and listen to another");
        goto fail;
    }
    if (strlen(ep.ws) >= sizeof x->ws_base) {
        rc = gd_err_set(err, GD_ERANGE, "[venue] ws_url is too long");
        goto fail;
    }
    snprintf(x->ws_base, sizeof x->ws_base, "%s", ep.ws);
    /* Since 2026 Binance's futures streams are split: the user's is under /private. */
    x->ws_prefix = !strcmp(ep.profile, "live") && !ep.overridden ? "/private/ws/" : "/ws/";
    gd_wsc_cbs wcb = {x, ws_open, ws_message, ws_closed};
    if ((rc = gd_wsc_new(o->loop, &wcb, &x->ws, err)) != 0)
        goto fail;
    /* Last: nothing fails after the timer, which the loop must close. */
    if ((rc = uv_timer_init(o->loop, &x->tick)) != 0) {
        rc = gd_err_set(err, GD_EIO, "uv_timer_init: %s", uv_strerror(rc));
        goto fail;
    }
    x->tick_init = 1;
    x->tick.data = x;

    gd_log(GD_LOG_INFO, "venue", NULL, "venue executor: profile %s, %s%s", ep.profile, ep.rest,
           ep.overridden ? " (overridden)" : "");
    *out = x;
    return 0;
fail:
    if (x->rest)
        gd_rest_close(x->rest);
    free_all(x);
    return rc;
}

int gd_vexec_start(gd_vexec *x, gd_err *err)
{
    int rc = uv_timer_start(&x->tick, on_tick, VX_TICK_MS, VX_TICK_MS);
    if (rc)
        return gd_err_set(err, GD_EIO, "uv_timer_start: %s", uv_strerror(rc));
    x->setup_step = SU_CLOCK;
    x->startup_deadline = now_ms(x) + (int64_t)x->cfg->venue_startup_ms;
    setup_next(x);
    return 0;
}

int gd_vexec_recover(gd_vexec *x, gd_vexec_settled_fn done, void *arg, gd_err *err)
{
    if (!x->ready)
        return gd_err_set(err, GD_ESTATE, "the venue is not ready");
    for (size_t k = 0; k < x->n_plan; k++) {
        const gd_vledger_rec *r = gd_vledger_find(x->ledger, x->plan[k].id);
        uint32_t i = x->plan[k].slot, sym = slot_sym(x, i);
        if (!r)
            continue;
        vx_slot *s = &x->slots[i];
        memset(s, 0, sizeof *s);
        s->recovering = s->settling = 1;
        s->venue_flat = fabs(x->venue_amt[sym]) < x->instr[sym].step_size / 2;
        s->side = (int8_t)r->side;
        s->intent = r->id;
        s->qty = r->qty;
        s->ref = r->ref;
        s->stop = r->stop;
        s->tp = r->tp;
        s->filled = r->filled;
        s->avg = r->avg;
        x->st.recovered++;
        gd_log(GD_LOG_WARN, "venue", NULL,
               "taking up g%" PRIu64 "-e from the ledger: strategy %s, %s %s %.*f (%.*f filled as the host "
               "knew it), stop %.*f; the venue holds %.*f%s",
               r->id, r->strategy, r->symbol, r->side > 0 ? "long" : "short", x->qty_dec[sym], r->qty, x->qty_dec[sym],
               r->filled, x->price_dec[sym], r->stop, x->qty_dec[sym], x->venue_amt[sym],
               r->close_id ? ", a close was on its way" : "");
        if (r->filled > 0.0 && x->o.hooks.adopt) {
            gordon_fill f;
            memset(&f, 0, sizeof f);
            f.struct_size = sizeof f;
            f.symbol = sym;
            f.side = r->side;
            f.reason = GORDON_FILL_ENTRY;
            f.qty = r->filled;
            f.price = r->avg > 0.0 ? r->avg : r->ref;
            f.fee = f.qty * f.price * x->cfg->fee_bps / 1e4;
            f.time_ms = r->at_ms;
            f.intent_id = r->id;
            x->o.hooks.adopt(x->o.hooks.arg, slot_owner(x, i), &f, r->stop, r->tp);
            x->st.adopted++;
        }
        if (r->close_id) {
            /* What became of the close is asked; one that never reached the
             * venue goes again (the position still needs closing). */
            s->state = VS_CLOSING;
            s->close_intent = r->close_id;
            s->close_kind = r->close_kind;
            s->sends = 1;
            kick(x, s, ACT_LOOKUP, 0);
        } else {
            /* The entry is asked after, never sent again: one the venue
             * never took is over (its bar is long gone). */
            s->state = VS_ENTRY;
            s->sends = VX_MAX_SENDS;
            x->pending_notional += s->qty * s->ref;
            kick(x, s, ACT_LOOKUP, 0);
        }
    }
    free(x->plan);
    x->plan = NULL;
    x->n_plan = 0;
    for (size_t k = 0; k < x->n_found; k++) {
        const vx_found *f = &x->found[k];
        gd_err e;
        /* Settled like a record taken up: once its stop works. */
        int rc = adopt_position(x, f->sym, f->amt, f->entry, f->mark, 1, &e);
        if (rc) {
            x->n_found = 0;
            return gd_err_set(err, rc,
                              "venue start-up: the venue holds %.*f %s that gordon did not open, and "
                              "adopting it failed: %s",
                              x->qty_dec[f->sym], f->amt, x->syms[f->sym], e.msg);
        }
    }
    x->n_found = 0;
    pump(x);
    x->settled = done;
    x->settled_arg = arg;
    if (done)
        settle_check(x, now_ms(x));
    return 0;
}

const gd_instrument *gd_vexec_instruments(const gd_vexec *x) { return x->instr; }
double gd_vexec_equity(const gd_vexec *x) { return x->equity; }

void gd_vexec_stats_get(const gd_vexec *x, gd_vexec_stats *out) { *out = x->st; }

int gd_vexec_stop_state(const gd_vexec *x, uint32_t owner, uint32_t symbol)
{
    if (!x || owner >= x->n_owners || symbol >= x->o.n_symbols)
        return -1;
    const vx_slot *s = &x->slots[(size_t)owner * x->o.n_symbols + symbol];
    if (s->state == VS_IDLE)
        return -1;
    return s->stop_st == P_WORKING ? 1 : 0;
}

int gd_vexec_describe(const gd_vexec *x, char *buf, size_t cap)
{
    int unprotected = 0;
    size_t off = 0;
    if (cap)
        buf[0] = '\0';
    size_t n = (size_t)x->n_owners * x->o.n_symbols;
    for (uint32_t i = 0; i < n; i++) {
        const vx_slot *s = &x->slots[i];
        if (s->state != VS_OPEN && s->state != VS_CLOSING)
            continue;
        int prot = s->stop_st == P_WORKING;
        if (!prot && s->stop > 0.0)
            unprotected++;
        if (off < cap) {
            int w = snprintf(buf + off, cap - off, "%s %s %.*f stop=%s\n", x->syms[slot_sym(x, i)],
                             s->side > 0 ? "long" : "short", x->qty_dec[slot_sym(x, i)], s->filled,
                             prot ? "working" : "none");
            if (w > 0)
                off += (size_t)w;
        }
    }
    return unprotected;
}
