/* Simulated execution and the book: next-open entries, intrabar stops,
 * gap-through stops, take profits, fees and slippage, equity. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/book.h"
#include "engine/simexec.h"

typedef struct sink {
    gd_book book;
    gordon_fill fills[16];
    int n;
} sink;

static void on_fill(void *host, uint32_t owner, gordon_fill *f, double stop, double tp)
{
    sink *k = host;
    gd_book_apply_fill(&k->book, owner, f, stop, tp);
    if (k->n < 16)
        k->fills[k->n++] = *f;
}

static gordon_bar bar(int64_t t, double o, double h, double l, double c)
{
    gordon_bar b = {t, t + 60000, o, h, l, c, 1.0};
    return b;
}

static gd_order entry(int side, double qty, double stop, double tp)
{
    gd_order o;
    memset(&o, 0, sizeof o);
    o.intent_id = 7;
    o.kind = GD_ORDER_ENTRY;
    o.side = side;
    o.qty = qty;
    o.stop = stop;
    o.take_profit = tp;
    o.ref_price = 100.0;
    return o;
}

static void setup(sink *k, gd_executor *x, double fee_bps, double slip_bps)
{
    memset(k, 0, sizeof *k);
    assert_int_equal(gd_book_init(&k->book, 1, 1, 10000.0), 0);
    gd_simexec_conf c = {1, 1, fee_bps, slip_bps};
    gd_err err;
    assert_int_equal(gd_simexec_new(&c, (gd_fill_sink){k, on_fill}, x, &err), 0);
}

static void teardown(sink *k, gd_executor *x)
{
    x->ops->destroy(x->self);
    gd_book_free(&k->book);
}

static void step(gd_executor *x, sink *k, gordon_bar b)
{
    x->ops->on_bar(x->self, 0, &b);
    gd_book_mark(&k->book, 0, b.close, b.close_time_ms);
}

static void test_entry_fills_at_next_open(void **state)
{
    (void)state;
    sink k;
    gd_executor x;
    setup(&k, &x, 0, 0);
    gd_order o = entry(GORDON_SIDE_LONG, 2.0, 90.0, 0.0);
    gd_err err;
    assert_int_equal(x.ops->submit(x.self, &o, &err), 0);
    gd_slot_orders so;
    x.ops->slot(x.self, 0, 0, &so);
    assert_int_equal(so.entry_pending, 1);
    assert_true(x.ops->pending_notional(x.self) == 200.0);
    step(&x, &k, bar(0, 101, 104, 99, 103));
    assert_int_equal(k.n, 1);
    assert_int_equal(k.fills[0].reason, GORDON_FILL_ENTRY);
    assert_true(k.fills[0].price == 101.0); /* the open, not the signal's close */
    assert_true(x.ops->pending_notional(x.self) == 0.0);
    assert_int_equal(k.book.pos[0].side, GORDON_SIDE_LONG);
    assert_true(k.book.equity == 10000.0 + 2.0 * (103.0 - 101.0));
    teardown(&k, &x);
}

static void test_stop_intrabar_and_gap(void **state)
{
    (void)state;
    sink k;
    gd_executor x;
    gd_err err;

    /* Intrabar: the low crosses the stop: fill at the stop. */
    setup(&k, &x, 0, 0);
    gd_order o = entry(GORDON_SIDE_LONG, 1.0, 95.0, 0.0);
    assert_int_equal(x.ops->submit(x.self, &o, &err), 0);
    step(&x, &k, bar(0, 100, 101, 99, 100));
    step(&x, &k, bar(60000, 99, 100, 94, 96));
    assert_int_equal(k.n, 2);
    assert_int_equal(k.fills[1].reason, GORDON_FILL_STOP);
    assert_true(k.fills[1].price == 95.0);
    assert_true(k.fills[1].realized_pnl == -5.0);
    assert_int_equal(k.book.pos[0].side, GORDON_SIDE_NONE);
    teardown(&k, &x);

    /* Gap: the bar opens below the stop: fill at the open, worse than the stop. */
    setup(&k, &x, 0, 0);
    assert_int_equal(x.ops->submit(x.self, &o, &err), 0);
    step(&x, &k, bar(0, 100, 101, 99, 100));
    step(&x, &k, bar(60000, 90, 92, 88, 91));
    assert_int_equal(k.n, 2);
    assert_int_equal(k.fills[1].reason, GORDON_FILL_STOP);
    assert_true(k.fills[1].price == 90.0);
    assert_true(k.book.equity == 10000.0 - 10.0);
    teardown(&k, &x);

    /* A short gapping up through its stop. */
    setup(&k, &x, 0, 0);
    o = entry(GORDON_SIDE_SHORT, 1.0, 105.0, 0.0);
    assert_int_equal(x.ops->submit(x.self, &o, &err), 0);
    step(&x, &k, bar(0, 100, 101, 99, 100));
    step(&x, &k, bar(60000, 110, 111, 108, 109));
    assert_true(k.fills[1].price == 110.0);
    assert_int_equal(k.fills[1].side, 1); /* bought back */
    assert_true(k.fills[1].realized_pnl == -10.0);
    teardown(&k, &x);

    /* The entry bar itself gaps through the stop: out at the same open. */
    setup(&k, &x, 0, 0);
    o = entry(GORDON_SIDE_LONG, 1.0, 95.0, 0.0);
    assert_int_equal(x.ops->submit(x.self, &o, &err), 0);
    step(&x, &k, bar(0, 94, 96, 93, 95));
    assert_int_equal(k.n, 2);
    assert_int_equal(k.fills[0].reason, GORDON_FILL_ENTRY);
    assert_int_equal(k.fills[1].reason, GORDON_FILL_STOP);
    assert_true(k.fills[1].price == 94.0);
    teardown(&k, &x);
}

static void test_take_profit_and_stop_first(void **state)
{
    (void)state;
    sink k;
    gd_executor x;
    gd_err err;
    setup(&k, &x, 0, 0);
    gd_order o = entry(GORDON_SIDE_LONG, 1.0, 95.0, 110.0);
    assert_int_equal(x.ops->submit(x.self, &o, &err), 0);
    step(&x, &k, bar(0, 100, 101, 99, 100));
    step(&x, &k, bar(60000, 105, 112, 104, 111));
    assert_int_equal(k.fills[1].reason, GORDON_FILL_TAKE_PROFIT);
    assert_true(k.fills[1].price == 110.0);
    teardown(&k, &x);

    /* A bar that touches both: the stop is assumed first. */
    setup(&k, &x, 0, 0);
    assert_int_equal(x.ops->submit(x.self, &o, &err), 0);
    step(&x, &k, bar(0, 100, 101, 99, 100));
    step(&x, &k, bar(60000, 100, 111, 94, 100));
    assert_int_equal(k.fills[1].reason, GORDON_FILL_STOP);
    teardown(&k, &x);
}

static void test_fees_slippage_exit(void **state)
{
    (void)state;
    sink k;
    gd_executor x;
    gd_err err;
    setup(&k, &x, 10.0, 5.0); /* 10 bps fee, 5 bps slippage */
    gd_order o = entry(GORDON_SIDE_LONG, 10.0, 90.0, 0.0);
    assert_int_equal(x.ops->submit(x.self, &o, &err), 0);
    step(&x, &k, bar(0, 100, 101, 99, 100));
    assert_float_equal(k.fills[0].price, 100.05, 1e-9);
    assert_float_equal(k.fills[0].fee, 10.0 * 100.05 * 0.001, 1e-9);
    gd_order ex;
    memset(&ex, 0, sizeof ex);
    ex.kind = GD_ORDER_EXIT;
    ex.intent_id = 8;
    assert_int_equal(x.ops->submit(x.self, &ex, &err), 0);
    step(&x, &k, bar(60000, 102, 103, 101, 102));
    assert_int_equal(k.fills[1].reason, GORDON_FILL_EXIT);
    assert_float_equal(k.fills[1].price, 102.0 * (1 - 0.0005), 1e-9);
    double pnl = 10.0 * (k.fills[1].price - k.fills[0].price);
    assert_float_equal(k.book.equity, 10000.0 + pnl - k.fills[0].fee - k.fills[1].fee, 1e-6);
    assert_int_equal(k.book.trades, 1);
    assert_int_equal(k.book.wins, 1);
    /* Nothing left to exit. */
    assert_int_not_equal(x.ops->submit(x.self, &ex, &err), 0);
    teardown(&k, &x);
}

static void test_exit_cancels_pending_entry(void **state)
{
    (void)state;
    sink k;
    gd_executor x;
    gd_err err;
    setup(&k, &x, 0, 0);
    gd_order o = entry(GORDON_SIDE_LONG, 1.0, 95.0, 0.0);
    assert_int_equal(x.ops->submit(x.self, &o, &err), 0);
    gd_order ex;
    memset(&ex, 0, sizeof ex);
    ex.kind = GD_ORDER_EXIT;
    assert_int_equal(x.ops->submit(x.self, &ex, &err), 0);
    step(&x, &k, bar(0, 100, 101, 99, 100));
    assert_int_equal(k.n, 0);
    assert_true(x.ops->pending_notional(x.self) == 0.0);
    teardown(&k, &x);
}

static void test_drawdown_tracking(void **state)
{
    (void)state;
    gd_book b;
    assert_int_equal(gd_book_init(&b, 1, 1, 1000.0), 0);
    gordon_fill f = {sizeof f, 0, 1, GORDON_FILL_ENTRY, 10.0, 100.0, 0.0, 0.0, 0, 1};
    gd_book_apply_fill(&b, 0, &f, 50.0, 0.0);
    gd_book_mark(&b, 0, 110.0, 1);  /* equity 1100: the peak */
    gd_book_mark(&b, 0, 88.0, 2);   /* equity 880: 20% below */
    gd_book_mark(&b, 0, 105.0, 3);
    assert_float_equal(b.max_dd_pct, 20.0, 1e-9);
    assert_true(b.max_dd_duration_ms >= 1);
    assert_float_equal(b.gross, 10.0 * 105.0, 1e-9);
    gd_book_free(&b);
}

/* Each symbol's share of the book: its round trips, wins, fees and cash,
 * which with its unrealised PnL sum to equity - start equity. */
static void test_per_symbol_stats(void **state)
{
    (void)state;
    gd_book b;
    assert_int_equal(gd_book_init(&b, 2, 2, 1000.0), 0);
    gordon_fill a = {sizeof a, 0, 1, GORDON_FILL_ENTRY, 2.0, 100.0, 0.5, 0.0, 1, 1};
    gordon_fill c = {sizeof c, 1, -1, GORDON_FILL_ENTRY, 4.0, 50.0, 0.25, 0.0, 1, 2};
    gd_book_apply_fill(&b, 0, &a, 90.0, 0.0);
    gd_book_apply_fill(&b, 1, &c, 55.0, 0.0);
    gordon_fill ax = {sizeof ax, 0, -1, GORDON_FILL_EXIT, 2.0, 110.0, 0.5, 0.0, 2, 1};
    gd_book_apply_fill(&b, 0, &ax, 0.0, 0.0);   /* symbol 0: +20 - 1 of fees, a win */
    gd_book_fee(&b, 1, 1, 0.1, 3);               /* the venue charged symbol 1 more */
    gd_book_mark(&b, 1, 52.0, 4);                /* symbol 1 open, short: -8 unrealised */
    assert_int_equal(b.sym[0].trades, 1);
    assert_int_equal(b.sym[0].wins, 1);
    assert_true(fabs((b.sym[0].fees) - (1.0)) < 1e-12);
    assert_true(fabs((b.sym[0].cash) - (19.0)) < 1e-12);
    assert_int_equal(b.sym[1].trades, 0);
    assert_true(fabs((b.sym[1].fees) - (0.35)) < 1e-12);
    assert_true(fabs((b.sym[1].cash) - (-0.35)) < 1e-12);
    assert_true(fabs((b.sym_unreal[1]) - (-8.0)) < 1e-12);
    double sum = 0.0;
    for (uint32_t s = 0; s < 2; s++)
        sum += b.sym[s].cash + b.sym_unreal[s];
    assert_true(fabs((sum) - (b.equity - b.start_equity)) < 1e-9);
    gd_book_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_fills_at_next_open),
        cmocka_unit_test(test_stop_intrabar_and_gap),
        cmocka_unit_test(test_take_profit_and_stop_first),
        cmocka_unit_test(test_fees_slippage_exit),
        cmocka_unit_test(test_exit_cancels_pending_entry),
        cmocka_unit_test(test_drawdown_tracking),
        cmocka_unit_test(test_per_symbol_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
