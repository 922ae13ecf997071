/*
 * gordon SDK: the whole contract between the gordon host and its plugins.
 *
 * A plugin includes this header and nothing else of gordon's. It exports one
 * function, gordon_plugin_entry_v1(), returning a static descriptor. The host
 * hands each instance a host-API table and an opaque context; that table is the
 * plugin's only way to see the world or to act on it.
 *
 * Versioning. GORDON_SDK_ABI_MAJOR changes when anything existing changes
 * meaning or layout; the host refuses a plugin of another major.
 * GORDON_SDK_ABI_MINOR grows when fields or callbacks are appended; the host
 * accepts plugins of an older or equal minor. Bars are the one unsized type,
 * for speed: they are passed singly by pointer (read only the fields you
 * know), and arrays of bars are copied through host_api->bars() with the
 * caller's element size.
 *
 * The compatibility rule. Every other struct that crosses the boundary starts
 * with struct_size (or, for gordon_param, is accompanied by param_size), set
 * by whoever built it to its own sizeof. The receiver copies
 * min(struct_size, its own sizeof) bytes and zero-extends the rest; when the
 * host fills a struct the plugin passed (position, exposure, series point) it
 * writes only that common prefix and sets struct_size to it. Fields are only ever
 * appended, and zero always means "absent / the behaviour before the field
 * existed". So a plugin built against an older minor keeps working unchanged
 * on a newer host (the host sees its missing callbacks as NULL and its
 * missing fields as 0), and a plugin built against a newer minor can run on
 * an older host as long as it checks, with GORDON_HAS(), that a field or
 * callback exists before it uses one (the host-API table, the structs the
 * host hands in). A struct_size below the struct's 1.0 layout may be refused.
 *
 * Changes (newest first; a minor's date is the day its header was frozen).
 *
 * 1.3 (2026-12-05)
 *	log() takes a finished message, not a format: the host prints its third
 *	argument as text (at most 1023 bytes, made valid UTF-8) and ignores any
 *	further arguments, so no format string of a plugin's ever reaches the
 *	host's printf (a %n or a bad %s does nothing). Format with gordon_log()
 *	from <gordon/helpers.h>. Plugins built against 1.0-1.2 still load and
 *	work; their log lines show the format string unexpanded until rebuilt.
 *	What the host hands a plugin cannot change the host: the bar passed
 *	to on_bar is in read-only memory (writing to it, or past it, faults);
 *	a breaker's input and verdict and an overlay's in and out signals are
 *	its own copies; the host-API table is read-only; gordon_ctx is an opaque handle, honoured
 *	only while the host is calling that instance, on the calling thread
 *	(refused and counted once its instance is gone, from another thread,
 *	or as another instance's handle).
 *	The loader reads a descriptor only within the plugin's own memory:
 *	the descriptor, its params table and every string must lie in the
 *	.so's loaded segments (not on the heap or in another library) and
 *	end within their limits: name and version 63 bytes, a param name 63,
 *	description, def_str and help 1023.
 *	emit: the entry is a claim; the host sizes, checks the stop side and
 *	applies caps at its own price, and refuses a claim far from it
 *	(GORDON_REJECT_BAD_SIGNAL). Every emit counts against the signal rate
 *	limit, accepted or not, and past 16 emits in one on_bar the rest are
 *	dropped (GORDON_REJECT_THROTTLED) and summarised by the host.
 *	gordon_host_api.log_enabled added.
 *
 * 1.2 (2026-12-04)
 *	gordon_plugin.warmup added (optional, after on_resume); GORDON_WARMUP_BARS_MAX
 *	GORDON_HAS() added, to test whether a struct_size covers a member
 *	GORDON_POSITION_INIT, GORDON_EXPOSURE_INIT, GORDON_SERIES_POINT_INIT added
 *	GORDON_SDK_VERSION_STRING derived from the two ABI numbers
 *	the rule above (copy min(struct_size, sizeof), zero-extend) stated; the
 *	return values of emit and evaluate and every reserved field documented
 *	gordon_ema / gordon_atr moved to <gordon/helpers.h> (source only: they
 *	were never ABI; include that header to keep using them), which also
 *	gains gordon_rsi, gordon_snap and gordon_param_u32
 * 1.1 (2026-11-26)
 *	gordon_host_api.exposure, .series_subscribe, .series_get added, with
 *	gordon_exposure and gordon_series_point
 *	gordon_breaker_input.last_venue_ms added
 *	gordon_plugin.on_resume added (after reserved[8])
 *	evaluate: *out is kept per instance between calls (1.0 zeroed it);
 *	the reason still counts only when state is not OK
 * 1.0 (2026-11-26)
 *	first version: descriptor, host-API table, bars, signals, positions,
 *	fills, overlays, breakers, params, snapshot/restore
 *
 * Rules for plugins (the loader enforces what it can, see gordon(1)):
 *  - no I/O of any kind: no sockets, files, processes, dlopen, raw syscalls,
 *    getenv; the loader refuses a .so that imports such functions;
 *  - no threads, no atexit handlers, no thread-locals, no global mutable state
 *    shared between instances (several instances may run in one process);
 *  - callbacks run on the host's event loop and must return quickly;
 *    on_bar must not allocate;
 *  - call the host API only from inside a callback, on the thread that
 *    called it, with that instance's ctx: anything else is refused;
 *  - a strategy never states a quantity: it emits a signal with an entry
 *    reference and a stop loss, and the host sizes it.
 */
#ifndef GORDON_SDK_H
#define GORDON_SDK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GORDON_SDK_ABI_MAJOR 1
#define GORDON_SDK_ABI_MINOR 3
/* "1.3", from the two numbers above so it cannot disagree with them. */
#define GORDON_SDK_STR_(x) #x
#define GORDON_SDK_STR(x) GORDON_SDK_STR_(x)
#define GORDON_SDK_VERSION_STRING                                                              \
    GORDON_SDK_STR(GORDON_SDK_ABI_MAJOR) "." GORDON_SDK_STR(GORDON_SDK_ABI_MINOR)

/* The most bars of history a plugin may ask for, through warmup_bars or the
 * warmup() callback: the host keeps that much history per symbol and refuses
 * a plugin (or an instance) that wants more. */
#define GORDON_WARMUP_BARS_MAX 1048576u

/* 1 when the struct at ptr (anything with a struct_size first) is large
 * enough to hold member, i.e. offsetof + sizeof <= struct_size. Use it before
 * touching a field or callback newer than 1.0 in what the host hands you:
 *   if (GORDON_HAS(api, exposure) && api->exposure) ...
 *   int64_t venue = GORDON_HAS(in, last_venue_ms) ? in->last_venue_ms : 0;
 * ptr must point to a valid object; it is evaluated more than once. */
#if defined(__GNUC__) || defined(__clang__)
#define GORDON_OFFSETOF_(ptr, member) offsetof(__typeof__(*(ptr)), member)
#else /* plain C11 has no typeof: the member's distance from the start */
#define GORDON_OFFSETOF_(ptr, member) ((size_t)((const char *)&(ptr)->member - (const char *)(ptr)))
#endif
#define GORDON_HAS(ptr, member)                                                                \
    (GORDON_OFFSETOF_(ptr, member) + sizeof((ptr)->member) <= (size_t)(ptr)->struct_size)

/* "GRDN": first field of every descriptor; catches a wrong symbol or garbage. */
#define GORDON_PLUGIN_MAGIC 0x4752444Eu
#define GORDON_ENTRY_SYMBOL "gordon_plugin_entry_v1"

#if defined(__GNUC__) || defined(__clang__)
#define GORDON_EXPORT __attribute__((visibility("default")))
#define GORDON_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define GORDON_EXPORT
#define GORDON_PRINTF(fmt, args)
#endif

/* ---------------------------------------------------------------- basics */

typedef enum gordon_kind {
    GORDON_KIND_STRATEGY = 1, /* reads bars, emits signals */
    GORDON_KIND_OVERLAY = 2,  /* reads bars, may veto or tighten signals */
    GORDON_KIND_BREAKER = 3   /* reads bars and account state, reports ok/warn/tripped */
} gordon_kind;

typedef enum gordon_log_level {
    GORDON_LOG_DEBUG = 0,
    GORDON_LOG_INFO = 1,
    GORDON_LOG_WARN = 2,
    GORDON_LOG_ERROR = 3
} gordon_log_level;

/* Opaque per-instance handle owned by the host. */
typedef struct gordon_ctx gordon_ctx;

/* One closed bar. Times are UTC milliseconds since the epoch; the bar covers
 * [open_time_ms, close_time_ms). on_bar is called only after close_time_ms. */
typedef struct gordon_bar {
    int64_t open_time_ms;
    int64_t close_time_ms;
    double open;
    double high;
    double low;
    double close;
    double volume;
} gordon_bar;

typedef enum gordon_side {
    GORDON_SIDE_NONE = 0,
    GORDON_SIDE_LONG = 1,
    GORDON_SIDE_SHORT = -1
} gordon_side;

typedef enum gordon_action {
    GORDON_ACTION_ENTRY = 1, /* open a position (host sizes it, stop required) */
    GORDON_ACTION_EXIT = 2   /* close this strategy's position in the symbol (reduce only) */
} gordon_action;

/* A strategy's request. There is deliberately no quantity field. */
typedef struct gordon_signal {
    uint32_t struct_size; /* sizeof(gordon_signal) as the plugin was built */
    uint32_t symbol;      /* symbol id, as passed to on_bar */
    int32_t action;       /* gordon_action */
    int32_t side;         /* gordon_side; entries only */
    double entry;         /* the price the strategy decided at, usually the last close: a
                             claim the host checks against its own price (and refuses when far
                             from it); sizing, the stop side and caps use the host's price */
    double stop_loss;     /* absolute price; 0 = none (rejected when stops are required) */
    double take_profit;   /* absolute price; 0 = none */
    double risk_scale;    /* fraction of the configured risk budget, (0, 1]; overlays may lower it */
    char tag[32];         /* free text for the intent log, NUL-terminated */
} gordon_signal;

/* Init macros: one for every sized struct a plugin fills or hands to the
 * host, setting struct_size to this header's sizeof and everything else to
 * zero (risk_scale to 1). Start from them rather than from memset, so that a
 * rebuild against a newer header picks up the new size. */
#define GORDON_SIGNAL_INIT {sizeof(gordon_signal), 0, 0, 0, 0.0, 0.0, 0.0, 1.0, {0}}

/* Why the host rejected a signal; also returned by host_api->emit. Later
 * minors may append codes: treat any other positive value as a refusal. */
typedef enum gordon_reject {
    GORDON_ACCEPTED = 0,
    GORDON_REJECT_BAD_SIGNAL = 1,      /* malformed: bad symbol, side, NaN/inf/negative price */
    GORDON_REJECT_HALTED = 2,          /* halt latch is set */
    GORDON_REJECT_BREAKER = 3,         /* a breaker is tripped */
    GORDON_REJECT_OVERLAY_VETO = 4,    /* an overlay vetoed */
    GORDON_REJECT_OVERLAY_INVALID = 5, /* an overlay tried to loosen/enlarge: treated as a veto */
    GORDON_REJECT_NO_STOP = 6,         /* stop loss missing */
    GORDON_REJECT_STOP_SIDE = 7,       /* stop on the wrong side of (or equal to) the entry */
    GORDON_REJECT_BELOW_MIN_QTY = 8,
    GORDON_REJECT_BELOW_MIN_NOTIONAL = 9,
    GORDON_REJECT_ORDER_CAP = 10,      /* per-order notional cap leaves too little */
    GORDON_REJECT_DAILY_CAP = 11,      /* daily notional cap exhausted */
    GORDON_REJECT_EXPOSURE_CAP = 12,   /* portfolio gross exposure cap exhausted */
    GORDON_REJECT_THROTTLED = 13,      /* order-rate limit */
    GORDON_REJECT_POSITION_OPEN = 14,  /* already in a position / order pending in this symbol */
    GORDON_REJECT_NO_POSITION = 15,    /* exit with nothing to close */
    GORDON_REJECT_NO_EQUITY = 16,      /* equity is not positive */
    GORDON_REJECT_EXECUTOR = 17,       /* the executor refused the order */
    GORDON_REJECT__COUNT
} gordon_reject;

/* A strategy's position in one symbol, as the host holds it. */
typedef struct gordon_position {
    uint32_t struct_size;
    int32_t side;          /* gordon_side; NONE when flat */
    double qty;            /* > 0 when open */
    double entry_price;    /* average fill price */
    double stop_loss;
    double take_profit;    /* 0 = none */
    double unrealized_pnl; /* at the last close */
    int64_t opened_ms;
    int32_t order_pending; /* 1 while an entry or exit order awaits execution */
    int32_t reserved;      /* explicit padding: the host writes 0, plugins ignore it */
} gordon_position;

/* For host_api->position(): fill *out after GORDON_POSITION_INIT. */
#define GORDON_POSITION_INIT {sizeof(gordon_position), 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0}

typedef enum gordon_fill_reason {
    GORDON_FILL_ENTRY = 1,
    GORDON_FILL_EXIT = 2,
    GORDON_FILL_STOP = 3,
    GORDON_FILL_TAKE_PROFIT = 4,
    GORDON_FILL_FLATTEN = 5
} gordon_fill_reason;

/* A fill, built by the host and handed to on_fill (read-only; check newer
 * fields with GORDON_HAS). No init macro: plugins never build one. */
typedef struct gordon_fill {
    uint32_t struct_size;
    uint32_t symbol;
    int32_t side;          /* +1 bought, -1 sold */
    int32_t reason;        /* gordon_fill_reason */
    double qty;
    double price;
    double fee;
    double realized_pnl;   /* for reducing fills, net of this fill's fee */
    int64_t time_ms;
    uint64_t intent_id;
} gordon_fill;

/* ------------------------------------------------------- overlays, breakers */

typedef enum gordon_filter_result {
    GORDON_FILTER_KEEP = 0,    /* pass the signal on unchanged */
    GORDON_FILTER_VETO = 1,    /* drop it; say why in reason */
    GORDON_FILTER_TIGHTEN = 2  /* pass *out instead: stop closer to entry, lower risk_scale,
                                  take profit closer; anything else is treated as a veto */
} gordon_filter_result;

typedef enum gordon_breaker_state {
    GORDON_BREAKER_OK = 0,
    GORDON_BREAKER_WARN = 1,
    GORDON_BREAKER_TRIPPED = 2 /* latches the host's halt */
} gordon_breaker_state;

/* What the host knows of the account when it asks a breaker (read-only;
 * check last_venue_ms with GORDON_HAS(in, last_venue_ms)). */
typedef struct gordon_breaker_input {
    uint32_t struct_size;
    uint32_t open_positions;
    int64_t now_ms;
    double equity;          /* marked to the last closes */
    double gross_exposure;  /* sum of |qty| x mark over open positions */
    double realized_pnl;    /* since start */
    int64_t last_data_ms;   /* time of the newest market data */
    /* since 1.1 (check struct_size): */
    int64_t last_venue_ms;  /* time of the last good venue reply; 0 when there is no venue (replay) */
} gordon_breaker_input;

/* A breaker's verdict. The host owns it (one per instance, struct_size
 * set by the host) and hands it to evaluate; a plugin writes the fields but
 * never builds one, so there is no init macro. */
typedef struct gordon_breaker_result {
    uint32_t struct_size;
    int32_t state;          /* gordon_breaker_state */
    double value;           /* the measured quantity, e.g. drawdown in percent */
    double threshold;       /* the trip level, for reports */
    char reason[96];
} gordon_breaker_result;

/* ---------------------------------------------------------------- params */

typedef enum gordon_param_type {
    GORDON_PARAM_INT = 1,
    GORDON_PARAM_DOUBLE = 2,
    GORDON_PARAM_BOOL = 3,
    GORDON_PARAM_STRING = 4
} gordon_param_type;

/* A parameter a plugin accepts from its INI section. The host validates the
 * section against these (unknown keys, bad numbers and out-of-range values are
 * configuration errors naming file and line) before create() is called. */
typedef struct gordon_param {
    const char *name;
    int32_t type;          /* gordon_param_type */
    int32_t tunable;       /* 1: walk-forward may search [min, max] by step */
    double def;            /* default for INT, DOUBLE, BOOL */
    double min;            /* inclusive bounds for INT and DOUBLE */
    double max;
    double step;           /* search step for tunable params */
    const char *def_str;   /* default for STRING */
    const char *help;
} gordon_param;

/* All strategies' exposure in one symbol, open and intended (since 1.1). */
typedef struct gordon_exposure {
    uint32_t struct_size;
    uint32_t strategies;    /* strategies with a position or a pending entry in the symbol */
    double net_qty;         /* signed sum of open positions */
    double gross_qty;       /* sum of |qty| of open positions */
    double pending_qty;     /* sum of pending entry quantities */
    double notional;        /* gross_qty x last close */
} gordon_exposure;

/* For host_api->exposure(). */
#define GORDON_EXPOSURE_INIT {sizeof(gordon_exposure), 0, 0.0, 0.0, 0.0, 0.0}

/* The latest observation of an external series (FRED) at the host's clock:
 * in replay, the newest observation dated at or before now (no lookahead). */
typedef struct gordon_series_point {
    uint32_t struct_size;
    int32_t stale;          /* 1: the last fetch failed or is older than the series' window */
    int64_t obs_ms;         /* observation date, UTC ms; 0 if none yet */
    int64_t fetched_ms;     /* when the host last fetched the series successfully; 0 if never */
    double value;           /* NaN if none yet */
    double prev_value;      /* the observation before it, NaN if none */
} gordon_series_point;

/* For host_api->series_get(). */
#define GORDON_SERIES_POINT_INIT {sizeof(gordon_series_point), 0, 0, 0, 0.0, 0.0}

/* ------------------------------------------------------------- host API */

/* The host's table, valid for the instance's lifetime. It may come from a
 * newer or an older host than the header a plugin was built with: before
 * calling anything marked "since 1.x", check GORDON_HAS(api, member) (and
 * that the pointer is not NULL). */
typedef struct gordon_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t bar_size;     /* sizeof(gordon_bar) in the host */
    uint32_t reserved0;    /* explicit padding: 0 from the host, ignore it */

    /* Logs msg, a finished message: since 1.3 the host does not format it
     * (any further arguments are ignored; before 1.3 msg was a printf
     * format). Use gordon_log() from <gordon/helpers.h> for printf-style
     * text: it formats in the plugin and calls this the right way for the
     * host's minor. */
    void (*log)(gordon_ctx *ctx, int level, const char *msg, ...);

    /* Typed lookups of this instance's validated parameters (declared in the
     * descriptor). Return 0, or -1 for an undeclared name or a type mismatch.
     * Strings stay valid for the instance's lifetime. */
    int (*param_int)(gordon_ctx *ctx, const char *name, int64_t *out);
    int (*param_double)(gordon_ctx *ctx, const char *name, double *out);
    int (*param_bool)(gordon_ctx *ctx, const char *name, int *out);
    int (*param_string)(gordon_ctx *ctx, const char *name, const char **out);

    /* Host clock: wall time live, the current bar's close time in replay. */
    int64_t (*now_ms)(gordon_ctx *ctx);

    /* Symbols are numbered 0..symbol_count-1 for the life of the process. */
    uint32_t (*symbol_count)(gordon_ctx *ctx);
    const char *(*symbol_name)(gordon_ctx *ctx, uint32_t symbol);
    /* 1 if this instance receives bars of the symbol (its symbols= key). */
    int (*subscribed)(gordon_ctx *ctx, uint32_t symbol);

    /* Copies up to n of the latest closed bars of symbol, oldest first, into
     * out (elements of elem_size bytes, sizeof(gordon_bar); more than 1024
     * copies nothing); returns how many were copied. The latest is the bar
     * on_bar was last given: from on_fill at a bar's open, the one before
     * that bar (no lookahead). */
    size_t (*bars)(gordon_ctx *ctx, uint32_t symbol, size_t n, gordon_bar *out, size_t elem_size);

    /* This instance's position in symbol; *out starts as GORDON_POSITION_INIT.
     * Returns 0, or -1 (bad symbol, or struct_size not set). Overlays and breakers
     * hold no positions and always see a flat one. */
    int (*position)(gordon_ctx *ctx, uint32_t symbol, gordon_position *out);
    /* Account equity marked to the last closes. */
    double (*equity)(gordon_ctx *ctx);

    /* Strategies only: hand a signal (from GORDON_SIGNAL_INIT) to the
     * host's risk pipeline. Returns
     *  - GORDON_ACCEPTED (0): an order was submitted (it fills later, at the
     *    next bar's open in replay; on_fill tells you when);
     *  - a gordon_reject code (> 0): refused, nothing was submitted; the
     *    intent log records the signal with the reason either way;
     *  - -1: not allowed here, nothing recorded: called from anything but
     *    this instance's on_bar (create, on_fill, restore...), by an overlay
     *    or breaker, with a NULL signal, or while the host feeds history to
     *    warm the instance up (a new instance after a reload, a backtest
     *    window before its start). A strategy need not tell these apart:
     *    decide again on the next bar. */
    int (*emit)(gordon_ctx *ctx, const gordon_signal *signal);

    /* --- since 1.1: check GORDON_HAS(api, exposure) etc. before using these --- */

    /* All strategies' exposure in a symbol (read only); *out starts as
     * GORDON_EXPOSURE_INIT. Returns 0, or -1 (bad symbol, or struct_size not set). */
    int (*exposure)(gordon_ctx *ctx, uint32_t symbol, gordon_exposure *out);
    /* Ask the host to fetch an external series (e.g. FRED "VIXCLS"); only
     * from create(). The host does the I/O; a breaker reads it with
     * series_get. Returns 0, or -1 (bad id, no source configured). */
    int (*series_subscribe)(gordon_ctx *ctx, const char *series_id);
    /* *out starts as GORDON_SERIES_POINT_INIT. Returns 0, or -1 (a series
     * no instance subscribed to, or struct_size not set). */
    int (*series_get)(gordon_ctx *ctx, const char *series_id, gordon_series_point *out);

    /* --- since 1.3: check GORDON_HAS(api, log_enabled) --- */

    /* 1 if a message at level would be logged now: format nothing when it
     * would not (gordon_log() asks this first). */
    int (*log_enabled)(gordon_ctx *ctx, int level);
} gordon_host_api;

/* ------------------------------------------------------------ descriptor */

typedef struct gordon_plugin {
    uint32_t magic;        /* GORDON_PLUGIN_MAGIC */
    uint32_t struct_size;  /* sizeof(gordon_plugin) as built */
    uint16_t abi_major;    /* GORDON_SDK_ABI_MAJOR as built */
    uint16_t abi_minor;
    int32_t kind;          /* gordon_kind */
    const char *name;      /* [a-z0-9_]+, unique among loaded plugins */
    const char *version;
    const char *description;

    const gordon_param *params; /* may be NULL when n_params is 0 */
    uint32_t n_params;
    uint32_t param_size;   /* sizeof(gordon_param) as built */
    /* Bars of history needed before signals are meaningful, for the
     * default parameters (at most GORDON_WARMUP_BARS_MAX). When it depends
     * on the parameters, also provide warmup() (since 1.2). */
    uint32_t warmup_bars;
    uint32_t reserved0;    /* must be 0 (designated initialisers leave it so); ignored */

    /* Create an instance. On failure return non-zero and describe it in err. */
    int (*create)(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len);
    void (*destroy)(void *instance);

    /* A closed bar of a subscribed symbol. Strategies emit signals from here. */
    void (*on_bar)(void *instance, uint32_t symbol, const gordon_bar *bar);
    /* A fill of one of this strategy's orders (optional). */
    void (*on_fill)(void *instance, const gordon_fill *fill);

    /* Overlays: judge an entry signal of a symbol the overlay is subscribed
     * to (exits never reach overlays). *out starts as a copy of *in. */
    int (*filter)(void *instance, const gordon_signal *in, gordon_signal *out, char *reason,
                  size_t reason_len);

    /* Breakers: report state on every bar and every account change. *out is
     * kept per instance between calls: the host resets state, value and
     * threshold, keeps reason, and reads reason only when state is not OK.
     * Formatting text costs more than a bar: write reason when the state
     * changes, and let value carry the live number.
     * Returns 0 when *out holds a verdict. Non-zero means "could not
     * evaluate", and the host fails closed: it treats that as TRIPPED (as it
     * does a state outside gordon_breaker_state), which latches the halt. */
    int (*evaluate)(void *instance, const gordon_breaker_input *in, gordon_breaker_result *out);

    /* Optional, for hot reload: serialise indicator state (return bytes
     * written, or the size needed if buf is NULL or cap is too small) and
     * restore it into a fresh instance of the same plugin name, possibly
     * another build (return 0 if accepted). restore must check what it is
     * given (length, a magic and version, the parameters it depends on) and
     * apply all of it or nothing: on refusal the host warms the instance up
     * from bar history instead. The blob only crosses a reload inside one
     * process; gordon/helpers.h has a bounds-checked writer and reader. */
    size_t (*snapshot)(void *instance, void *buf, size_t cap);
    int (*restore)(void *instance, const void *buf, size_t len);

    /* Must be NULL (designated initialisers leave them so); the host ignores
     * them. New callbacks are appended at the end instead, so these only
     * keep the 1.0 layout. */
    void *reserved[8];

    /* --- since 1.1 (the host reads these only when struct_size covers them) --- */

    /* Breakers, optional: an operator resumed trading after a halt. A breaker
     * may re-baseline here (the drawdown breaker restarts its peak), or keep
     * its state and trip again at the next evaluation. */
    void (*on_resume)(void *instance);

    /* --- since 1.2 (the host reads these only when struct_size covers them) --- */

    /* Optional: bars of history this instance needs, when that depends on
     * its parameters (e.g. slow period plus ATR period). Called once after
     * create(); the host uses the larger of this and warmup_bars, and refuses
     * more than GORDON_WARMUP_BARS_MAX. */
    uint32_t (*warmup)(void *instance);
} gordon_plugin;

typedef const gordon_plugin *(*gordon_plugin_entry_fn)(void);

/* Define the plugin's entry point from a static descriptor:
 *   static const gordon_plugin desc = { GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY), ... };
 *   GORDON_PLUGIN_ENTRY(desc)
 */
#define GORDON_PLUGIN_HEADER(kind_)                                                            \
    .magic = GORDON_PLUGIN_MAGIC, .struct_size = sizeof(gordon_plugin),                        \
    .abi_major = GORDON_SDK_ABI_MAJOR, .abi_minor = GORDON_SDK_ABI_MINOR, .kind = (kind_),     \
    .param_size = sizeof(gordon_param)

#define GORDON_PLUGIN_ENTRY(desc_)                                                             \
    GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void);                           \
    GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void) { return &(desc_); }


#ifdef __cplusplus
}
#endif

#endif /* GORDON_SDK_H */
