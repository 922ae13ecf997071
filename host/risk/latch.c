#include "risk/latch.h"

#include <stdio.h>
#include <string.h>

#include "base/dates.h"
#include "base/json.h"
#include "base/log.h"

void gd_halt_audit(const gd_halt *h, const char *event, const char *who, const char *why, int64_t bar_ms,
                   const char *fields)
{
    char f[768], w1[128], w2[400];
    gd_json_escape(w1, sizeof w1, who);
    gd_json_escape(w2, sizeof w2, why);
    snprintf(f, sizeof f, "\"event\":\"%s\",\"who\":\"%s\",\"why\":\"%s\",\"bar_ms\":%lld%s%s", event, w1, w2,
             (long long)bar_ms, fields ? "," : "", fields ? fields : "");
    gd_log(GD_LOG_WARN, "risk", f, "%s by %s", event, who);
    if (h->state) {
        gd_err err;
        if (gd_state_audit(h->state, event, who, why, gd_wall_ms(), fields, &err) != 0) {
            ((gd_halt *)h)->write_failures++;
            gd_log(GD_LOG_ERROR, "state", NULL, "audit record lost: %s", err.msg);
        }
    }
    if (h->on_event)
        h->on_event(h->event_arg, event, who, why, fields);
}

/* The in-memory latch as the store's record. */
static void to_record(const gd_halt *h, const char *who, const char *why, gd_latch *l)
{
    memset(l, 0, sizeof *l);
    l->halted = h->halted;
    l->since_ms = h->since_ms;
    snprintf(l->who, sizeof l->who, "%s", who);
    snprintf(l->why, sizeof l->why, "%s", why);
}

static int persist(gd_halt *h, const gd_latch *l, gd_err *err)
{
    if (gd_state_set_latch(h->state, l, err) == 0) {
        h->persisted = 1;
        h->store_error[0] = '\0';
        return 0;
    }
    h->persisted = 0;
    h->write_failures++;
    snprintf(h->store_error, sizeof h->store_error, "%s", err->msg);
    return GD_EIO;
}

int gd_halt_sync(gd_halt *h, gd_err *err)
{
    gd_err local;
    if (!err)
        err = &local;
    if (!h->state || h->persisted)
        return 0;
    gd_latch l;
    /* Only a set latch can be behind: a clear is never applied unless written. */
    to_record(h, h->who, h->why, &l);
    int rc = persist(h, &l, err);
    if (rc == 0)
        gd_log(GD_LOG_WARN, "state", NULL, "halt latch now persisted (it was set while the store failed)");
    return rc;
}

/* "who: why" for people, cut at a character boundary. */
static void set_reason(gd_halt *h, const char *suffix)
{
    char full[sizeof h->who + sizeof h->why + 16];
    snprintf(full, sizeof full, "%s: %s%s", h->who, h->why, suffix);
    gd_utf8_copy(h->reason, sizeof h->reason, full);
}

void gd_halt_attach(gd_halt *h, gd_state *st)
{
    h->state = st;
    h->persisted = st != NULL && st->latch.halted == h->halted;
    if (st && st->latch.halted && !h->halted) {
        h->persisted = 1;
        h->halted = 1;
        h->since_ms = st->latch.since_ms;
        gd_utf8_copy(h->who, sizeof h->who, st->latch.who);
        gd_utf8_copy(h->why, sizeof h->why, st->latch.why);
        set_reason(h, " (restored)");
    }
}

int gd_halt_set(gd_halt *h, const char *who, const char *why, int64_t bar_ms, gd_err *err)
{
    gd_err local;
    int rc = 0;
    if (!err)
        err = &local;
    if (h->halted)
        return gd_halt_sync(h, err);
    h->halted = 1;
    h->since_ms = gd_wall_ms();
    gd_utf8_copy(h->who, sizeof h->who, who);
    gd_utf8_copy(h->why, sizeof h->why, why);
    set_reason(h, "");
    who = h->who;
    why = h->why;
    if (h->state) {
        gd_latch l;
        to_record(h, who, why, &l);
        rc = persist(h, &l, err);
        if (rc)
            gd_log(GD_LOG_ERROR, "state", NULL, "halt latch set in memory but NOT persisted: %s", err->msg);
    }
    gd_halt_audit(h, "halt", who, why, bar_ms, NULL);
    return rc;
}

int gd_halt_clear(gd_halt *h, const char *event, const char *who, const char *why, int64_t bar_ms, gd_err *err)
{
    if (!h->halted)
        return 0;
    if (h->state) {
        gd_latch l;
        memset(&l, 0, sizeof l);
        l.since_ms = gd_wall_ms();
        snprintf(l.who, sizeof l.who, "%s", who);
        snprintf(l.why, sizeof l.why, "%s", why);
        /* Not cleared in memory unless it is cleared on disk too. */
        if (gd_state_set_latch(h->state, &l, err) != 0) {
            h->write_failures++;
            return GD_EIO;
        }
        h->persisted = 1;
        h->store_error[0] = '\0';
    }
    h->halted = 0;
    h->reason[0] = h->who[0] = h->why[0] = '\0';
    gd_halt_audit(h, event, who, why, bar_ms, NULL);
    return 0;
}
