/* What gordon reads in the venue's answers, parsed once into bounded,
 * checked values: order and algo-order replies, and the user-data stream's
 * events. Nothing here trusts the venue: a field that is absent, not a
 * finite number, negative or too long comes out as "not given" (NAN, "",
 * an unknown type), never as a value gordon would act on. */
#ifndef GD_VENUE_REPLY_H
#define GD_VENUE_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* An order's state as the venue tells it. */
typedef struct gd_vorder {
    char status[24]; /* "FILLED", "TRIGGERING", ...: [A-Z_]+; "" when absent or not such a word */
    double executed; /* finite >= 0, NAN when absent or invalid */
    double avg;      /* finite > 0, NAN when absent, 0 or invalid */
} gd_vorder;

/* An order reply (status, executedQty, avgPrice), or with algo an algo
 * order's (algoStatus, else status). Always fills *out. */
void gd_vreply_order(const cJSON *j, int algo, gd_vorder *out);

/* One element of GET /fapi/v2/positionRisk as gordon reads it. Amounts and
 * prices past 1e12 in size are not believed (they would overflow what is
 * computed from them). */
typedef struct gd_vposition {
    char symbol[32]; /* "" when absent, not a string or too long */
    double amt;      /* positionAmt: finite, |amt| <= 1e12; NAN when absent or invalid */
    double mark;     /* markPrice: finite, 0 < mark <= 1e12; NAN otherwise */
    double entry;    /* entryPrice: the same; NAN otherwise (also Binance's 0 of a flat position) */
} gd_vposition;

void gd_vreply_position(const cJSON *p, gd_vposition *out);

/* GET /fapi/v2/account: the equity gordon sizes from, totalWalletBalance
 * (totalMarginBalance when that is missing): finite and > 0, or NAN. *margin
 * gets totalMarginBalance (finite, or NAN). */
double gd_vreply_equity(const cJSON *j, double *margin);

enum {
    GD_VEV_OTHER = 0,   /* an event gordon does not act on */
    GD_VEV_ORDER,       /* ORDER_TRADE_UPDATE */
    GD_VEV_ALGO,        /* ALGO_UPDATE */
    GD_VEV_ACCOUNT,     /* ACCOUNT_UPDATE */
    GD_VEV_KEY_EXPIRED, /* listenKeyExpired */
};

#define GD_VEV_MAX_POS 64

typedef struct gd_vev_pos {
    char symbol[32];
    double amt; /* finite */
} gd_vev_pos;

typedef struct gd_vevent {
    int type;
    char name[32]; /* the event's "e" */
    /* ORDER_TRADE_UPDATE and ALGO_UPDATE */
    char symbol[32];    /* "" when absent or too long */
    char client_id[64]; /* c (caid for an algo): "" when absent or too long */
    gd_vorder order;    /* X; z or aq; ap */
    char exec_type[24]; /* x: NEW, TRADE, CANCELED, ... */
    int trade;          /* a trade with its commission: exec_type TRADE, n finite >= 0, N given */
    double commission;  /* n */
    char commission_asset[16];
    int64_t trade_id; /* t; -1 when absent */
    /* ACCOUNT_UPDATE: the positions it lists (a.P), at most GD_VEV_MAX_POS */
    gd_vev_pos pos[GD_VEV_MAX_POS];
    uint32_t n_pos;
    uint32_t pos_dropped; /* listed past the bound, or without a symbol or a finite amount */
} gd_vevent;

/* One stream message. 0, or -1 with why when it is not a JSON object with
 * an event type (an event gordon knows whose body is missing is GD_VEV_OTHER
 * with why set too). */
int gd_vevent_parse(const char *text, size_t len, gd_vevent *out, char *why, size_t cap);

#endif
