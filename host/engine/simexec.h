/* Simulated execution against replayed bars, with no lookahead: orders placed
 * at a bar's close fill at the next bar's open; stops trigger intrabar when the
 * range crosses them and fill at the open when the bar gaps through. */
#ifndef GD_SIMEXEC_H
#define GD_SIMEXEC_H

#include "engine/executor.h"

typedef struct gd_simexec_conf {
    uint32_t n_owners;
    uint32_t n_symbols;
    double fee_bps;       /* taker fee on every fill's notional */
    double slippage_bps;  /* adverse, on market and stop fills */
} gd_simexec_conf;

int gd_simexec_new(const gd_simexec_conf *conf, gd_fill_sink sink, gd_executor *out, gd_err *err);

/* New fee and slippage (a reload); returns -1 if x is not the simulator. */
int gd_simexec_set_costs(gd_executor *x, double fee_bps, double slippage_bps);

#endif
