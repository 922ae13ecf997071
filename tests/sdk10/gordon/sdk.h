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
 * accepts plugins of an older or equal minor and reads only the fields their
 * struct_size covers. Every struct that crosses the boundary starts with (or
 * is accompanied by) its size, so both sides can check before they touch a
 * field. Bars are the one exception for speed: they are passed singly by
 * pointer (read only the fields you know), and arrays of bars are copied
 * through host_api->bars() with the caller's element size.
 *
 * Rules for plugins (the loader enforces what it can, see gordon(1)):
 *  - no I/O of any kind: no sockets, files, processes, dlopen, raw syscalls,
 *    getenv; the loader refuses a .so that imports such functions;
 *  - no threads, no atexit handlers, no thread-locals, no global mutable state
 *    shared between instances (several instances may run in one process);
 *  - callbacks run on the host's event loop and must return quickly;
 *    on_bar must not allocate;
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
#define GORDON_SDK_ABI_MINOR 0
#define GORDON_SDK_VERSION_STRING "1.0"

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
    double entry;         /* reference entry price, usually the last close */
    double stop_loss;     /* absolute price; 0 = none (rejected when stops are required) */
    double take_profit;   /* absolute price; 0 = none */
    double risk_scale;    /* fraction of the configured risk budget, (0, 1]; overlays may lower it */
    char tag[32];         /* free text for the intent log, NUL-terminated */
} gordon_signal;

/* Initialise a signal: sets struct_size and risk_scale 1. */
#define GORDON_SIGNAL_INIT {sizeof(gordon_signal), 0, 0, 0, 0.0, 0.0, 0.0, 1.0, {0}}

/* Why the host rejected a signal; also returned by host_api->emit. */
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
    int32_t reserved;
} gordon_position;

typedef enum gordon_fill_reason {
    GORDON_FILL_ENTRY = 1,
    GORDON_FILL_EXIT = 2,
    GORDON_FILL_STOP = 3,
    GORDON_FILL_TAKE_PROFIT = 4,
    GORDON_FILL_FLATTEN = 5
} gordon_fill_reason;

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

/* What the host knows of the account when it asks a breaker. */
typedef struct gordon_breaker_input {
    uint32_t struct_size;
    uint32_t open_positions;
    int64_t now_ms;
    double equity;          /* marked to the last closes */
    double gross_exposure;  /* sum of |qty| x mark over open positions */
    double realized_pnl;    /* since start */
    int64_t last_data_ms;   /* time of the newest market data */
} gordon_breaker_input;

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

/* ------------------------------------------------------------- host API */

typedef struct gordon_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t bar_size;     /* sizeof(gordon_bar) in the host */
    uint32_t reserved0;

    void (*log)(gordon_ctx *ctx, int level, const char *fmt, ...) GORDON_PRINTF(3, 4);

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
     * out (elements of elem_size bytes); returns how many were copied. */
    size_t (*bars)(gordon_ctx *ctx, uint32_t symbol, size_t n, gordon_bar *out, size_t elem_size);

    /* This instance's position in symbol (out->struct_size must be set). */
    int (*position)(gordon_ctx *ctx, uint32_t symbol, gordon_position *out);
    /* Account equity marked to the last closes. */
    double (*equity)(gordon_ctx *ctx);

    /* Strategies only: hand a signal to the host's risk pipeline. Returns
     * GORDON_ACCEPTED, a gordon_reject code, or -1 if not allowed here. */
    int (*emit)(gordon_ctx *ctx, const gordon_signal *signal);
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
    uint32_t warmup_bars;  /* bars of history needed before signals are meaningful */
    uint32_t reserved0;

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

    /* Breakers: report state on every bar and every account change. The host
     * zeroes *out first and reads reason only when state is not OK, so leave
     * it empty on the (hot) OK path. */
    int (*evaluate)(void *instance, const gordon_breaker_input *in, gordon_breaker_result *out);

    /* Optional, for hot reload: serialise indicator state (return bytes
     * written, or the size needed if cap is too small) and restore it into a
     * fresh instance of the same plugin name (return 0 if accepted). */
    size_t (*snapshot)(void *instance, void *buf, size_t cap);
    int (*restore)(void *instance, const void *buf, size_t len);

    void *reserved[8];
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
