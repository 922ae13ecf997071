/* Where every SDK 1.0 field and constant sits, as an X-macro list expanded
 * twice: once in layout.c against the frozen 1.0 header (tests/sdk10), once
 * in tests/test_sdk_compat.c against the current one. Equal offsets, sizes
 * and values, and struct sizes that only grew, are the ABI promise that
 * minors only append. Complete for 1.0; never add later fields here. */
#ifndef GD_SDK10_LAYOUT_H
#define GD_SDK10_LAYOUT_H

#include <stddef.h>

typedef struct gd_sdk_item {
    const char *type;   /* struct name, or "const" */
    const char *member; /* field or constant name; "" for the struct's own size */
    size_t offset;      /* offsetof, or the constant's value */
    size_t size;        /* sizeof the field or struct; 0 for constants */
} gd_sdk_item;

#define GD_SDK_FIELD(T, m) {#T, #m, offsetof(T, m), sizeof(((T *)0)->m)},
#define GD_SDK_STRUCT(T) {#T, "", 0, sizeof(T)},
#define GD_SDK_CONST(c) {"const", #c, (size_t)(long long)(c), 0},

#define GD_SDK10_ITEMS(F, S, C)                                                                \
    S(gordon_bar) F(gordon_bar, open_time_ms) F(gordon_bar, close_time_ms) F(gordon_bar, open)  \
    F(gordon_bar, high) F(gordon_bar, low) F(gordon_bar, close) F(gordon_bar, volume)          \
    S(gordon_signal) F(gordon_signal, struct_size) F(gordon_signal, symbol)                    \
    F(gordon_signal, action) F(gordon_signal, side) F(gordon_signal, entry)                    \
    F(gordon_signal, stop_loss) F(gordon_signal, take_profit) F(gordon_signal, risk_scale)     \
    F(gordon_signal, tag)                                                                      \
    S(gordon_position) F(gordon_position, struct_size) F(gordon_position, side)                \
    F(gordon_position, qty) F(gordon_position, entry_price) F(gordon_position, stop_loss)      \
    F(gordon_position, take_profit) F(gordon_position, unrealized_pnl)                         \
    F(gordon_position, opened_ms) F(gordon_position, order_pending)                            \
    F(gordon_position, reserved)                                                               \
    S(gordon_fill) F(gordon_fill, struct_size) F(gordon_fill, symbol) F(gordon_fill, side)     \
    F(gordon_fill, reason) F(gordon_fill, qty) F(gordon_fill, price) F(gordon_fill, fee)       \
    F(gordon_fill, realized_pnl) F(gordon_fill, time_ms) F(gordon_fill, intent_id)             \
    S(gordon_breaker_input) F(gordon_breaker_input, struct_size)                               \
    F(gordon_breaker_input, open_positions) F(gordon_breaker_input, now_ms)                    \
    F(gordon_breaker_input, equity) F(gordon_breaker_input, gross_exposure)                    \
    F(gordon_breaker_input, realized_pnl) F(gordon_breaker_input, last_data_ms)                \
    S(gordon_breaker_result) F(gordon_breaker_result, struct_size)                             \
    F(gordon_breaker_result, state) F(gordon_breaker_result, value)                            \
    F(gordon_breaker_result, threshold) F(gordon_breaker_result, reason)                       \
    S(gordon_param) F(gordon_param, name) F(gordon_param, type) F(gordon_param, tunable)       \
    F(gordon_param, def) F(gordon_param, min) F(gordon_param, max) F(gordon_param, step)       \
    F(gordon_param, def_str) F(gordon_param, help)                                             \
    S(gordon_host_api) F(gordon_host_api, struct_size) F(gordon_host_api, abi_major)           \
    F(gordon_host_api, abi_minor) F(gordon_host_api, bar_size) F(gordon_host_api, reserved0)   \
    F(gordon_host_api, log) F(gordon_host_api, param_int) F(gordon_host_api, param_double)     \
    F(gordon_host_api, param_bool) F(gordon_host_api, param_string) F(gordon_host_api, now_ms) \
    F(gordon_host_api, symbol_count) F(gordon_host_api, symbol_name)                           \
    F(gordon_host_api, subscribed) F(gordon_host_api, bars) F(gordon_host_api, position)       \
    F(gordon_host_api, equity) F(gordon_host_api, emit)                                        \
    S(gordon_plugin) F(gordon_plugin, magic) F(gordon_plugin, struct_size)                     \
    F(gordon_plugin, abi_major) F(gordon_plugin, abi_minor) F(gordon_plugin, kind)             \
    F(gordon_plugin, name) F(gordon_plugin, version) F(gordon_plugin, description)             \
    F(gordon_plugin, params) F(gordon_plugin, n_params) F(gordon_plugin, param_size)           \
    F(gordon_plugin, warmup_bars) F(gordon_plugin, reserved0) F(gordon_plugin, create)         \
    F(gordon_plugin, destroy) F(gordon_plugin, on_bar) F(gordon_plugin, on_fill)               \
    F(gordon_plugin, filter) F(gordon_plugin, evaluate) F(gordon_plugin, snapshot)             \
    F(gordon_plugin, restore) F(gordon_plugin, reserved)                                       \
    C(GORDON_SDK_ABI_MAJOR) C(GORDON_PLUGIN_MAGIC)                                             \
    C(GORDON_KIND_STRATEGY) C(GORDON_KIND_OVERLAY) C(GORDON_KIND_BREAKER)                      \
    C(GORDON_LOG_DEBUG) C(GORDON_LOG_INFO) C(GORDON_LOG_WARN) C(GORDON_LOG_ERROR)              \
    C(GORDON_SIDE_NONE) C(GORDON_SIDE_LONG) C(GORDON_SIDE_SHORT)                               \
    C(GORDON_ACTION_ENTRY) C(GORDON_ACTION_EXIT)                                               \
    C(GORDON_ACCEPTED) C(GORDON_REJECT_BAD_SIGNAL) C(GORDON_REJECT_HALTED)                     \
    C(GORDON_REJECT_BREAKER) C(GORDON_REJECT_OVERLAY_VETO) C(GORDON_REJECT_OVERLAY_INVALID)    \
    C(GORDON_REJECT_NO_STOP) C(GORDON_REJECT_STOP_SIDE) C(GORDON_REJECT_BELOW_MIN_QTY)         \
    C(GORDON_REJECT_BELOW_MIN_NOTIONAL) C(GORDON_REJECT_ORDER_CAP) C(GORDON_REJECT_DAILY_CAP)  \
    C(GORDON_REJECT_EXPOSURE_CAP) C(GORDON_REJECT_THROTTLED) C(GORDON_REJECT_POSITION_OPEN)    \
    C(GORDON_REJECT_NO_POSITION) C(GORDON_REJECT_NO_EQUITY) C(GORDON_REJECT_EXECUTOR)          \
    C(GORDON_FILL_ENTRY) C(GORDON_FILL_EXIT) C(GORDON_FILL_STOP) C(GORDON_FILL_TAKE_PROFIT)    \
    C(GORDON_FILL_FLATTEN) C(GORDON_FILTER_KEEP) C(GORDON_FILTER_VETO) C(GORDON_FILTER_TIGHTEN) \
    C(GORDON_BREAKER_OK) C(GORDON_BREAKER_WARN) C(GORDON_BREAKER_TRIPPED)                      \
    C(GORDON_PARAM_INT) C(GORDON_PARAM_DOUBLE) C(GORDON_PARAM_BOOL) C(GORDON_PARAM_STRING)

/* The table as built against the 1.0 header (layout.c); ends with a NULL type. */
extern const gd_sdk_item gd_sdk10_items[];

#endif
