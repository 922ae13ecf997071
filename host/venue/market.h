/* Live market data from Binance USD-M (issue 15): closed klines and mark
 * prices from the combined market stream, on the host's loop, with the
 * warm-up and every gap filled from GET /fapi/v1/klines.
 *
 * Start: the server-time offset (median of five), then for each symbol the
 * last warmup_bars closed bars by REST (delivered in order, marked
 * backfilled), then the stream <symbol>@kline_<interval> and
 * <symbol>@markPrice@1s for every symbol (wss://.../market/stream?streams=
 * on the live profile, .../stream?streams= elsewhere). Only closed klines
 * (k.x true) become bars. A bar whose open is not the last one's plus the
 * interval opens a gap: the missing bars are fetched and delivered first,
 * in order and marked backfilled; one already seen is dropped. After every
 * reconnect (backoff 0.5 s to 30 s; Binance cuts a connection at 24 h) the
 * bars missed meanwhile are fetched the same way.
 *
 * Freshness, on a one-second timer in venue time: a symbol whose next bar
 * is later than its close plus [market] stale_grace_ms, a gap that could not
 * be filled (three tries), or the stream down longer than the grace makes
 * the feed stale; hooks.stale says so once, and once more when every
 * symbol is current again. Bars and prices from the venue are untrusted:
 * a kline that is not a well-formed bar (high below low, a price not
 * positive and finite) is logged, counted and not delivered. */
#ifndef GD_VENUE_MARKET_H
#define GD_VENUE_MARKET_H

#include <stdint.h>

#include <gordon/sdk.h>
#include <uv.h>

#include "base/err.h"
#include "base/jscan.h"
#include "config/config.h"

typedef struct gd_vmarket gd_vmarket;

typedef struct gd_vmarket_hooks {
    void *arg;
    /* A closed bar of engine symbol s, each symbol's in order of open time;
     * backfilled: fetched by REST (warm-up or a gap), not from the stream. */
    void (*bar)(void *arg, uint32_t s, const gordon_bar *bar, int backfilled);
    /* The mark price of s at venue time time_ms. */
    void (*mark)(void *arg, uint32_t s, double mark, int64_t time_ms);
    /* stale 1: the feed went stale (why says which symbol and how); 0: every
     * symbol is current again. */
    void (*stale)(void *arg, int stale, const char *why);
    /* The warm-up is delivered and the stream asked for (rc 0), or start-up
     * failed (err says what). */
    void (*ready)(void *arg, int rc, const gd_err *err);
} gd_vmarket_hooks;

typedef struct gd_vmarket_opts {
    uv_loop_t *loop;
    const gd_config *cfg;       /* borrowed: [venue] endpoints, [market] interval and grace */
    const char *const *symbols; /* engine symbol index -> venue symbol; borrowed */
    uint32_t n_symbols;
    uint32_t warmup_bars; /* closed bars fetched before the stream (at most 1499) */
    gd_vmarket_hooks hooks;
} gd_vmarket_opts;

typedef struct gd_vmarket_stats {
    uint64_t bars_stream;     /* closed bars from the stream, delivered */
    uint64_t bars_backfilled; /* ... fetched by REST (warm-up and gaps) */
    uint64_t duplicates;      /* bars already delivered, dropped */
    uint64_t gaps;            /* gaps found (a bar ahead of the next expected) */
    uint64_t gaps_unfilled;   /* ... that three fetches could not fill */
    uint64_t bad;             /* klines or marks that were not well formed */
    uint64_t marks;
    uint64_t connects;
    int connected;
    int stale;
} gd_vmarket_stats;

/* One market-stream message, parsed in place (nothing allocated): */
enum {
    GD_VM_OTHER = 0,
    GD_VM_BAR,
    GD_VM_MARK,
    GD_VM_BAD
};
typedef struct gd_vmarket_msg {
    int kind;        /* GD_VM_*: OTHER for an unclosed kline or another event */
    gd_jspan symbol; /* BAR, MARK: the event's "s", into the text */
    gordon_bar bar;  /* BAR: a closed kline of the declared interval (close = open + interval_ms) */
    double mark;     /* MARK: the mark price (finite, > 0) */
    int64_t time_ms; /* MARK: its event time */
} gd_vmarket_msg;
/* Reads text as a combined-stream ({"stream","data"}) or raw kline or
 * markPriceUpdate event. GD_VM_BAD: not JSON, or a closed kline that is not
 * a well-formed bar of interval, or a mark that is not a positive price. */
int gd_vmarket_parse(const char *text, size_t len, const char *interval, int64_t interval_ms, gd_vmarket_msg *out);

int gd_vmarket_new(const gd_vmarket_opts *o, gd_vmarket **out, gd_err *err);
int gd_vmarket_start(gd_vmarket *m, gd_err *err);
void gd_vmarket_stats_get(const gd_vmarket *m, gd_vmarket_stats *out);
/* During hooks.bar for a stream bar: uv_hrtime() when its message had
 * arrived whole (what bench/bench_live measures from). */
uint64_t gd_vmarket_msg_ns(const gd_vmarket *m);
/* The close time of s's last delivered bar (0 before any). */
int64_t gd_vmarket_last_close(const gd_vmarket *m, uint32_t s);
/* The venue's clock as the REST offset measures it (ms). */
int64_t gd_vmarket_now(const gd_vmarket *m);
/* No callbacks after this; the memory goes with gd_vmarket_free once the
 * loop has run the closes. */
void gd_vmarket_stop(gd_vmarket *m);
void gd_vmarket_free(gd_vmarket *m);

#endif
