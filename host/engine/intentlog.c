#include "engine/intentlog.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bgsync.h"
#include "base/json.h"
#include "base/log.h"
#include "base/names.h"

#define JSONL_BUF (1u << 20)

typedef struct jsonl {
    int fd;
    gd_bgsync *sync; /* owned, when durable: it closes fd */
    int written;     /* lines written since the last sync was asked for */
    char *path;    /* owned */
    char *buf;     /* owned, JSONL_BUF bytes */
    size_t len;
    int failed;    /* a write failed: later flushes report it */
} jsonl;

/* Numbers read back as exactly the double the host used; JSON has no
 * NaN/inf: such values (only in rejected garbage) become null. */
static size_t put_num(char *buf, size_t cap, const char *key, double v)
{
    char num[40];
    gd_json_number(num, sizeof num, v);
    return (size_t)snprintf(buf, cap, ",\"%s\":%s", key, num);
}

size_t gd_intent_format(char *buf, size_t cap, const gd_intent *it, const char *strategy,
                        const char *symbol)
{
    char tag[96], detail[400], strat[160], sym[96];
    gd_json_escape(tag, sizeof tag, it->tag);
    gd_json_escape(detail, sizeof detail, it->detail);
    gd_json_escape(strat, sizeof strat, strategy ? strategy : "");
    gd_json_escape(sym, sizeof sym, symbol ? symbol : "");
    size_t n = 0;
#define ADV(expr)                                                                                  \
    do {                                                                                           \
        size_t k_ = (expr);                                                                        \
        n += k_;                                                                                   \
    } while (0)
#define REST (n < cap ? cap - n : 0)
#define AT (n < cap ? buf + n : NULL)
    ADV((size_t)snprintf(AT, REST,
                         "{\"id\":%llu,\"ts\":%lld,\"strategy\":\"%s\",\"symbol\":\"%s\",\"action\":\"%s\","
                         "\"side\":\"%s\",\"result\":\"%s\"",
                         (unsigned long long)it->id, (long long)it->time_ms, strat, sym,
                         gd_action_name(it->action), gd_side_name(it->side),
                         it->result == GORDON_ACCEPTED ? "accepted" : "rejected"));
    if (it->result != GORDON_ACCEPTED)
        ADV((size_t)snprintf(AT, REST, ",\"reason\":\"%s\"", gd_reject_name(it->result)));
    ADV(put_num(AT, REST, "entry", it->entry));
    if (memcmp(&it->entry_claim, &it->entry, sizeof it->entry) != 0 && it->action == GORDON_ACTION_ENTRY)
        ADV(put_num(AT, REST, "entry_claim", it->entry_claim));
    ADV(put_num(AT, REST, "stop", it->stop));
    if (it->orig_stop != it->stop)
        ADV(put_num(AT, REST, "strategy_stop", it->orig_stop));
    ADV(put_num(AT, REST, "take_profit", it->take_profit));
    ADV(put_num(AT, REST, "risk_scale", it->risk_scale));
    ADV(put_num(AT, REST, "qty", it->qty));
    ADV(put_num(AT, REST, "notional", it->notional));
    if (it->capped_by)
        ADV((size_t)snprintf(AT, REST, ",\"capped_by\":\"%s\"", gd_cap_name(it->capped_by)));
    if (tag[0])
        ADV((size_t)snprintf(AT, REST, ",\"tag\":\"%s\"", tag));
    if (detail[0])
        ADV((size_t)snprintf(AT, REST, ",\"detail\":\"%s\"", detail));
    ADV((size_t)snprintf(AT, REST, "}"));
#undef ADV
#undef REST
#undef AT
    return n;
}

static int write_all(jsonl *j, gd_err *err)
{
    size_t off = 0;
    while (off < j->len) {
        ssize_t w = write(j->fd, j->buf + off, j->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            j->failed = 1;
            return gd_err_set(err, GD_EIO, "%s: write: %s", j->path, strerror(errno));
        }
        off += (size_t)w;
    }
    j->written |= j->len > 0;
    j->len = 0;
    return 0;
}

static int jsonl_flush(void *self, gd_err *err)
{
    jsonl *j = self;
    if (j->failed)
        return gd_err_set(err, GD_EIO, "%s: an earlier write failed", j->path);
    if (write_all(j, err) != 0)
        return GD_EIO;
    /* Nothing new, nothing to sync: a flush comes after every bar batch. */
    if (!j->sync || !j->written)
        return 0;
    j->written = 0;
    if (gd_bgsync_kick(j->sync, err) != 0) {
        j->failed = 1;
        return GD_EIO;
    }
    return 0;
}

static int jsonl_record(void *self, const gd_intent *it, const char *strategy, const char *symbol)
{
    jsonl *j = self;
    char line[2048];
    size_t n = gd_intent_format(line, sizeof line - 1, it, strategy, symbol);
    if (n >= sizeof line - 1)
        n = sizeof line - 2; /* cannot happen with the field caps above; stay safe */
    line[n++] = '\n';
    if (j->len + n > JSONL_BUF && write_all(j, NULL) != 0)
        return GD_EIO;
    memcpy(j->buf + j->len, line, n);
    j->len += n;
    return 0;
}

static void jsonl_close(void *self)
{
    jsonl *j = self;
    if (!j)
        return;
    /* The last lines written, not kicked: the loop may be closed by now;
     * gd_bgsync_close syncs in the call. */
    gd_err e;
    if (j->len && j->failed)
        gd_log(GD_LOG_ERROR, "intentlog", NULL, "%s: %zu bytes of intents not written: an earlier write failed",
               j->path, j->len);
    else if (j->len && write_all(j, &e) != 0)
        gd_log(GD_LOG_ERROR, "intentlog", NULL, "%s", e.msg);
    if (j->sync)
        gd_bgsync_close(j->sync); /* syncs what is left, closes fd */
    else if (j->fd >= 0)
        close(j->fd);
    free(j->buf);
    free(j->path);
    free(j);
}

static const gd_intentlog_ops jsonl_ops = {jsonl_record, jsonl_flush, jsonl_close};

int gd_intentlog_jsonl_open(const char *path, int durable, uv_loop_t *loop, gd_intentlog *out, gd_err *err)
{
    jsonl *j = calloc(1, sizeof *j);
    if (!j)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    j->fd = -1;
    j->path = strdup(path);
    j->buf = malloc(JSONL_BUF);
    if (!j->path || !j->buf) {
        jsonl_close(j);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    j->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (durable ? O_APPEND : O_TRUNC), 0640);
    if (j->fd < 0) {
        int e = errno;
        jsonl_close(j);
        return gd_err_set(err, e == ENOENT ? GD_ENOENT : GD_EIO, "intent log %s: %s", path, strerror(e));
    }
    if (durable) {
        int rc = gd_bgsync_new(loop, j->fd, "intentlog", path, &j->sync, err);
        if (rc) {
            jsonl_close(j);
            return rc;
        }
    }
    out->ops = &jsonl_ops;
    out->self = j;
    return 0;
}
