/* libFuzzer target for the venue executor's ledger (venue/ledger.c): what
 * a restart reads back from <state_dir>/venue.ledger to find its orders.
 * Checked beyond "no crash": opening either fails with a message naming
 * the file, or yields records that are each well formed (a valid strategy
 * name, side +-1, qty > 0, filled within qty); opening the file again (it
 * was compacted) yields exactly the same records; and a record appended and
 * marked flat leaves them unchanged. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/names.h"
#include "fuzz_tmp.h"
#include "venue/ledger.h"

static void same(const gd_vledger *a, const gd_vledger *b)
{
    if (gd_vledger_count(a) != gd_vledger_count(b))
        abort();
    for (size_t i = 0; i < gd_vledger_count(a); i++) {
        const gd_vledger_rec *x = gd_vledger_at(a, i), *y = gd_vledger_at(b, i);
        if (x->id != y->id || strcmp(x->strategy, y->strategy) || strcmp(x->symbol, y->symbol) || x->side != y->side ||
            x->qty != y->qty || x->stop != y->stop || x->tp != y->tp || x->filled != y->filled || x->avg != y->avg ||
            x->close_id != y->close_id || x->close_kind != y->close_kind || x->at_ms != y->at_ms)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[600];
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/venue.ledger", fuzz_tmp_dir("ledger"));
        gd_log_init(NULL, GD_LOG_OFF);
    }
    fuzz_put(path, data, size);
    gd_vledger *l = NULL, *again = NULL;
    gd_err err;
    int rc = gd_vledger_open(path, NULL, &l, &err);
    if (rc) {
        if (l || !strstr(err.msg, "venue.ledger"))
            abort();
        goto out;
    }
    for (size_t i = 0; i < gd_vledger_count(l); i++) {
        const gd_vledger_rec *r = gd_vledger_at(l, i);
        if (!gd_name_valid(r->strategy, GD_NAME_MAX) || !r->symbol[0] || (r->side != 1 && r->side != -1) ||
            !(r->qty > 0) || !isfinite(r->qty) || r->filled < 0 || r->filled > r->qty * (1 + 1e-9) || !r->id)
            abort();
    }
    if (gd_vledger_open(path, NULL, &again, &err) != 0)
        abort(); /* what it wrote it must read */
    same(l, again);
    gd_vledger_free(again);
    again = NULL;
    gd_vledger_rec n;
    memset(&n, 0, sizeof n);
    n.id = 9007199254740000ull;
    snprintf(n.strategy, sizeof n.strategy, "fuzz");
    snprintf(n.symbol, sizeof n.symbol, "BTCUSDT");
    n.side = 1;
    n.qty = 1;
    if (!gd_vledger_find(l, n.id)) {
        if (gd_vledger_entry(l, &n, &err) != 0 || gd_vledger_flat(l, n.id, &err) != 0)
            abort();
        gd_vledger_free(l);
        l = NULL;
        if (gd_vledger_open(path, NULL, &l, &err) != 0 || gd_vledger_find(l, n.id))
            abort();
    }
out:
    gd_vledger_free(l);
    unlink(path);
    return 0;
}
