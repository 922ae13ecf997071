/* Emergency flatten: the latch, then a reduce-only market order for every
 * open position and the cancellation of every pending entry. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/names.h"

/* Positions are closed a chunk at a time: one journal sync for the chunk
 * (a flatten must not wait for a disk flush per position), then each order
 * sent and recorded as it ended. On the stack (~25 KB): a flatten needs no
 * memory it may not get. */
#define FLATTEN_CHUNK 16

typedef struct flat_chunk {
    gd_order o[FLATTEN_CHUNK];
    gd_intent it[FLATTEN_CHUNK];
    int rcs[FLATTEN_CHUNK];
    gd_err errs[FLATTEN_CHUNK];
    uint32_t n;
} flat_chunk;

static int send_chunk(gd_engine *e, flat_chunk *c, const char *who, cJSON *sent, cJSON *errs)
{
    int failures = 0;
    gd_engine_submit_all(e, c->o, c->it, c->n, c->rcs, c->errs);
    for (uint32_t i = 0; i < c->n; i++) {
        gd_intent *it = &c->it[i];
        uint32_t k = it->strategy, s = it->symbol;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "strategy", e->slot_names[k]);
        cJSON_AddStringToObject(x, "symbol", e->symbols[s]);
        cJSON_AddStringToObject(x, "side", gd_side_name(it->side));
        cJSON_AddNumberToObject(x, "qty", it->qty);
        if (c->rcs[i] != 0) {
            failures++;
            e->ctr.flatten_failed++;
            it->result = GORDON_REJECT_EXECUTOR;
            snprintf(it->detail, sizeof it->detail, "flatten failed: %.130s", c->errs[i].msg);
            cJSON_AddStringToObject(x, "error", c->errs[i].msg);
            cJSON_AddItemToArray(errs, x);
        } else {
            e->ctr.orders[GD_ORDER_FLATTEN]++;
            e->ctr.flatten_ok++;
            e->slot_ref[(size_t)k * e->n_symbols + s] = e->book.mark[s];
            snprintf(it->detail, sizeof it->detail, "emergency flatten by %.100s", who);
            cJSON_AddStringToObject(x, "order", it->side ? "reduce-only market" : "pending entry cancelled");
            cJSON_AddItemToArray(sent, x);
        }
        e->rec.pre_iid = it->id; /* journaled before it was sent */
        gd_engine_record(e, it);
    }
    c->n = 0;
    return failures;
}

int gd_engine_flatten(gd_engine *e, const char *who, const char *why, char **json)
{
    int failures = 0;
    char hw[256];
    snprintf(hw, sizeof hw, "emergency flatten: %s", why);
    (void)gd_engine_halt(e, who, hw, NULL); /* set in memory whatever the disk says */
    cJSON *root = cJSON_CreateObject();
    cJSON *sent = cJSON_AddArrayToObject(root, "closed");
    cJSON *errs = cJSON_AddArrayToObject(root, "errors");
    flat_chunk chunk, *c = &chunk;
    c->n = 0;
    for (uint32_t k = 0; k < e->n_slots; k++)
        for (uint32_t s = 0; s < e->n_symbols; s++) {
            const gd_position *p;
            gd_slot_orders so;
            if (!gd_engine_slot_holds(e, k, s, &p, &so))
                continue;
            if (so.exit_pending && !so.entry_pending)
                continue; /* already on its way out */
            gd_order *o = &c->o[c->n];
            gd_intent *it = &c->it[c->n];
            memset(o, 0, sizeof *o);
            memset(it, 0, sizeof *it);
            gd_engine_ensure_id(e);
            it->id = e->pipe.next_id++;
            it->time_ms = e->now_ms;
            it->strategy = k;
            it->symbol = s;
            it->action = GORDON_ACTION_EXIT;
            it->side = p->side;
            it->qty = p->qty;
            snprintf(it->tag, sizeof it->tag, "emergency-flatten");
            o->intent_id = it->id;
            o->owner = k;
            o->symbol = s;
            o->kind = GD_ORDER_FLATTEN;
            o->ref_price = e->book.mark[s];
            o->time_ms = e->now_ms;
            if (++c->n == FLATTEN_CHUNK)
                failures += send_chunk(e, c, who, sent, errs);
        }
    if (c->n)
        failures += send_chunk(e, c, who, sent, errs);
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
