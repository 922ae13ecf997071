#include "venue/rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "risk/instr.h"

double gd_venue_num(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return isfinite(v->valuedouble) ? v->valuedouble : NAN;
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end;
        double d = strtod(v->valuestring, &end);
        if (*end == '\0' && isfinite(d))
            return d;
    }
    return NAN;
}

static double num(const cJSON *o, const char *key) { return gd_venue_num(cJSON_GetObjectItemCaseSensitive(o, key)); }

int gd_venue_rules_parse(const cJSON *it, const char *name, gd_venue_rules *out, char *why, size_t cap)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "status");
    const char *status = cJSON_IsString(st) ? st->valuestring : NULL;
    memset(out, 0, sizeof *out);
    if (!status || strcmp(status, "TRADING") != 0) {
        snprintf(why, cap, "%s is %.32s on the venue, not TRADING", name, status ? status : "without a status");
        return -1;
    }
    double tick = NAN, step = NAN, minq = NAN, maxq = INFINITY, notional = 0.0;
    double mstep = NAN, mminq = NAN, mmaxq = INFINITY;
    const cJSON *f, *filters = cJSON_GetObjectItemCaseSensitive(it, "filters");
    cJSON_ArrayForEach(f, filters)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "filterType");
        if (!cJSON_IsString(t))
            continue;
        if (!strcmp(t->valuestring, "PRICE_FILTER"))
            tick = num(f, "tickSize");
        else if (!strcmp(t->valuestring, "LOT_SIZE"))
            step = num(f, "stepSize"), minq = num(f, "minQty"), maxq = num(f, "maxQty");
        else if (!strcmp(t->valuestring, "MARKET_LOT_SIZE"))
            mstep = num(f, "stepSize"), mminq = num(f, "minQty"), mmaxq = num(f, "maxQty");
        else if (!strcmp(t->valuestring, "MIN_NOTIONAL"))
            notional = num(f, "notional");
    }
    if (mstep > 0.0 && !(mstep <= step))
        step = mstep;
    if (mminq > minq)
        minq = mminq;
    if (mmaxq > 0.0 && mmaxq < maxq)
        maxq = mmaxq;
    if (!(tick > 0.0) || !(step > 0.0) || !(minq >= 0.0) || !(notional >= 0.0) || !isfinite(tick) || !isfinite(step) ||
        !isfinite(minq) || !isfinite(notional)) {
        snprintf(why, cap,
                 "%s: exchangeInfo lacks a usable PRICE_FILTER tickSize, LOT_SIZE stepSize/minQty or "
                 "MIN_NOTIONAL notional",
                 name);
        return -1;
    }
    out->tick = tick;
    out->step = step;
    out->min_qty = minq;
    out->min_notional = notional;
    out->max_qty = maxq > 0.0 && isfinite(maxq) ? maxq : INFINITY;
    double tp = num(it, "triggerProtect");
    out->trigger_protect = isfinite(tp) && tp > 0.0 && tp < 1.0 ? tp : 0.0;
    out->price_dec = gd_step_decimals(tick);
    out->qty_dec = gd_step_decimals(step);
    return 0;
}
