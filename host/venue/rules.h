/* A symbol's trading rules as Binance's exchangeInfo states them: the
 * PRICE_FILTER tick, the LOT_SIZE and MARKET_LOT_SIZE step and limits (a
 * market order obeys both: the coarser step, the larger minimum, the smaller
 * maximum) and MIN_NOTIONAL. What the venue executor rounds every order to. */
#ifndef GD_VENUE_RULES_H
#define GD_VENUE_RULES_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct gd_venue_rules {
    double tick, step, min_qty, max_qty, min_notional; /* max_qty INFINITY when none */
    double trigger_protect; /* triggerProtect: a priceProtect stop does not fire while mark and last
                               price differ by more (a fraction; 0 when not stated) */
    int price_dec, qty_dec; /* decimals of tick and step (0..12) */
} gd_venue_rules;

/* A number, or a string holding exactly one (Binance writes prices and
 * quantities as strings); NAN for anything else, and for infinities. */
double gd_venue_num(const cJSON *v);

/* One element of exchangeInfo's "symbols" (name is for messages). 0, or -1
 * with why: not TRADING, or no usable tick, step, minimum or notional
 * (every value finite, tick and step positive). */
int gd_venue_rules_parse(const cJSON *symbol, const char *name, gd_venue_rules *out, char *why, size_t cap);

#endif
