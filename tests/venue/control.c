/* The test control API under /_venue/ (not Binance): prices, time, faults
 * and a state dump. Parameters as query string or form body. */
#include "venue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Designated, so a kind added to the enum cannot shift the names. */
static const char *const fault_names[VF_KINDS] = {
    [VF_HTTP500] = "http500",
    [VF_HTTP503] = "http503",
    [VF_TIMEOUT] = "timeout",
    [VF_DROP] = "drop",
    [VF_HOLD_APPLIED] = "timeout_applied",
    [VF_BACKEND] = "backend_timeout",
    [VF_BAN] = "ban",
    [VF_SKEW] = "skew",
    [VF_RATELIMIT] = "ratelimit",
    [VF_MARGIN] = "margin",
    [VF_IMMEDIATE] = "immediate",
    [VF_MIN_NOTIONAL] = "min_notional",
    [VF_REJECT_STOP] = "reject_stop",
    [VF_STUCK] = "stuck_triggering",
    [VF_PARTIAL] = "partial",
    [VF_WS_DROP] = "ws_drop",
    [VF_WS_SILENT] = "ws_silent",
    [VF_LISTEN_KEY_EXPIRE] = "listen_key_expire",
};

const char *vn_fault_name(int kind)
{
    return kind >= 0 && kind < VF_KINDS && fault_names[kind] ? fault_names[kind] : "?";
}

/* Business faults act inside one endpoint's handler: their default path. */
static const char *default_path(int kind)
{
    switch (kind) {
    case VF_MARGIN:
    case VF_MIN_NOTIONAL:
    case VF_PARTIAL: return "/fapi/v1/order";
    case VF_IMMEDIATE:
    case VF_REJECT_STOP:
    case VF_STUCK: return "/fapi/v1/algoOrder";
    default: return "";
    }
}

vn_fault *vn_fault_take(vn_venue *v, const vn_request *r, int business)
{
    for (size_t i = 0; i < v->nfaults; i++) {
        vn_fault *f = &v->faults[i];
        int is_business = f->kind >= VF_MARGIN;
        if (f->count <= 0 || is_business != business)
            continue;
        if (f->path[0] && strcmp(f->path, r->path) != 0)
            continue;
        if (f->method[0] && strcmp(f->method, r->method) != 0)
            continue;
        if (is_business && strcmp(r->method, "POST") != 0)
            continue;
        f->count--;
        vn_fault *hit = f;
        static vn_fault last; /* the rule may be compacted away below */
        last = *hit;
        if (f->count == 0) {
            memmove(f, f + 1, (v->nfaults - i - 1) * sizeof(*f));
            v->nfaults--;
        }
        return &last;
    }
    return NULL;
}

static void ok(vn_venue *v, vn_response *out) { vn_json(out, 200, vn_state_json(v)); }

/* The user-data stream's faults act now: they are not matched to requests. */
static void ws_fault(vn_venue *v, const vn_request *r, int k, vn_response *out)
{
    if (k == VF_WS_DROP) {
        vn_ws_drop_all();
    } else if (k == VF_WS_SILENT) {
        const char *c = vn_param_get(r, "count");
        int n = c ? atoi(c) : 1;
        if (n <= 0) {
            vn_error(out, 400, -1, "count: a positive integer");
            return;
        }
        v->ws_silent = n; /* the next n events are lost, as across a real drop */
    } else {
        if (!v->listen_key[0]) {
            vn_error(out, 400, -1, "no listen key to expire");
            return;
        }
        v->listen_key_expiry = vn_now_ms(v); /* PUT now answers -1125 */
        vn_ws_check(v);
    }
    ok(v, out);
}

static void fault_add(vn_venue *v, const vn_request *r, vn_response *out)
{
    const char *kind = vn_param_get(r, "kind");
    int k = -1;
    for (int i = 0; kind && i < VF_KINDS; i++)
        if (fault_names[i] && !strcmp(kind, fault_names[i]))
            k = i;
    if (k < 0) {
        vn_error(out, 400, -1,
                 "kind: one of http500 http503 timeout drop timeout_applied backend_timeout ban skew ratelimit margin "
                 "immediate "
                 "min_notional reject_stop stuck_triggering partial ws_drop ws_silent listen_key_expire");
        return;
    }
    if (k == VF_WS_DROP || k == VF_WS_SILENT || k == VF_LISTEN_KEY_EXPIRE) {
        ws_fault(v, r, k, out);
        return;
    }
    if (v->nfaults == VN_FAULTS_MAX) {
        vn_error(out, 400, -1, "too many fault rules queued");
        return;
    }
    vn_fault *f = &v->faults[v->nfaults];
    memset(f, 0, sizeof(*f));
    f->kind = k;
    const char *c = vn_param_get(r, "count"), *p = vn_param_get(r, "path"), *m = vn_param_get(r, "method");
    const char *ra = vn_param_get(r, "retry_after"), *fr = vn_param_get(r, "fraction");
    f->count = c ? atoi(c) : 1;
    if (f->count <= 0) {
        vn_error(out, 400, -1, "count: a positive integer");
        return;
    }
    snprintf(f->path, sizeof(f->path), "%s", p ? p : default_path(k));
    snprintf(f->method, sizeof(f->method), "%s", m ? m : "");
    f->retry_after = ra ? atoi(ra) : 1;
    f->fraction = fr ? strtod(fr, NULL) : 0.5;
    f->expire = vn_param_get(r, "expire") && !strcmp(vn_param_get(r, "expire"), "1");
    if (k == VF_PARTIAL && !(f->fraction > 0 && f->fraction < 1)) {
        vn_error(out, 400, -1, "fraction: between 0 and 1");
        return;
    }
    v->nfaults++;
    ok(v, out);
}

static void price(vn_venue *v, const vn_request *r, vn_response *out)
{
    int si;
    const char *p = vn_param_get(r, "price"), *m = vn_param_get(r, "mark");
    if (!vn_symbol_find(v, vn_param_get(r, "symbol"), &si)) {
        vn_error(out, 400, -1121, "Invalid symbol.");
        return;
    }
    double px = p ? strtod(p, NULL) : v->sym[si].price;
    double mk = m ? strtod(m, NULL) : (p ? px : v->sym[si].mark);
    if (!(px > 0) || !(mk > 0)) {
        vn_error(out, 400, -1, "price and mark: positive numbers");
        return;
    }
    vn_set_mark(v, si, px, mk);
    ok(v, out);
}

void vn_control(vn_venue *v, vn_request *r, vn_response *out)
{
    if (!strcmp(r->path, "/_venue/state")) {
        ok(v, out);
    } else if (!strcmp(r->path, "/_venue/price") && !strcmp(r->method, "POST")) {
        price(v, r, out);
    } else if (!strcmp(r->path, "/_venue/advance") && !strcmp(r->method, "POST")) {
        const char *ms = vn_param_get(r, "ms");
        v->clock_offset_ms += ms ? strtoll(ms, NULL, 10) : 0;
        vn_path_apply(v);
        vn_check_triggers(v);
        vn_ws_check(v); /* the 24 h cut and listen key expiry, in venue time */
        ok(v, out);
    } else if (!strcmp(r->path, "/_venue/market") && !strcmp(r->method, "POST")) {
        vn_market_control(v, r, out);
    } else if (!strcmp(r->path, "/_venue/fault") && !strcmp(r->method, "POST")) {
        fault_add(v, r, out);
    } else if (!strcmp(r->path, "/_venue/faults") && !strcmp(r->method, "DELETE")) {
        v->nfaults = 0;
        ok(v, out);
    } else if (!strcmp(r->path, "/_venue/release") && !strcmp(r->method, "POST")) {
        /* a stuck TRIGGERING stop goes on and fills, as a late venue would */
        for (size_t i = 0; i < v->nalgos; i++)
            if (!strcmp(v->algos[i].status, "TRIGGERING")) {
                v->algos[i].stuck = 0;
                snprintf(v->algos[i].status, sizeof(v->algos[i].status), "NEW");
                v->algos[i].update_time = vn_now_ms(v);
                vn_ev_algo(v, &v->algos[i]);
            }
        vn_check_triggers(v);
        ok(v, out);
    } else {
        vn_error(out, 404, -1, "control: GET state, POST price|advance|market|fault|release, DELETE faults");
    }
}
