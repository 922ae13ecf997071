/* The trade list (`gordon run --trades FILE.csv`): one CSV row per closed
 * round trip, or per part of one when a position is reduced in steps,
 * exactly as the book counts trades: the rows' count is the summary's
 * trades and their pnl sums to its realised PnL net of fees.
 *
 * Columns: strategy, symbol, side, qty, entry_time, entry_ms, entry_price,
 * stop, entry_slippage_bps, exit_time, exit_ms, exit_price,
 * exit_slippage_bps, exit_reason (stop, gap_through_stop, take_profit,
 * exit_signal, flatten), fees (the exit's and the entry's share), pnl (net
 * of them), r_multiple (pnl over the risk to the stop at entry; empty
 * without a stop), intent_id (the entry's). Prices are the fills'; times
 * UTC. Rows are kept in memory and written between bar batches
 * (gd_trades_flush), or when the buffer fills. */
#ifndef GD_TRADES_H
#define GD_TRADES_H

#include <stdint.h>

#include <gordon/sdk.h>

#include "base/err.h"
#include "engine/book.h"

typedef struct gd_trades gd_trades;

/* File mode. append: keep what the file holds (a daemon's list across restarts), else
 * start it afresh; the header is written to an empty file. slippage_bps:
 * [executor] slippage_bps; a stop filled beyond its price by more than that
 * is "gap_through_stop" (the bar opened past it), otherwise "stop". */
int gd_trades_open(const char *path, int append, uint32_t n_symbols, double slippage_bps, gd_trades **out,
                   gd_err *err);
/* Rows kept in memory instead (an ablation's runs), taken by gd_trades_take. */
int gd_trades_open_mem(uint32_t n_symbols, double slippage_bps, gd_trades **out, gd_err *err);
/* Memory mode: the rows so far (no header), NUL-terminated and now the
 * caller's, or NULL when there are none or memory ran out. */
char *gd_trades_take(gd_trades *t);
/* The header line, with its newline. */
const char *gd_trades_header(void);

/* A fill of owner's: an entry notes its slippage; a reducing fill of
 * position `before` (the book's row before the fill) makes a row. ref: the
 * host's price the fill is judged against (0: none). Allocates only when
 * owner is past every owner seen (a reload added strategies). */
void gd_trades_fill(gd_trades *t, uint32_t owner, const char *strategy, const char *symbol, const gordon_fill *f,
                    const gd_position *before, double ref);
/* Writes what is buffered. 0, or the write's error naming the file. */
int gd_trades_flush(gd_trades *t, gd_err *err);
/* Flushes (errors logged) and closes. */
void gd_trades_close(gd_trades *t);

#endif
