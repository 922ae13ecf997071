/* Emergency flatten: the latch, then a reduce-only market order for every
 * open position and the cancellation of every pending entry. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/names.h"

int gd_engine_flatten(gd_engine *e, const char *who, const char *why, char **json)
{
    int failures = 0;
    char hw[256];
    snprintf(hw, sizeof hw, "emergency flatten: %s", why);
    (void)gd_engine_halt(e, who, hw, NULL); /* set in memory whatever the disk says */
    cJSON *root = cJSON_CreateObject();
    cJSON *sent = cJSON_AddArrayToObject(root, "closed");
    cJSON *errs = cJSON_AddArrayToObject(root, "errors");
    for (uint32_t k = 0; k < e->n_slots; k++)
        for (uint32_t s = 0; s < e->n_symbols; s++) {
            const gd_position *p;
            gd_slot_orders so;
            if (!gd_engine_slot_holds(e, k, s, &p, &so))
                continue;
            if (so.exit_pending && !so.entry_pending)
                continue; /* already on its way out */
            gd_order o;
            gd_err err;
            gd_intent it;
            memset(&o, 0, sizeof o);
            memset(&it, 0, sizeof it);
            gd_engine_ensure_id(e);
            it.id = e->pipe.next_id++;
            it.time_ms = e->now_ms;
            it.strategy = k;
            it.symbol = s;
            it.action = GORDON_ACTION_EXIT;
            it.side = p->side;
            it.qty = p->qty;
            snprintf(it.tag, sizeof it.tag, "emergency-flatten");
            o.intent_id = it.id;
            o.owner = k;
            o.symbol = s;
            o.kind = GD_ORDER_FLATTEN;
            o.ref_price = e->book.mark[s];
            o.time_ms = e->now_ms;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "strategy", e->slot_names[k]);
            cJSON_AddStringToObject(x, "symbol", e->symbols[s]);
            cJSON_AddStringToObject(x, "side", gd_side_name(p->side));
            cJSON_AddNumberToObject(x, "qty", p->qty);
            if (gd_engine_submit(e, &o, &it, &err) != 0) {
                failures++;
                e->ctr.flatten_failed++;
                it.result = GORDON_REJECT_EXECUTOR;
                snprintf(it.detail, sizeof it.detail, "flatten failed: %.130s", err.msg);
                cJSON_AddStringToObject(x, "error", err.msg);
                cJSON_AddItemToArray(errs, x);
            } else {
                e->ctr.orders[GD_ORDER_FLATTEN]++;
                e->ctr.flatten_ok++;
                e->slot_ref[(size_t)k * e->n_symbols + s] = e->book.mark[s];
                snprintf(it.detail, sizeof it.detail, "emergency flatten by %.100s", who);
                cJSON_AddStringToObject(x, "order", p->side ? "reduce-only market" : "pending entry cancelled");
                cJSON_AddItemToArray(sent, x);
            }
            gd_engine_record(e, &it);
        }
    char f[64];
    snprintf(f, sizeof f, "\"orders\":%d,\"failures\":%d", cJSON_GetArraySize(sent), failures);
    gd_halt_audit(&e->halt, "flatten", who, why, e->now_ms, f);
    cJSON_AddBoolToObject(root, "halted", 1);
    cJSON_AddBoolToObject(root, "persisted", e->halt.state != NULL && e->halt.persisted);
    if (e->halt.store_error[0])
        cJSON_AddStringToObject(root, "store_error", e->halt.store_error);
    if (json)
        *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return failures;
}
