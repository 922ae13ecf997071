/* libFuzzer target for the market stream's messages (venue/market.c
 * gd_vmarket_parse: every kline and markPrice event on the per-bar path,
 * scanned in place). Checked beyond "no crash": a bar is a well-formed bar
 * (finite prices, low <= open, close <= high, volume >= 0, an integral open
 * time in range, close = open + the interval) whose symbol is a non-empty
 * span of the input; a mark is a finite positive price; a bar written back
 * as a kline message (numbers as %.17g strings) parses to the same bar. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venue/market.h"

#define IV_MS 60000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    gd_vmarket_msg m;
    int kind = gd_vmarket_parse(text, size, "1m", IV_MS, &m);
    if (kind != m.kind || kind < GD_VM_OTHER || kind > GD_VM_BAD)
        abort();
    if (kind == GD_VM_BAR || kind == GD_VM_MARK) {
        if (!m.symbol.n || m.symbol.p < text || m.symbol.p + m.symbol.n > text + size)
            abort();
    }
    if (kind == GD_VM_MARK && (!isfinite(m.mark) || !(m.mark > 0)))
        abort();
    if (kind != GD_VM_BAR)
        return 0;
    const gordon_bar *b = &m.bar;
    if (!isfinite(b->open) || !isfinite(b->high) || !isfinite(b->low) || !isfinite(b->close) || !isfinite(b->volume) ||
        !(b->low > 0) || b->high < b->low || b->open < b->low || b->open > b->high || b->close < b->low ||
        b->close > b->high || b->volume < 0 || b->open_time_ms < 0 || b->open_time_ms > 9000000000000000LL ||
        b->close_time_ms != b->open_time_ms + IV_MS)
        abort();
    char sym[64], msg[1024];
    if (m.symbol.n >= sizeof sym)
        return 0;
    memcpy(sym, m.symbol.p, m.symbol.n);
    sym[m.symbol.n] = '\0';
    int n = snprintf(msg, sizeof msg,
                     "{\"e\":\"kline\",\"s\":\"%s\",\"k\":{\"t\":%lld,\"i\":\"1m\",\"o\":\"%.17g\",\"h\":\"%.17g\","
                     "\"l\":\"%.17g\",\"c\":\"%.17g\",\"v\":\"%.17g\",\"x\":true}}",
                     sym, (long long)b->open_time_ms, b->open, b->high, b->low, b->close, b->volume);
    if (n <= 0 || (size_t)n >= sizeof msg)
        return 0;
    gd_vmarket_msg r;
    if (gd_vmarket_parse(msg, (size_t)n, "1m", IV_MS, &r) != GD_VM_BAR)
        abort();
    if (memcmp(&r.bar, b, sizeof *b) != 0)
        abort();
    return 0;
}
