/* gordon-venue: a loopback Binance USD-M futures REST venue for end-to-end
 * tests (issue 14, item 10). One process, one libuv loop, one port: the
 * Binance subset under /fapi/, the test control API under /_venue/.
 * Nothing here is part of the daemon; it lives in tests/ and may be blunt. */
#ifndef GD_VENUE_H
#define GD_VENUE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define VN_SYMBOLS_MAX 16 /* a test configures a handful */
#define VN_KEYS_MAX    8  /* API keys: HMAC and Ed25519 */
#define VN_FAULTS_MAX  32 /* queued fault rules */
#define VN_PARAMS_MAX  48 /* Binance requests carry about 15 */
#define VN_NAME_MAX    64 /* symbols, client ids (Binance: 36), error text */

typedef struct vn_symbol {
    char name[VN_NAME_MAX];
    double tick, step, min_qty, max_qty, notional, trigger_protect;
    int price_dec, qty_dec; /* decimals of tick and step, for the wire's strings */
    double price, mark;     /* last and mark price */
    /* one-way position: signed amount, average entry */
    double pos_amt, entry;
    int leverage;
    int isolated;
    double realized; /* accumulated realized PnL: ACCOUNT_UPDATE's "cr" */
    /* price path (CSV time_ms,price), owned */
    int64_t *path_t;
    double *path_p;
    size_t path_n;
    /* klines (--klines SYM:CSV): VN_KL_FIELDS doubles a bar, owned */
    double *kl;
    size_t kl_n;
    size_t mk_applied;    /* closed bars whose close the price follows */
    size_t mk_next;       /* the next closed bar the stream has not dealt with */
    size_t mk_mid;        /* 1 + the bar whose mid-bar update went out, 0 none */
    int64_t mk_mark_real; /* real ms of the last markPriceUpdate */
} vn_symbol;

enum {
    VN_KL_OPEN,
    VN_KL_HIGH,
    VN_KL_LOW,
    VN_KL_CLOSE,
    VN_KL_VOLUME,
    VN_KL_FIELDS
};

/* The market clock: market ms = base_market + (real ms - base_real) * speed
 * while running. Kline times and markPrice "E" use it; REST signatures and
 * the -1021 window keep the venue clock. */
typedef struct vn_market {
    char interval[8]; /* Binance's name: 1m, 1h, ... (1s for tests) */
    int64_t interval_ms;
    double speed;        /* market ms a real ms */
    size_t history;      /* bars already closed at start */
    int64_t t0;          /* market ms when bar `history` opens: venue time at start */
    int64_t base_market; /* market ms at base_real */
    int64_t base_real;   /* real ms */
    int paused;          /* the clock stands at base_market */
    int64_t stall_until; /* real ms: no market events before it */
    int gap;             /* closed klines still to leave off the stream */
} vn_market;

typedef struct vn_key {
    char api_key[VN_NAME_MAX * 2];
    char secret[VN_NAME_MAX * 2]; /* HMAC secret, empty for Ed25519 */
    void *ed_pub;                 /* EVP_PKEY *, owned; NULL for HMAC */
} vn_key;

typedef struct vn_order {
    int64_t id;
    char client_id[VN_NAME_MAX];
    int sym;
    int buy;
    char type[24];
    char status[24];
    double qty, executed, avg_price;
    int reduce_only, close_position;
    int64_t time, update_time;
} vn_order;

typedef struct vn_algo {
    int64_t id;
    char client_id[VN_NAME_MAX];
    int sym;
    int buy;
    char type[24];    /* STOP_MARKET, TAKE_PROFIT_MARKET */
    char status[16];  /* NEW TRIGGERING TRIGGERED FINISHED CANCELED REJECTED EXPIRED */
    char working[16]; /* MARK_PRICE, CONTRACT_PRICE */
    double qty, trigger;
    int close_position, reduce_only, price_protect;
    int stuck; /* fault: stays TRIGGERING when it triggers */
    int64_t actual_order_id;
    double executed, avg_price;
    int64_t create_time, update_time, trigger_time;
} vn_algo;

enum vn_fault_kind {
    VF_HTTP500,
    VF_HTTP503,
    VF_TIMEOUT,
    VF_DROP,
    VF_HOLD_APPLIED, /* applied, then held: the answer never comes */
    VF_BACKEND,      /* applied, then 503 -1007: execution status unknown */
    VF_BAN,          /* 418, -1003, Retry-After: the IP is banned */
    VF_SKEW,
    VF_RATELIMIT,
    /* business faults: matched on POST only, default path by kind */
    VF_MARGIN,
    VF_IMMEDIATE,
    VF_MIN_NOTIONAL,
    VF_REJECT_STOP,
    VF_STUCK,
    VF_PARTIAL,
    /* user-data websocket faults: they act when posted, never queued */
    VF_WS_DROP,
    VF_WS_SILENT,
    VF_LISTEN_KEY_EXPIRE,
    VF_KINDS
};

typedef struct vn_fault {
    int kind;
    int count;              /* matching requests left */
    char path[VN_NAME_MAX]; /* exact path, "" for any /fapi/ path */
    char method[8];         /* "" for any */
    int retry_after;        /* seconds, 429 */
    double fraction;        /* partial fill */
    int expire;             /* partial fill: the rest EXPIRED, not left PARTIALLY_FILLED */
} vn_fault;

typedef struct vn_venue {
    vn_symbol sym[VN_SYMBOLS_MAX];
    size_t nsym;
    vn_key keys[VN_KEYS_MAX];
    size_t nkeys;
    vn_fault faults[VN_FAULTS_MAX];
    size_t nfaults;
    vn_order *orders; /* owned */
    size_t norders, cap_orders;
    vn_algo *algos; /* owned */
    size_t nalgos, cap_algos;
    int64_t next_order_id, next_algo_id, next_trade_id;
    double wallet; /* USDT wallet balance */
    double fee_bps;
    int64_t clock_offset_ms; /* venue time = wall clock + offset (control: advance) */
    int dual_side;
    char listen_key[VN_NAME_MAX]; /* "" when none; one an account, as Binance */
    int64_t listen_key_expiry;    /* venue ms */
    int ws_silent;                /* fault: user-data events still to lose */
    /* rate counters for X-MBX-USED-WEIGHT-1M / X-MBX-ORDER-COUNT-1M */
    int64_t weight_minute;
    int weight_used, orders_used;
    uint64_t requests;
    vn_market mk;
} vn_venue;

/* A parsed request: decoded parameters from the query and the form body. */
typedef struct vn_param {
    char *key, *val; /* borrowed from vn_request.pbuf */
} vn_param;

typedef struct vn_request {
    const char *method;
    char path[256];
    const char *query;   /* raw, borrowed */
    const char *body;    /* raw, borrowed */
    const char *api_key; /* X-MBX-APIKEY or NULL, borrowed */
    vn_param params[VN_PARAMS_MAX];
    size_t nparams;
    char *pbuf; /* owned: decoded copies */
} vn_request;

enum {
    VN_ANSWER,
    VN_HOLD,
    VN_DROP
};

typedef struct vn_response {
    int status;
    char *body;      /* owned */
    int retry_after; /* >0: Retry-After header */
    int order_count; /* add X-MBX-ORDER-COUNT-1M */
    int weight;      /* request weight, for X-MBX-USED-WEIGHT-1M */
    int action;      /* VN_ANSWER, VN_HOLD (never answer), VN_DROP (close unanswered) */
} vn_response;

/* One fill of an order: what ORDER_TRADE_UPDATE's TRADE carries. */
typedef struct vn_trade {
    int64_t id;
    double qty, price, commission, realized;
} vn_trade;

/* state.c */
int64_t vn_now_ms(const vn_venue *v);
vn_symbol *vn_symbol_find(vn_venue *v, const char *name, int *idx);
int vn_symbol_parse(vn_venue *v, const char *spec, char *why, size_t whylen);
int vn_path_load(vn_symbol *s, const char *file, char *why, size_t whylen);
void vn_path_apply(vn_venue *v);
void vn_set_mark(vn_venue *v, int sym, double price, double mark);
void vn_check_triggers(vn_venue *v);
vn_order *vn_order_new(vn_venue *v);
vn_algo *vn_algo_new(vn_venue *v);
/* Fill a market order of qty at the symbol's price (fraction < 1: partial). */
void vn_fill(vn_venue *v, vn_order *o, double fraction);
double vn_unrealized(const vn_symbol *s);
double vn_initial_margin(const vn_symbol *s);
double vn_available(const vn_venue *v);
void vn_venue_free(vn_venue *v);
cJSON *vn_fmt(double x, int dec); /* a Binance number string */
cJSON *vn_order_json(const vn_venue *v, const vn_order *o);
cJSON *vn_algo_json(const vn_venue *v, const vn_algo *a);
cJSON *vn_state_json(const vn_venue *v);
/* User-data events, Binance's shapes; each built in one place and pushed to
 * every user-data socket (ws.c). exec is ORDER_TRADE_UPDATE's "x"; t the
 * fill for a TRADE, else NULL. */
void vn_ev_order(vn_venue *v, const vn_order *o, const char *exec, const vn_trade *t);
void vn_ev_algo(vn_venue *v, const vn_algo *a);
void vn_ev_account(vn_venue *v, const vn_symbol *s);

/* ws.c: the user-data websocket (libwebsockets on the venue's uv loop) */
int vn_ws_start(vn_venue *v, void *uv_loop, int port, int *bound_port);
int vn_ws_stop(void);                    /* 1 while lws still has handles to close on the loop */
void vn_ws_push(vn_venue *v, cJSON *ev); /* takes ev */
void vn_ws_drop_all(void);               /* abrupt: no close frame */
/* Closes sockets past the 24 h cut or whose key expired (listenKeyExpired
 * first) or went away; the tick and every time change call it. */
void vn_ws_check(vn_venue *v);
int vn_ws_sockets(void); /* open user-data sockets, for the state dump */

/* Market streams (ws.c): a market socket subscribes to streams; each event
 * goes to the sockets holding (sym, kind), raw or wrapped for /stream. */
enum {
    VN_MK_KLINE,
    VN_MK_MARK
};
void vn_ws_market_push(int sym, int kind, const char *data);
void vn_ws_market_drop_all(void); /* abrupt: no close frame */
int vn_ws_market_sockets(void);

/* market.c: klines, the market clock, GET /fapi/v1/klines, POST /_venue/market */
int64_t vn_real_ms(void);
int64_t vn_market_now(const vn_venue *v);
int64_t vn_interval_ms(const char *name); /* 0 if not one of Binance's */
int vn_klines_load(vn_symbol *s, const char *file, char *why, size_t whylen);
int vn_market_start(vn_venue *v, char *why, size_t whylen); /* after the options */
void vn_market_tick(vn_venue *v);
void vn_klines(vn_venue *v, const vn_request *r, vn_response *out);
void vn_market_control(vn_venue *v, const vn_request *r, vn_response *out);
void vn_market_state(const vn_venue *v, cJSON *state, cJSON *sym, int idx);
/* the symbol and stream kind a stream name (btcusdt@kline_1h,
 * btcusdt@markPrice[@1s]) names; -1 if none */
int vn_market_stream(vn_venue *v, const char *name, int *sym, int *kind);

/* rest.c */
const char *vn_param_get(const vn_request *r, const char *key);
void vn_dispatch(vn_venue *v, vn_request *r, vn_response *out);
void vn_error(vn_response *out, int status, int code, const char *msg);
void vn_json(vn_response *out, int status, cJSON *j); /* takes j */
/* Key, signature, time window: 0 if good, else out holds Binance's error. */
int vn_check_signed(vn_venue *v, const vn_request *r, vn_response *out);
vn_symbol *vn_need_symbol(vn_venue *v, const vn_request *r, vn_response *out, int *idx);
void vn_exchange_info(vn_venue *v, vn_response *out);

/* trade.c: the endpoints after the gateway's faults */
void vn_route(vn_venue *v, vn_request *r, vn_response *out);

/* control.c */
void vn_control(vn_venue *v, vn_request *r, vn_response *out);
/* The first fault rule that matches the request, counted down; NULL if none. */
vn_fault *vn_fault_take(vn_venue *v, const vn_request *r, int business);
const char *vn_fault_name(int kind);

#endif
