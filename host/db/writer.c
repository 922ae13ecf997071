/* The PostgreSQL writer (see writer.h): a state machine on the loop.
 *
 *   DOWN --timer--> CONNECTING --PQconnectPoll OK--> PREPARING --sync--> READY
 *     ^                 |                                |                  |
 *     +------ fail / lost / timeout (backoff doubles) ---+------------------+
 */
#include "db/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "base/dates.h"
#include "base/json.h"
#include "base/log.h"
#include "db/record.h"

const double gd_dbw_lat_bounds[GD_DBW_LAT_BUCKETS] = GD_DBW_LAT_BOUNDS;

/* ------------------------------------------------------------ statements */

#define MAX_KEYS 20
#define TS(x) "to_timestamp((" x ")::float8 / 1000)"

/* One statement per record type, for a whole batch at once: each payload
 * member becomes an array ($4, $5, ... in the order of keys), with the
 * records' sequence numbers ($2) and times ($3); $1 is the source. %U
 * stands for the unnest of them all, WITH ORDINALITY (ord: the order the
 * records came in). Rows a batch touches twice (an intent recorded again,
 * a position opened and closed) are taken once, as the last record says. */
typedef struct stmt {
    const char *name;
    const char *tmpl;
    const char *keys[MAX_KEYS];  /* payload members, in their array order */
    const char *types[MAX_KEYS]; /* their SQL types */
} stmt;

static const stmt stmts[GD_REC__COUNT] = {
    [GD_REC_INTENT] = {"gd_intent",
        "INSERT INTO trading.intents (source, journal_seq, at, id, strategy, symbol, action, side, result, ref_price,"
        " entry_claim, stop, orig_stop, take_profit, risk_scale, qty, notional, capped_by, tag, detail,"
        " stop_required) SELECT $1, seq, " TS("t") ", id, strategy, symbol, action, side, result, ref_price,"
        " entry_claim, stop, orig_stop, take_profit, risk_scale, qty, notional, capped_by, coalesce(tag, ''),"
        " coalesce(detail, ''), stop_required FROM (SELECT DISTINCT ON (id) * FROM %U ORDER BY id, ord DESC) u"
        " ORDER BY ord"
        " ON CONFLICT (source, id) DO UPDATE SET result = EXCLUDED.result, qty = EXCLUDED.qty,"
        " notional = EXCLUDED.notional, detail = EXCLUDED.detail, journal_seq = EXCLUDED.journal_seq"
        " WHERE trading.intents.journal_seq < EXCLUDED.journal_seq",
        {"id", "strategy", "symbol", "action", "side", "result", "ref_price", "entry_claim", "stop",
         "orig_stop", "take_profit", "risk_scale", "qty", "notional", "capped_by", "tag", "detail",
         "stop_required"},
        {"int8", "text", "text", "text", "int2", "text", "float8", "float8", "float8", "float8", "float8",
         "float8", "float8", "float8", "text", "text", "text", "bool"}},
    [GD_REC_ORDER] = {"gd_order",
        "WITH o AS (INSERT INTO trading.orders (source, client_id, intent_id, kind, strategy, symbol, side, qty,"
        " price, reduce_only, status, created_at, updated_at, last_seq) SELECT $1, client_id, intent_id, kind,"
        " strategy, symbol, side, qty, price, reduce_only, status, " TS("t") ", " TS("t") ", seq FROM %U"
        " ORDER BY ord ON CONFLICT (source, client_id) DO NOTHING"
        " RETURNING client_id, status, last_seq, created_at)"
        " INSERT INTO trading.order_events (source, id, client_id, status, at)"
        " SELECT $1, last_seq, client_id, status, created_at FROM o ON CONFLICT (source, id) DO NOTHING",
        {"client_id", "intent_id", "kind", "strategy", "symbol", "side", "qty", "price", "reduce_only",
         "status"},
        {"text", "int8", "text", "text", "text", "int2", "float8", "float8", "bool", "text"}},
    [GD_REC_ORDER_EVENT] = {"gd_order_event",
        "WITH ev AS (INSERT INTO trading.order_events (source, id, client_id, status, at, detail)"
        " SELECT $1, seq, client_id, status, " TS("t") ", coalesce(detail, '') FROM %U ORDER BY ord"
        " ON CONFLICT (source, id) DO NOTHING)"
        " UPDATE trading.orders o SET status = u.status, updated_at = " TS("u.t") ", last_seq = u.seq,"
        " venue_id = coalesce(u.venue_id, o.venue_id)"
        " FROM (SELECT DISTINCT ON (client_id) * FROM %U ORDER BY client_id, ord DESC) u"
        " WHERE o.source = $1 AND o.client_id = u.client_id AND o.last_seq < u.seq",
        {"client_id", "status", "detail", "venue_id"},
        {"text", "text", "text", "text"}},
    [GD_REC_POSITION] = {"gd_position",
        "INSERT INTO trading.positions (source, last_seq, updated_at, id, strategy, symbol, side, qty, open_qty, entry,"
        " stop, take_profit, stop_required, status, opened_at, closed_at, exit_price, realized_pnl, fees)"
        " SELECT $1, seq, " TS("t") ", id, strategy, symbol, side, qty, open_qty, entry, stop, take_profit,"
        " stop_required, status, " TS("opened_ms") ", " TS("closed_ms") ", exit_price, realized_pnl, fees"
        " FROM (SELECT DISTINCT ON (id) * FROM %U ORDER BY id, ord DESC) u ORDER BY ord"
        " ON CONFLICT (source, id) DO UPDATE SET open_qty = EXCLUDED.open_qty, stop = EXCLUDED.stop,"
        " take_profit = EXCLUDED.take_profit, status = EXCLUDED.status, closed_at = EXCLUDED.closed_at,"
        " exit_price = EXCLUDED.exit_price, realized_pnl = EXCLUDED.realized_pnl, fees = EXCLUDED.fees,"
        " updated_at = EXCLUDED.updated_at, last_seq = EXCLUDED.last_seq"
        " WHERE trading.positions.last_seq < EXCLUDED.last_seq",
        {"id", "strategy", "symbol", "side", "qty", "open_qty", "entry", "stop", "take_profit",
         "stop_required", "status", "opened_ms", "closed_ms", "exit_price", "realized_pnl", "fees"},
        {"int8", "text", "text", "int2", "float8", "float8", "float8", "float8", "float8", "bool", "text", "int8",
         "int8", "float8", "float8", "float8"}},
    [GD_REC_FILL] = {"gd_fill",
        "INSERT INTO trading.fills (source, id, at, client_id, intent_id, position_id, venue_trade_id, strategy,"
        " symbol, side, reason, qty, price, fee, realized_pnl, ref_price, slippage_bps) SELECT $1, seq, " TS("t") ","
        " client_id, intent_id, position_id, venue_trade_id, strategy, symbol, side, reason, qty, price, fee,"
        " realized_pnl, ref_price, slippage_bps FROM %U ORDER BY ord ON CONFLICT (source, id) DO NOTHING",
        {"client_id", "intent_id", "position_id", "venue_trade_id", "strategy", "symbol", "side", "reason",
         "qty", "price", "fee", "realized_pnl", "ref_price", "slippage_bps"},
        {"text", "int8", "int8", "text", "text", "text", "int2", "text", "float8", "float8", "float8", "float8",
         "float8", "float8"}},
    [GD_REC_EQUITY] = {"gd_equity",
        "INSERT INTO trading.equity_points (source, id, at, cause, equity, cash, unrealized, gross, open_positions,"
        " drawdown_pct) SELECT $1, seq, " TS("t") ", cause, equity, cash, unrealized, gross, open_positions,"
        " drawdown_pct FROM %U ORDER BY ord ON CONFLICT (source, id) DO NOTHING",
        {"cause", "equity", "cash", "unrealized", "gross", "open_positions", "drawdown_pct"},
        {"text", "float8", "float8", "float8", "float8", "int4", "float8"}},
    [GD_REC_RISK] = {"gd_risk",
        "INSERT INTO trading.risk_events (source, id, at, kind, who, reason, detail) SELECT $1, seq, " TS("t") ","
        " kind, who, coalesce(reason, ''), coalesce(detail, '{}')::jsonb FROM %U ORDER BY ord"
        " ON CONFLICT (source, id) DO NOTHING",
        {"kind", "who", "reason", "detail"},
        {"text", "text", "text", "text"}},
    [GD_REC_LATCH] = {"gd_latch",
        "INSERT INTO trading.halt_latch (id, halted, who, reason, since, updated_at, source, last_seq)"
        " SELECT 1, halted, coalesce(who, ''), coalesce(reason, ''), " TS("since_ms") ", " TS("t") ", $1, seq"
        " FROM %U ORDER BY ord DESC LIMIT 1"
        " ON CONFLICT (id) DO UPDATE SET halted = EXCLUDED.halted, who = EXCLUDED.who,"
        " reason = EXCLUDED.reason, since = EXCLUDED.since, updated_at = EXCLUDED.updated_at,"
        " source = EXCLUDED.source, last_seq = EXCLUDED.last_seq"
        " WHERE trading.halt_latch.source <> EXCLUDED.source OR trading.halt_latch.last_seq < EXCLUDED.last_seq",
        {"halted", "who", "reason", "since_ms"},
        {"bool", "text", "text", "int8"}},
    /* A simulated executor's positions end with its process: when a new run
     * starts, what the runs before left open is abandoned, their working
     * orders expired. */
    [GD_REC_SESSION] = {"gd_session",
        "WITH s AS (SELECT * FROM %U WHERE simulated ORDER BY ord DESC LIMIT 1),"
        " p AS (UPDATE trading.positions x SET status = 'abandoned', closed_at = greatest(" TS("s.t") ", x.opened_at),"
        " updated_at = " TS("s.t") ", last_seq = s.seq FROM s"
        " WHERE x.source = $1 AND x.status = 'open' AND x.last_seq < s.seq RETURNING 1),"
        " o AS (UPDATE trading.orders x SET status = 'expired', updated_at = " TS("s.t") ", last_seq = s.seq FROM s"
        " WHERE x.source = $1 AND x.status IN ('new', 'working') AND x.last_seq < s.seq RETURNING 1)"
        " SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM o)",
        {"executor", "simulated"},
        {"text", "bool"}},
    /* A correction the position's own record did not carry (it came after
     * the close) goes into the position's row here, once: only for a row
     * this statement inserted, so a replayed batch adds nothing. */
    [GD_REC_FEE] = {"gd_fee",
        "WITH f AS (INSERT INTO trading.fee_corrections (source, id, at, client_id, intent_id, position_id, strategy,"
        " symbol, asset, estimated, charged, applied, in_position) SELECT $1, seq, " TS("t") ", client_id, intent_id,"
        " position_id, strategy, symbol, asset, estimated, charged, applied, in_position FROM %U ORDER BY ord"
        " ON CONFLICT (source, id) DO NOTHING RETURNING position_id, applied, in_position)"
        " UPDATE trading.positions p SET fees = p.fees + d.applied, realized_pnl = p.realized_pnl - d.applied"
        " FROM (SELECT position_id, sum(applied) AS applied FROM f WHERE NOT in_position AND applied <> 0"
        " GROUP BY position_id) d WHERE p.source = $1 AND p.id = d.position_id",
        {"client_id", "intent_id", "position_id", "strategy", "symbol", "asset", "estimated", "charged", "applied",
         "in_position"},
        {"text", "int8", "int8", "text", "text", "text", "float8", "float8", "float8", "bool"}},
};

/* With two connections (lanes, below) a session's clean-up is made on each
 * for the rows that lane writes: orders on the first, positions on the
 * second. Each is guarded by the session record's sequence number, so the
 * rows of the new run (written after it) are never touched. */
static const stmt session_orders = {"gd_session",
    "WITH s AS (SELECT * FROM %U WHERE simulated ORDER BY ord DESC LIMIT 1)"
    " UPDATE trading.orders x SET status = 'expired', updated_at = " TS("s.t") ", last_seq = s.seq FROM s"
    " WHERE x.source = $1 AND x.status IN ('new', 'working') AND x.last_seq < s.seq",
    {"executor", "simulated"},
    {"text", "bool"}};
static const stmt session_positions = {"gd_session",
    "WITH s AS (SELECT * FROM %U WHERE simulated ORDER BY ord DESC LIMIT 1)"
    " UPDATE trading.positions x SET status = 'abandoned', closed_at = greatest(" TS("s.t") ", x.opened_at),"
    " updated_at = " TS("s.t") ", last_seq = s.seq FROM s"
    " WHERE x.source = $1 AND x.status = 'open' AND x.last_seq < s.seq",
    {"executor", "simulated"},
    {"text", "bool"}};

/* Which of two lanes writes each record type. A fill is five rows with
 * five foreign-key checks, and one connection is one server process: one
 * CPU. Two connections split the work in two stages: the first writes
 * intents and orders (and order events, which update orders), the second
 * positions, fills, fee corrections (which update positions), equity
 * points, risk events and the latch. Every reference from the second
 * stage's rows to the first's (a position's intent, a fill's order) is
 * met because the second lane sends a record only once the first lane
 * has committed every record up to it. */
static const int lane_of[GD_REC__COUNT] = {
    [GD_REC_INTENT] = 0, [GD_REC_ORDER] = 0,   [GD_REC_ORDER_EVENT] = 0, [GD_REC_POSITION] = 1,
    [GD_REC_FILL] = 1,   [GD_REC_FEE] = 1,     [GD_REC_EQUITY] = 1,      [GD_REC_RISK] = 1,
    [GD_REC_LATCH] = 1,  [GD_REC_SESSION] = -1, /* both: session_orders, session_positions */
};

/* The order the statements of one batch run in: a row before the rows that
 * refer to it (a session's clean-up before the positions of the new run). */
static const int stmt_order[GD_REC__COUNT - 1] = {GD_REC_SESSION, GD_REC_INTENT, GD_REC_ORDER, GD_REC_ORDER_EVENT,
                                                  GD_REC_POSITION, GD_REC_FILL,  GD_REC_FEE,   GD_REC_EQUITY,
                                                  GD_REC_RISK,     GD_REC_LATCH};

static int n_keys(const stmt *s)
{
    int n = 0;
    while (n < MAX_KEYS && s->keys[n])
        n++;
    return n;
}

/* What makes a row keyed by its journal record idempotent. A record never
 * sent before cannot meet its row, so a batch of only such records goes
 * without it (the "fresh" statements): the speculative insertion it costs
 * was ~1.6 us of the server's time a row. */
static const char skip_dup[] = " ON CONFLICT (source, id) DO NOTHING";

/* The statement's text with %U spelt out; fresh: without skip_dup. malloc'd;
 * NULL when out of memory. */
static char *build_sql(const stmt *s, int fresh)
{
    gd_buf u = GD_BUF_INIT, out = GD_BUF_INIT;
    int nk = n_keys(s);
    gd_buf_puts(&u, "unnest($2::int8[], $3::int8[]");
    for (int k = 0; k < nk; k++)
        gd_buf_printf(&u, ", $%d::%s[]", k + 4, s->types[k]);
    gd_buf_puts(&u, ") WITH ORDINALITY AS u(seq, t");
    for (int k = 0; k < nk; k++)
        gd_buf_printf(&u, ", \"%s\"", s->keys[k]);
    gd_buf_puts(&u, ", ord)");
    for (const char *p = s->tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 'U') {
            gd_buf_append(&out, u.p, u.len);
            p++;
        } else if (fresh && strncmp(p, skip_dup, sizeof skip_dup - 1) == 0) {
            p += sizeof skip_dup - 2;
        } else {
            gd_buf_append(&out, p, 1);
        }
    }
    char *sql = u.failed ? NULL : gd_buf_take(&out);
    gd_buf_free(&u);
    gd_buf_free(&out);
    return sql;
}

/* One array element, quoted for an array literal; NULL unquoted. The text
 * goes in runs between the characters that need a backslash (one append a
 * byte was a good part of the database thread's time). */
static void array_add(gd_buf *a, const char *v)
{
    gd_buf_append(a, a->len ? "," : "{", 1);
    if (!v) {
        gd_buf_append(a, "NULL", 4);
        return;
    }
    gd_buf_append(a, "\"", 1);
    for (const char *p = v;;) {
        size_t run = strcspn(p, "\"\\");
        gd_buf_append(a, p, run);
        p += run;
        if (!*p)
            break;
        gd_buf_append(a, "\\", 1);
        gd_buf_append(a, p++, 1);
    }
    gd_buf_append(a, "\"", 1);
}

/* ------------------------------------------------------------ state */

enum { ST_DOWN, ST_CONNECTING, ST_PREPARING, ST_READY };

#define MAX_INFLIGHT 16
#define MAX_LANES 2

typedef struct batch {
    uint64_t first, last;   /* sequence numbers */
    uint32_t queries;       /* statements sent (results still to read: queries - got) */
    uint32_t records;       /* journal records in it of this lane's types */
    uint32_t replayed;      /* ... of which were journaled before this lane's connection */
    uint32_t got;
    int await_null;         /* a query's result was read: a NULL ends it */
    int failed;             /* a statement failed */
    char sqlstate[6];
    char error[200];
    int64_t sent_ms;
    int prepare;            /* the statements' PREPAREs, not records */
    int analyze;            /* the statistics refresh, alone in its sync group, not records */
    int fresh;              /* every record in it sent for the first time: the fresh statements */
} batch;

/* One connection and the record types it writes. Each lane goes through
 * the journal in order on its own, skipping the other lane's types; a lane
 * after the first sends nothing past what the lane before it has applied.
 * The last lane marks the journal applied; the ones before keep their
 * mark in memory (a restart begins at the journal's mark, and replays are
 * idempotent). */
typedef struct lane {
    struct gd_dbw *w;
    int id;
    int state;
    PGconn *conn;
    int pq_fd;              /* PQsocket as last seen */
    dev_t pq_dev;           /* ... and the socket it was (a new one may reuse the number) */
    ino_t pq_ino;
    struct pollbox *poll;   /* on a dup of pq_fd; NULL when none */
    int poll_events;
    uv_timer_t timer;       /* reconnect backoff, connect timeout, stalls */
    int64_t deadline_ms;    /* connecting: give up at; 0 none */
    double backoff_ms;

    batch inflight[MAX_INFLIGHT];
    uint32_t head, count;
    uint64_t sent;          /* highest seq sent on this connection */
    uint64_t done;          /* not the last lane: every record up to here is applied by this lane */
    uint64_t single_until;  /* one record per batch up to here (isolating a refusal) */
    int rewinding;          /* a batch failed: drain, then send again from the applied mark */
    uint64_t replay_upto;   /* records up to here were journaled before this connection */
    uint64_t sent_n;        /* records sent on this connection */
    uint64_t analyze_at;    /* ... when the referenced tables' statistics are refreshed next */
    uint64_t seen;          /* no record above this was ever sent by anyone: the journal's last
                             * record when a connection starts, the highest sent since */

    const stmt *st[GD_REC__COUNT];            /* the statement for each type it writes; NULL: none */
    gd_jrec *recs;          /* batch_max */
    char scratch[GD_JOURNAL_MAX_RECORD + 64]; /* one payload's values, unescaped */
    char json[GD_REC_MAX];                    /* a binary payload as its JSON text */
    char *sql[GD_REC__COUNT];                 /* owned: the statements' text */
    char *sql_fresh[GD_REC__COUNT];           /* owned: ... for fresh batches; NULL: the same */
    char name_fresh[GD_REC__COUNT][40];       /* their prepared statements' names */
    gd_buf arr[GD_REC__COUNT][MAX_KEYS + 2];  /* one batch's arrays: seq, t, then the keys */
    uint32_t rows[GD_REC__COUNT];             /* records of each type in the batch */
} lane;

struct gd_dbw {
    uv_loop_t *loop;
    char *dsn;
    char *reject_path;
    char source[24];
    gd_journal *j;
    double connect_timeout_ms, backoff_min_ms, backoff_max_ms;
    uint32_t batch_max, inflight_max;
    int stopping;
    int open_timers;        /* lane timers not yet closed: the writer is freed at 0 */
    int n_lanes;
    lane *lanes[MAX_LANES];
    gd_dbw_stats st;
};

/* The server keeps a connection's foreign-key checks' plans for the
 * connection's life, made with the statistics of the moment. On a new
 * database, before any ANALYZE, the checks of a fill against its order and
 * intent chose an index on source alone and read every row of the source:
 * 1 ms a check at 9k rows, growing with the tables (bench_db: 1.6k fills/s
 * instead of 11k). So each time this connection's writing doubles, the
 * tables the checks read whose size doubled since their statistics were
 * taken (by anyone: this host, another, autovacuum) get them again; that
 * makes every connection plan again. Only those: on tables of millions of
 * rows an unconditional ANALYZE of all three held the lane up ~0.3 s each
 * time (2.5 s of a 12 s bench_db writer run), for statistics autovacuum
 * keeps current there anyway. */
#define GD_DBW_ANALYZE_FIRST 1000
/* The key columns only: what the checks' plans need. SKIP_LOCKED: a table
 * autovacuum is at is left to it (waiting would hold the batch up to the
 * server's deadlock_timeout, when autovacuum gives way). A table never
 * analyzed has relpages 0. */
static const char analyze_sql[] =
    "DO $gd$ DECLARE t record; BEGIN"
    " FOR t IN SELECT k.rel, k.cols FROM (VALUES ('trading.intents'::regclass, 'source, id'),"
    " ('trading.orders'::regclass, 'source, client_id, intent_id'), ('trading.positions'::regclass, 'source, id'))"
    " AS k(rel, cols) JOIN pg_class c ON c.oid = k.rel"
    " WHERE pg_relation_size(k.rel) / current_setting('block_size')::int8 > 2 * greatest(c.relpages, 0)"
    " LOOP EXECUTE format('ANALYZE (SKIP_LOCKED) %s (%s)', t.rel, t.cols); END LOOP; END $gd$";

static void set_poll(lane *l, int events);
static void schedule(lane *l, double ms);
static void pump(lane *l);
static void send_batches(lane *l);

/* The last lane marks the journal applied; the first refreshes the
 * statistics. */
static int lane_is_last(const lane *l) { return l->id == l->w->n_lanes - 1; }

/* What this lane has applied: every record up to the returned sequence. */
static uint64_t lane_applied(const lane *l)
{
    return lane_is_last(l) ? gd_journal_applied_seq(l->w->j) : l->done;
}

/* The records up to seq are applied by this lane. The next lane may now
 * send them. */
static void lane_mark(lane *l, uint64_t seq)
{
    gd_dbw *w = l->w;
    if (lane_is_last(l)) {
        gd_err err;
        if (gd_journal_mark_applied(w->j, seq, 0, &err) != 0)
            gd_log(GD_LOG_ERROR, "db", NULL, "journal: %s", err.msg);
        return;
    }
    if (seq > l->done)
        l->done = seq;
    lane *next = w->lanes[l->id + 1];
    if (next->state == ST_READY)
        send_batches(next);
}

static int all_ready(const gd_dbw *w)
{
    for (int i = 0; i < w->n_lanes; i++)
        if (w->lanes[i]->state != ST_READY)
            return 0;
    return 1;
}

/* ------------------------------------------------------------ connection */

/* The poll handle with the dup it watches: libpq may close its socket
 * (PQfinish, a reconnect) before libuv has let go of the handle, and epoll
 * must never see a descriptor number that was reused meanwhile. */
typedef struct pollbox {
    uv_poll_t h;
    int fd;
    lane *l;
} pollbox;

static void poll_closed(uv_handle_t *h)
{
    pollbox *p = h->data;
    close(p->fd);
    free(p);
}

static void drop_poll(lane *l)
{
    if (!l->poll)
        return;
    uv_poll_stop(&l->poll->h);
    uv_close((uv_handle_t *)&l->poll->h, poll_closed);
    l->poll = NULL;
    l->poll_events = 0;
}

/* Closes the lane's connection; its unapplied records go again on the next
 * one. */
static void disconnect(lane *l, const char *why)
{
    gd_dbw *w = l->w;
    drop_poll(l);
    if (l->conn) {
        PQfinish(l->conn);
        l->conn = NULL;
    }
    int was = l->state;
    l->state = ST_DOWN;
    w->st.connected = 0;
    l->head = l->count = 0;
    l->rewinding = 0;
    l->sent = lane_applied(l);
    if (why) {
        snprintf(w->st.last_error, sizeof w->st.last_error, "%s", why);
        gd_log(was == ST_READY ? GD_LOG_WARN : GD_LOG_INFO, "db", NULL, "database %s: %s (%sretrying in %.0f ms)",
               was == ST_READY ? "connection lost" : "connection failed", why,
               w->n_lanes > 1 ? (l->id ? "second connection, " : "first connection, ") : "", l->backoff_ms);
    }
    if (w->stopping)
        return;
    w->st.reconnects++;
    schedule(l, l->backoff_ms);
    l->backoff_ms = l->backoff_ms * 2 > w->backoff_max_ms ? w->backoff_max_ms : l->backoff_ms * 2;
}

static void conn_error(lane *l, const char *what)
{
    char why[256];
    const char *m = l->conn ? PQerrorMessage(l->conn) : "";
    size_t n = strcspn(m, "\n");
    snprintf(why, sizeof why, "%s%s%.*s", what, n ? ": " : "", (int)n, m);
    disconnect(l, why);
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Watches PQsocket for events; a new socket (libpq may change it while
 * connecting: the next host of a multi-host DSN, the next address of a
 * name) gets a new dup and a new handle. libpq closes the old socket
 * before opening the new one, so the new one usually has the old one's
 * number: the socket is told apart by its inode, not its number. */
static int watch(lane *l, int events)
{
    int fd = PQsocket(l->conn);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0)
        return -1;
    if (l->poll && (fd != l->pq_fd || sb.st_dev != l->pq_dev || sb.st_ino != l->pq_ino))
        drop_poll(l);
    if (!l->poll) {
        int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
            return -1;
        pollbox *p = malloc(sizeof *p);
        if (!p || uv_poll_init(l->w->loop, &p->h, dfd) != 0) {
            free(p);
            close(dfd);
            return -1;
        }
        p->fd = dfd;
        p->l = l;
        p->h.data = p;
        l->poll = p;
        l->pq_fd = fd;
        l->pq_dev = sb.st_dev;
        l->pq_ino = sb.st_ino;
        l->poll_events = 0;
    }
    set_poll(l, events);
    return 0;
}

static void set_poll(lane *l, int events)
{
    if (!l->poll || events == l->poll_events)
        return;
    if (uv_poll_start(&l->poll->h, events, on_poll) == 0)
        l->poll_events = events;
}

static void connect_now(lane *l)
{
    static const char *const keys[] = {"application_name", "keepalives", "keepalives_idle",
                                       "keepalives_interval", "keepalives_count", "dbname", NULL};
    const char *vals[] = {"gordon", "1", "10", "5", "3", l->w->dsn, NULL};
    /* Ours come first: what the DSN says (expand_dbname) overrides them. */
    l->conn = PQconnectStartParams(keys, vals, 1);
    if (!l->conn) {
        disconnect(l, "out of memory");
        return;
    }
    if (PQstatus(l->conn) == CONNECTION_BAD) {
        conn_error(l, "connect");
        return;
    }
    l->state = ST_CONNECTING;
    l->deadline_ms = gd_mono_ms() + (int64_t)l->w->connect_timeout_ms;
    schedule(l, l->w->connect_timeout_ms);
    if (watch(l, UV_WRITABLE) != 0)
        conn_error(l, "no socket");
}

static int prepare_all(lane *l)
{
    batch *b = &l->inflight[0];
    memset(b, 0, sizeof *b);
    b->prepare = 1;
    b->sent_ms = gd_mono_ms();
    for (int t = 1; t < GD_REC__COUNT; t++) {
        if (!l->st[t])
            continue;
        if (!PQsendPrepare(l->conn, l->st[t]->name, l->sql[t], n_keys(l->st[t]) + 3, NULL))
            return -1;
        b->queries++;
        if (!l->sql_fresh[t])
            continue;
        if (!PQsendPrepare(l->conn, l->name_fresh[t], l->sql_fresh[t], n_keys(l->st[t]) + 3, NULL))
            return -1;
        b->queries++;
    }
    if (!PQpipelineSync(l->conn))
        return -1;
    l->head = 0;
    l->count = 1;
    return 0;
}

/* What the server says besides results (a WARNING that ANALYZE skipped a
 * table autovacuum holds, a NOTICE): into the log, not libpq's default of
 * raw lines on stderr among the JSON ones. */
static void on_notice(void *arg, const PGresult *r)
{
    (void)arg;
    const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    int warn = sev && strcmp(sev, "NOTICE") && strcmp(sev, "INFO") && strcmp(sev, "LOG") && strncmp(sev, "DEBUG", 5);
    gd_log(warn ? GD_LOG_INFO : GD_LOG_DEBUG, "db", NULL, "server %s: %.*s", sev ? sev : "message",
           m ? (int)strcspn(m, "\n") : 0, m ? m : "");
}

static void connected(lane *l)
{
    PQsetNoticeReceiver(l->conn, on_notice, NULL);
    if (PQsetnonblocking(l->conn, 1) != 0 || !PQenterPipelineMode(l->conn) || prepare_all(l) != 0) {
        conn_error(l, "pipeline");
        return;
    }
    l->state = ST_PREPARING;
    l->sent = lane_applied(l);
    l->replay_upto = gd_journal_last_seq(l->w->j);
    /* An earlier connection, or process, may have sent any record journaled
     * so far, its answer lost: those go with their duplicates skipped. */
    if (l->seen < l->replay_upto)
        l->seen = l->replay_upto;
    l->sent_n = 0;
    l->analyze_at = GD_DBW_ANALYZE_FIRST;
    pump(l);
}

static void connect_step(lane *l)
{
    switch (PQconnectPoll(l->conn)) {
    case PGRES_POLLING_READING:
        if (watch(l, UV_READABLE) != 0)
            conn_error(l, "no socket");
        break;
    case PGRES_POLLING_WRITING:
        if (watch(l, UV_WRITABLE) != 0)
            conn_error(l, "no socket");
        break;
    case PGRES_POLLING_OK:
        connected(l);
        break;
    default:
        conn_error(l, "connect");
        break;
    }
}

/* ------------------------------------------------------------ sending */

/* Reads a JSON string at *p (past its opening quote) into out, unescaped;
 * *p ends past the closing quote. -1 if malformed. */
static int scan_string(const char **p, const char *end, char **out, const char *out_end)
{
    const char *q = *p;
    char *o = *out;
    while (q < end && *q != '"') {
        unsigned c = (unsigned char)*q++;
        if (c == '\\') {
            if (q >= end)
                return -1;
            char e = *q++;
            switch (e) {
            case '"': case '\\': case '/': c = (unsigned char)e; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned cp = 0;
                for (int i = 0; i < 4; i++, q++) {
                    if (q >= end)
                        return -1;
                    char h = *q;
                    cp = cp * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                               : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99);
                    if (cp > 0xFFFF)
                        return -1;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
                    unsigned lo = 0;
                    if (end - q < 6 || q[0] != '\\' || q[1] != 'u')
                        return -1;
                    for (int i = 2; i < 6; i++) {
                        char h = q[i];
                        lo = lo * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                                  : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99);
                    }
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return -1;
                    q += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return -1;
                }
                if (cp == 0)
                    return -1; /* PostgreSQL text cannot hold NUL */
                if (out_end - o < 5)
                    return -1;
                if (cp < 0x80) {
                    *o++ = (char)cp;
                } else if (cp < 0x800) {
                    *o++ = (char)(0xC0 | (cp >> 6));
                    *o++ = (char)(0x80 | (cp & 0x3F));
                } else if (cp < 0x10000) {
                    *o++ = (char)(0xE0 | (cp >> 12));
                    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                    *o++ = (char)(0x80 | (cp & 0x3F));
                } else {
                    *o++ = (char)(0xF0 | (cp >> 18));
                    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                    *o++ = (char)(0x80 | (cp & 0x3F));
                }
                continue;
            }
            default: return -1;
            }
        } else if (c < 0x20) {
            return -1;
        }
        if (o >= out_end)
            return -1;
        *o++ = (char)c;
    }
    if (q >= end || o >= out_end)
        return -1;
    *o++ = '\0';
    *p = q + 1;
    *out = o;
    return 0;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Binds a payload's members to the statement's keys: a flat JSON object of
 * strings, numbers, booleans and nulls, as db/record.c writes it. Numbers
 * pass as their own text (an id above 2^53 stays exact). Missing members
 * and nulls are NULL. 0, or -1 with why. */
static int bind_payload(const gd_jrec *r, const stmt *s, int nk, const char **vals, char *scratch, size_t cap,
                        char *why, size_t why_cap)
{
    const char *p = r->data, *end = r->data + r->len;
    char *o = scratch, *o_end = scratch + cap;
    for (int k = 0; k < nk; k++)
        vals[k] = NULL;
    int next = 0;
    p = skip_ws(p, end);
    if (p >= end || *p++ != '{')
        goto bad;
    p = skip_ws(p, end);
    if (p < end && *p == '}')
        return 0;
    for (;;) {
        char key[64], *kp = key;
        p = skip_ws(p, end);
        if (p >= end || *p++ != '"' || scan_string(&p, end, &kp, key + sizeof key) != 0)
            goto bad;
        p = skip_ws(p, end);
        if (p >= end || *p++ != ':')
            goto bad;
        p = skip_ws(p, end);
        /* Members come in the statement's order; any order is accepted. */
        int idx = -1;
        if (next < nk && !strcmp(key, s->keys[next]))
            idx = next;
        else
            for (int k = 0; k < nk; k++)
                if (!strcmp(key, s->keys[k]))
                    idx = k;
        const char *v = NULL;
        if (p < end && *p == '"') {
            p++;
            v = o;
            if (scan_string(&p, end, &o, o_end) != 0)
                goto bad;
        } else {
            const char *t = p;
            while (p < end && *p != ',' && *p != '}' && *p != ' ')
                p++;
            size_t n = (size_t)(p - t);
            if (n == 4 && !memcmp(t, "null", 4)) {
                v = NULL;
            } else if ((n == 4 && !memcmp(t, "true", 4)) || (n == 5 && !memcmp(t, "false", 5))) {
                v = n == 4 ? "true" : "false";
            } else {
                /* a number: JSON's grammar, checked loosely; the server parses it */
                if (n == 0 || n > 40 || (size_t)(o_end - o) < n + 1)
                    goto bad;
                for (size_t i = 0; i < n; i++)
                    if (!((t[i] >= '0' && t[i] <= '9') || t[i] == '+' || t[i] == '-' || t[i] == '.' || t[i] == 'e' ||
                          t[i] == 'E'))
                        goto bad;
                memcpy(o, t, n);
                o[n] = '\0';
                v = o;
                o += n + 1;
            }
        }
        if (idx >= 0) {
            vals[idx] = v;
            next = idx + 1;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}')
            return 0;
        goto bad;
    }
bad:
    snprintf(why, why_cap, "payload is not a flat JSON object (near byte %ld)", (long)(p - r->data));
    return -1;
}

/* Adds one record to its statement's arrays. 0, or -1 with why: the
 * payload is unusable (the caller sets it aside). */
static int add_record(lane *l, const gd_jrec *r, char *why, size_t why_cap)
{
    const stmt *s = l->st[r->type];
    int nk = n_keys(s);
    char num[24];
    const char *vals[MAX_KEYS];
    if (bind_payload(r, s, nk, vals, l->scratch, sizeof l->scratch, why, why_cap) != 0)
        return -1;
    gd_buf *a = l->arr[r->type];
    snprintf(num, sizeof num, "%" PRIu64, r->seq);
    array_add(&a[0], num);
    snprintf(num, sizeof num, "%" PRId64, r->time_ms);
    array_add(&a[1], num);
    for (int k = 0; k < nk; k++)
        array_add(&a[k + 2], vals[k]);
    l->rows[r->type]++;
    return 0;
}

/* Sends one statement per record type the batch holds, in stmt_order, and
 * empties the arrays. The number sent, or -1 when the connection failed. */
static int send_arrays(lane *l, int fresh)
{
    int sent = 0, failed = 0;
    for (int i = 0; i < GD_REC__COUNT - 1; i++) {
        int t = stmt_order[i];
        if (!l->rows[t])
            continue;
        const stmt *s = l->st[t];
        int nk = n_keys(s);
        const char *vals[MAX_KEYS + 3];
        const char *name = fresh && l->sql_fresh[t] ? l->name_fresh[t] : s->name;
        vals[0] = l->w->source;
        for (int k = 0; k < nk + 2; k++) {
            gd_buf_puts(&l->arr[t][k], "}");
            vals[k + 1] = l->arr[t][k].p;
            if (l->arr[t][k].failed)
                failed = 1;
        }
        /* libpq copies the parameters into its buffer before returning. */
        if (!failed && !PQsendQueryPrepared(l->conn, name, nk + 3, vals, NULL, NULL, 0))
            failed = 1;
        for (int k = 0; k < nk + 2; k++)
            gd_buf_clear(&l->arr[t][k]);
        l->rows[t] = 0;
        sent++;
    }
    return failed ? -1 : sent;
}

/* Appends a refused record to the reject file: kept, not lost. */
static void set_aside(gd_dbw *w, const gd_jrec *r, const char *sqlstate, const char *why)
{
    w->st.rejected++;
    gd_log(GD_LOG_ERROR, "db", NULL, "record %" PRIu64 " (%s) refused by the database: %s%s%s; kept in %s",
           r->seq, gd_rec_type_name(r->type), sqlstate[0] ? sqlstate : "", sqlstate[0] ? " " : "", why,
           w->reject_path);
    int fd = open(w->reject_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        gd_log(GD_LOG_ERROR, "db", NULL, "%s: %s", w->reject_path, strerror(errno));
        return;
    }
    char head[600], esc[400];
    /* Kept as JSON text: a binary payload formatted, or its bytes in hex
     * when it cannot be read. */
    char *text = NULL;
    const char *data = r->data;
    size_t len = r->len;
    if (gd_rec_is_binary(r->data, r->len)) {
        size_t cap = GD_REC_MAX > 2 * (size_t)r->len + 3 ? GD_REC_MAX : 2 * (size_t)r->len + 3;
        if (!(text = malloc(cap))) {
            gd_log(GD_LOG_ERROR, "db", NULL, "%s: out of memory", w->reject_path);
            close(fd);
            return;
        }
        len = gd_rec_format_binary(text, cap, r->type, r->data, r->len);
        if (len == 0 || len >= cap) {
            static const char hex[] = "0123456789abcdef";
            const unsigned char *b = (const unsigned char *)r->data;
            len = 0;
            text[len++] = '"';
            for (uint32_t i = 0; i < r->len; i++) {
                text[len++] = hex[b[i] >> 4];
                text[len++] = hex[b[i] & 15];
            }
            text[len++] = '"';
        }
        data = text;
    }
    gd_json_escape(esc, sizeof esc, why);
    int n = snprintf(head, sizeof head,
                     "{\"seq\":%" PRIu64 ",\"time_ms\":%" PRId64 ",\"type\":\"%s\",\"sqlstate\":\"%s\","
                     "\"error\":\"%s\",\"payload\":",
                     r->seq, r->time_ms, gd_rec_type_name(r->type), sqlstate, esc);
    int bad = n < 0 || write(fd, head, (size_t)n) != n || write(fd, data, len) != (ssize_t)len ||
              write(fd, "}\n", 2) != 2 || fdatasync(fd) != 0;
    if (bad)
        gd_log(GD_LOG_ERROR, "db", NULL, "%s: %s", w->reject_path, strerror(errno));
    free(text);
    close(fd);
}

static int flush_out(lane *l)
{
    int f = PQflush(l->conn);
    if (f < 0)
        return -1;
    set_poll(l, UV_READABLE | (f ? UV_WRITABLE : 0));
    return 0;
}

/* The statistics refresh in a sync group of its own, behind a batch: its
 * failure (a table gone, a timeout) rolls back no record and is not taken
 * for a record's refusal. A role that does not own the tables gets a
 * warning from the server, not an error. */
static int send_analyze(lane *l)
{
    batch *a = &l->inflight[(l->head + l->count) % MAX_INFLIGHT];
    memset(a, 0, sizeof *a);
    a->analyze = 1;
    a->sent_ms = gd_mono_ms();
    a->queries = 1;
    if (!PQsendQueryParams(l->conn, analyze_sql, 0, NULL, NULL, NULL, NULL, 0) || !PQpipelineSync(l->conn)) {
        conn_error(l, "send");
        return -1;
    }
    l->count++;
    l->analyze_at = l->sent_n * 2;
    return 0;
}

/* Sends batches while there is room and work. */
static void send_batches(lane *l)
{
    gd_dbw *w = l->w;
    /* A lane after the first goes no further than the one before it. */
    uint64_t limit = l->id ? w->lanes[l->id - 1]->done : UINT64_MAX;
    while (l->state == ST_READY && !l->rewinding && l->count < w->inflight_max && l->sent < limit) {
        uint32_t max = w->batch_max;
        if (l->sent < l->single_until)
            max = 1;
        size_t n = gd_journal_read(w->j, l->sent, l->recs, max);
        while (n && l->recs[n - 1].seq > limit)
            n--;
        if (n == 0)
            break;
        batch *b = &l->inflight[(l->head + l->count) % MAX_INFLIGHT];
        memset(b, 0, sizeof *b);
        b->first = l->recs[0].seq;
        b->fresh = b->first > l->seen;
        b->sent_ms = gd_mono_ms();
        for (size_t i = 0; i < n; i++) {
            const gd_jrec *r = &l->recs[i];
            char why[160];
            /* A session's statement runs first in its batch: it must not
             * share one with the records before it. */
            if (r->type == GD_REC_SESSION && i > 0)
                break;
            b->last = r->seq;
            if (r->type == 0 || r->type >= GD_REC__COUNT) {
                /* Unknown: the last lane, which marks it applied, sets it aside. */
                if (lane_is_last(l)) {
                    snprintf(why, sizeof why, "unknown record type %u", (unsigned)r->type);
                    set_aside(w, r, "", why);
                }
                continue;
            }
            if (!l->st[r->type])
                continue; /* the other lane's */
            b->records++;
            if (r->seq <= l->replay_upto)
                b->replayed++;
            /* A binary payload (what the database thread journals) is
             * formatted here, at the database's pace. */
            gd_jrec jr;
            if (gd_rec_is_binary(r->data, r->len)) {
                size_t jn = gd_rec_format_binary(l->json, sizeof l->json, r->type, r->data, r->len);
                if (jn == 0 || jn >= sizeof l->json) {
                    set_aside(w, r, "",
                              jn ? "a binary record too long to format" : "a binary record that cannot be read");
                    continue;
                }
                jr = *r;
                jr.data = l->json;
                jr.len = (uint32_t)jn;
                r = &jr;
            }
            /* Unusable on its face (no statement could take it): set aside
             * now; the batch's sync still marks it applied in order. */
            if (add_record(l, r, why, sizeof why) != 0)
                set_aside(w, r, "", why);
        }
        int sent = send_arrays(l, b->fresh);
        if (sent < 0) {
            conn_error(l, "send");
            return;
        }
        l->sent_n += b->records;
        b->queries = (uint32_t)sent;
        if (!PQpipelineSync(l->conn)) {
            conn_error(l, "sync");
            return;
        }
        l->sent = b->last;
        if (l->seen < b->last)
            l->seen = b->last;
        l->count++;
        if (l->id == 0 && l->sent_n >= l->analyze_at && l->count < MAX_INFLIGHT && send_analyze(l) != 0)
            return;
    }
    if (l->state >= ST_PREPARING && flush_out(l) != 0)
        conn_error(l, "flush");
}

/* ------------------------------------------------------------ results */

static int sqlstate_is_data(const char *s)
{
    return (s[0] == '2' && (s[1] == '2' || s[1] == '3')) || (s[0] == '4' && s[1] == '2');
}

static void batch_done(lane *l, batch *b)
{
    gd_dbw *w = l->w;
    int64_t now = gd_mono_ms();
    if (b->prepare) {
        if (b->failed) {
            char why[260];
            snprintf(why, sizeof why, "preparing statements: %s %s", b->sqlstate, b->error);
            gd_log(GD_LOG_ERROR, "db", NULL, "the database does not take gordon's statements (%s %s): "
                   "has `gordon migrate` run?", b->sqlstate, b->error);
            /* A schema that does not match (migrations not run) is not cured by
             * retrying fast; the backoff still bounds it. */
            disconnect(l, why);
            return;
        }
        l->state = ST_READY;
        l->backoff_ms = w->backoff_min_ms;
        l->deadline_ms = 0;
        schedule(l, 1000);
        if (all_ready(w)) {
            w->st.connected = 1;
            w->st.connects++;
            w->st.last_error[0] = '\0';
            gd_log(GD_LOG_INFO, "db", NULL, "database connected; %" PRIu64 " journal records to apply",
                   gd_journal_last_seq(w->j) - gd_journal_applied_seq(w->j));
        }
        return;
    }
    if (b->analyze) {
        if (b->failed) {
            gd_log(GD_LOG_WARN, "db", NULL, "refreshing the statistics of intents, orders and positions failed "
                   "(%s %s): the records are not affected; autovacuum will refresh them", b->sqlstate, b->error);
        }
        return;
    }
    if (l->rewinding)
        return; /* an earlier batch failed: this one is sent again */
    if (b->failed) {
        if (!sqlstate_is_data(b->sqlstate)) {
            char why[260];
            snprintf(why, sizeof why, "%s %s", b->sqlstate, b->error);
            disconnect(l, why);
            return;
        }
        if (b->fresh && !strcmp(b->sqlstate, "23505")) {
            /* A row that should not have been there yet (another writer
             * under this source, a restored database): not a refusal. Sent
             * again, the duplicates are skipped as for any replayed record. */
            gd_log(GD_LOG_WARN, "db", NULL, "records %" PRIu64 "..%" PRIu64 " met rows already in the database "
                   "(%s); sending them again with duplicates skipped", b->first, b->last, b->error);
            l->rewinding = 1;
            return;
        }
        if (b->first == b->last) {
            /* One record, refused for its data: set it aside and go on. */
            gd_jrec r;
            if (gd_journal_read(w->j, b->first - 1, &r, 1) == 1 && r.seq == b->first)
                set_aside(w, &r, b->sqlstate, b->error);
            lane_mark(l, b->last);
            return;
        }
        /* Which record broke it is known (error_seq) but the batch rolled
         * back whole: go again one by one through it. */
        l->single_until = b->last;
        l->rewinding = 1;
        return;
    }
    if (b->queries) { /* a batch of only the other lane's records is a sync, not a write */
        double s = (double)(now - b->sent_ms) / 1000.0;
        size_t k = 0;
        while (k < GD_DBW_LAT_BUCKETS && s > gd_dbw_lat_bounds[k])
            k++;
        w->st.lat_le[k]++;
        w->st.lat_sum += s;
        w->st.batches++;
    }
    w->st.applied += b->records;
    w->st.replayed += b->replayed;
    w->st.last_ok_ms = gd_wall_ms();
    lane_mark(l, b->last);
}

static void read_results(lane *l)
{
    if (!PQconsumeInput(l->conn)) {
        conn_error(l, "read");
        return;
    }
    while (l->count && l->conn && !PQisBusy(l->conn)) {
        batch *b = &l->inflight[l->head];
        PGresult *r = PQgetResult(l->conn);
        if (!r) {
            if (b->await_null) {
                b->await_null = 0;
                continue;
            }
            break;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            l->head = (l->head + 1) % MAX_INFLIGHT;
            l->count--;
            batch_done(l, b);
            continue;
        }
        if ((st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) && !b->failed) {
            const char *ss = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            b->failed = 1;
            snprintf(b->sqlstate, sizeof b->sqlstate, "%s", ss ? ss : "");
            snprintf(b->error, sizeof b->error, "%s", m ? m : PQresultErrorMessage(r));
        } else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_ABORTED &&
                   !b->failed) {
            b->failed = 1;
            snprintf(b->error, sizeof b->error, "unexpected result %s", PQresStatus(st));
        }
        PQclear(r);
        b->got++;
        b->await_null = 1;
    }
    if (!l->conn)
        return;
    if (l->rewinding && l->count == 0) {
        l->rewinding = 0;
        l->sent = lane_applied(l);
    }
}

static void pump(lane *l)
{
    if (!l->conn)
        return;
    read_results(l);
    if (!l->conn)
        return;
    send_batches(l);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    lane *l = ((pollbox *)h->data)->l;
    (void)events;
    if (l->w->stopping)
        return;
    if (status < 0) {
        /* libuv reports an error on the socket (a refused connection, a
         * reset) as EBADF and stops the handle: libpq reads the socket's
         * own error and says what it was, so it is asked first. Only if
         * it carries on with the same socket is the poll error the cause. */
        const pollbox *box = l->poll;
        int state = l->state;
        l->poll_events = 0;
        if (state == ST_CONNECTING) {
            connect_step(l);
        } else {
            /* What the server sent last (a FATAL on its way down) is read,
             * then the end of the stream, which libpq names. A failure
             * disconnects: the state is ST_DOWN from then on. */
            for (int i = 0; i < 4 && l->state == state; i++)
                if (!PQconsumeInput(l->conn))
                    conn_error(l, "read");
            if (l->state == state)
                pump(l);
        }
        /* Still on the socket that failed (a new one has a new box). */
        if (!l->w->stopping && l->state == state && l->poll == box) {
            char why[80];
            snprintf(why, sizeof why, "poll: %s", uv_strerror(status));
            disconnect(l, why);
        }
        return;
    }
    if (l->state == ST_CONNECTING)
        connect_step(l);
    else
        pump(l);
}

/* ------------------------------------------------------------ timer */

/* A batch unanswered this long means a connection that is gone without a
 * word (a partition the keepalives have not caught yet). */
#define STALL_MS 60000

static void on_timer(uv_timer_t *t)
{
    lane *l = t->data;
    if (l->w->stopping)
        return;
    int64_t now = gd_mono_ms();
    switch (l->state) {
    case ST_DOWN:
        connect_now(l);
        break;
    case ST_CONNECTING:
    case ST_PREPARING:
        if (now >= l->deadline_ms)
            disconnect(l, "timed out connecting");
        else
            schedule(l, (double)(l->deadline_ms - now));
        break;
    default:
        if (l->count && now - l->inflight[l->head].sent_ms > STALL_MS) {
            disconnect(l, "no answer in 60 s");
            break;
        }
        pump(l);
        schedule(l, 1000);
        break;
    }
}

static void schedule(lane *l, double ms)
{
    uv_timer_start(&l->timer, on_timer, (uint64_t)(ms < 1 ? 1 : ms), 0);
}

/* ------------------------------------------------------------ lifecycle */

static void free_lane(lane *l)
{
    if (!l)
        return;
    for (int t = 0; t < GD_REC__COUNT; t++) {
        free(l->sql[t]);
        free(l->sql_fresh[t]);
        for (int k = 0; k < MAX_KEYS + 2; k++)
            gd_buf_free(&l->arr[t][k]);
    }
    free(l->recs);
    free(l);
}

static void free_writer(gd_dbw *w)
{
    for (int i = 0; i < MAX_LANES; i++)
        free_lane(w->lanes[i]);
    free(w->dsn);
    free(w->reject_path);
    free(w);
}

static void timer_closed(uv_handle_t *h)
{
    gd_dbw *w = ((lane *)h->data)->w;
    if (--w->open_timers == 0)
        free_writer(w);
}

/* Lane id of n: its statements and buffers. 0, or -1 out of memory. */
static int lane_setup(gd_dbw *w, int id, int n)
{
    lane *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    w->lanes[id] = l;
    l->w = w;
    l->id = id;
    l->pq_fd = -1;
    l->backoff_ms = w->backoff_min_ms;
    l->done = gd_journal_applied_seq(w->j);
    l->sent = l->done;
    for (int t = 1; t < GD_REC__COUNT; t++) {
        if (n == 1)
            l->st[t] = &stmts[t];
        else if (t == GD_REC_SESSION)
            l->st[t] = id == 0 ? &session_orders : &session_positions;
        else if (lane_of[t] == id)
            l->st[t] = &stmts[t];
    }
    if (!(l->recs = calloc(w->batch_max, sizeof *l->recs)))
        return -1;
    for (int t = 1; t < GD_REC__COUNT; t++) {
        if (!l->st[t])
            continue;
        if (!(l->sql[t] = build_sql(l->st[t], 0)) || !(l->sql_fresh[t] = build_sql(l->st[t], 1)))
            return -1;
        if (!strcmp(l->sql[t], l->sql_fresh[t])) {
            free(l->sql_fresh[t]);
            l->sql_fresh[t] = NULL;
        }
        snprintf(l->name_fresh[t], sizeof l->name_fresh[t], "%s_fresh", l->st[t]->name);
    }
    return 0;
}

int gd_dbw_start(const gd_dbw_opts *o, gd_dbw **out, gd_err *err)
{
    *out = NULL;
    if (!o->loop || !o->journal || !o->dsn || !o->dsn[0] || !o->reject_path || !o->source ||
        strlen(o->source) != 16)
        return gd_err_set(err, GD_EINVAL, "db writer: loop, journal, dsn, reject path and a 16-hex source are required");
    if (o->connections > MAX_LANES)
        return gd_err_set(err, GD_EINVAL, "db writer: at most %d connections", MAX_LANES);
    gd_dbw *w = calloc(1, sizeof *w);
    if (!w)
        return gd_err_set(err, GD_ENOMEM, "db writer: out of memory");
    w->loop = o->loop;
    w->j = o->journal;
    snprintf(w->source, sizeof w->source, "%s", o->source);
    w->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
    w->backoff_min_ms = o->reconnect_min_ms > 0 ? o->reconnect_min_ms : 250;
    w->backoff_max_ms = o->reconnect_max_ms > w->backoff_min_ms ? o->reconnect_max_ms : w->backoff_min_ms;
    w->batch_max = o->batch_max ? o->batch_max : 512;
    w->inflight_max = o->inflight_max ? o->inflight_max : 4;
    if (w->inflight_max > MAX_INFLIGHT)
        w->inflight_max = MAX_INFLIGHT;
    w->n_lanes = o->connections ? (int)o->connections : MAX_LANES;
    w->dsn = strdup(o->dsn);
    w->reject_path = strdup(o->reject_path);
    int ok = w->dsn && w->reject_path;
    for (int i = 0; i < w->n_lanes && ok; i++)
        ok = lane_setup(w, i, w->n_lanes) == 0;
    if (!ok) {
        free_writer(w);
        return gd_err_set(err, GD_ENOMEM, "db writer: out of memory");
    }
    for (int i = 0; i < w->n_lanes; i++) {
        lane *l = w->lanes[i];
        if (uv_timer_init(w->loop, &l->timer) != 0) {
            /* The timers made so far close first; the writer goes with the last. */
            w->stopping = 1;
            if (w->open_timers == 0) {
                free_writer(w);
            } else {
                for (int k = 0; k < i; k++)
                    uv_close((uv_handle_t *)&w->lanes[k]->timer, timer_closed);
            }
            return gd_err_set(err, GD_EIO, "db writer: timer");
        }
        l->timer.data = l;
        w->open_timers++;
    }
    for (int i = 0; i < w->n_lanes; i++)
        connect_now(w->lanes[i]);
    *out = w;
    return 0;
}

void gd_dbw_kick(gd_dbw *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_lanes; i++)
        if (w->lanes[i]->state == ST_READY)
            send_batches(w->lanes[i]);
}

void gd_dbw_stop(gd_dbw *w)
{
    if (!w)
        return;
    w->stopping = 1;
    int n = w->n_lanes;
    for (int i = 0; i < n; i++)
        disconnect(w->lanes[i], NULL);
    for (int i = 0; i < n; i++) {
        uv_timer_stop(&w->lanes[i]->timer);
        uv_close((uv_handle_t *)&w->lanes[i]->timer, timer_closed);
    }
}

const gd_dbw_stats *gd_dbw_stats_get(const gd_dbw *w) { return &w->st; }

int gd_dbw_caught_up(const gd_dbw *w)
{
    for (int i = 0; i < w->n_lanes; i++)
        if (w->lanes[i]->count)
            return 0;
    return gd_journal_applied_seq(w->j) >= gd_journal_durable_seq(w->j);
}

/* ------------------------------------------------------------ the latch at start-up */

int gd_db_latch_read(const char *dsn, double timeout_ms, gd_db_latch *out, gd_err *err)
{
    memset(out, 0, sizeof *out);
    char tmo[24];
    snprintf(tmo, sizeof tmo, "%d", (int)(timeout_ms / 1000 < 1 ? 1 : timeout_ms / 1000));
    const char *const keys[] = {"application_name", "connect_timeout", "dbname", NULL};
    const char *vals[] = {"gordon", tmo, dsn, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    PGresult *r = NULL;
    int rc = 0;
    if (!c || PQstatus(c) != CONNECTION_OK) {
        const char *m = c ? PQerrorMessage(c) : "out of memory";
        rc = gd_err_set(err, GD_EIO, "database: %.*s", (int)strcspn(m, "\n"), m);
        goto done;
    }
    r = PQexec(c, "SELECT halted, who, reason, coalesce((extract(epoch FROM since) * 1000)::bigint, 0)"
                  " FROM trading.halt_latch WHERE id = 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(r);
        rc = gd_err_set(err, GD_EIO, "database: reading trading.halt_latch: %.*s", (int)strcspn(m, "\n"), m);
        goto done;
    }
    if (PQntuples(r) == 1) {
        out->found = 1;
        out->halted = PQgetvalue(r, 0, 0)[0] == 't';
        snprintf(out->who, sizeof out->who, "%s", PQgetvalue(r, 0, 1));
        snprintf(out->reason, sizeof out->reason, "%s", PQgetvalue(r, 0, 2));
        out->since_ms = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
    }
done:
    PQclear(r);
    PQfinish(c);
    return rc;
}
