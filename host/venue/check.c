#include "venue/check.h"

#include <inttypes.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "venue/profile.h"
#include "venue/rest.h"
#include "venue/sign.h"

typedef struct step {
    int done;
    int rc;
    int64_t offset;
    gd_rest_outcome outcome;
    long status;
    int code;
    char msg[256];
    cJSON *json;
} step;

static void on_clock(void *arg, int rc, int64_t offset)
{
    step *s = arg;
    s->rc = rc;
    s->offset = offset;
    s->done = 1;
}

static void on_reply(void *arg, const gd_rest_reply *r)
{
    step *s = arg;
    s->outcome = r->outcome;
    s->status = r->status;
    s->code = r->code;
    snprintf(s->msg, sizeof s->msg, "%s", r->msg);
    s->json = r->outcome == GD_REST_OK ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    s->done = 1;
}

static void wait_step(uv_loop_t *loop, const step *s)
{
    while (!s->done && uv_run(loop, UV_RUN_ONCE))
        ;
}

static int call(uv_loop_t *loop, gd_rest *r, const char *path, const char *params, int sign, step *s, gd_err *err)
{
    memset(s, 0, sizeof *s);
    int rc = gd_rest_call(r, "GET", path, params, sign, on_reply, s, err);
    if (rc)
        return rc;
    wait_step(loop, s);
    if (s->outcome != GD_REST_OK) {
        if (!s->status)
            return gd_err_set(err, GD_EIO, "%s: no answer: %s", path, s->msg);
        return gd_err_set(err, GD_EIO, "%s: HTTP %ld, code %d: %s", path, s->status, s->code, s->msg);
    }
    if (!s->json)
        return gd_err_set(err, GD_EIO, "%s: the reply is not JSON", path);
    return 0;
}

static int symbols(const gd_config *cfg, const cJSON *info, FILE *out, gd_err *err)
{
    const cJSON *syms = cJSON_GetObjectItemCaseSensitive(info, "symbols");
    if (!cJSON_IsArray(syms))
        return gd_err_set(err, GD_EIO, "/fapi/v1/exchangeInfo: no symbols array");
    fprintf(out, "instruments   %d listed\n", cJSON_GetArraySize(syms));
    for (size_t i = 0; i < cfg->n_data; i++) {
        const char *want = cfg->data[i].symbol;
        const cJSON *hit = NULL, *it;
        cJSON_ArrayForEach(it, syms)
        {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "symbol");
            if (cJSON_IsString(n) && !strcmp(n->valuestring, want))
                hit = it;
        }
        if (!hit)
            return gd_err_set(err, GD_EINVAL, "%s is not listed on the venue", want);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(hit, "status");
        fprintf(out, "  %-12s %s\n", want, cJSON_IsString(st) ? st->valuestring : "?");
    }
    return 0;
}

int gd_venue_check(const gd_config *cfg, FILE *out, gd_err *err)
{
    gd_venue_endpoints ep;
    gd_signer *signer = NULL;
    gd_rest *rest = NULL;
    uv_loop_t loop;
    int loop_ok = 0, rc;
    step s = {0};
    if ((rc = gd_venue_endpoints_get(cfg, &ep, err)) != 0)
        return rc;
    fprintf(out, "profile       %s: %s, %s%s\n", ep.profile, ep.rest, ep.ws, ep.overridden ? " (overridden)" : "");
    if (cfg->venue_key_file) {
        gd_sign_kind kind = cfg->venue_key_type && !strcmp(cfg->venue_key_type, "ed25519") ? GD_SIGN_ED25519
                                                                                          : GD_SIGN_HMAC;
        if ((rc = gd_signer_load_file(kind, cfg->venue_key_file, &signer, err)) != 0)
            return rc;
        if (!cfg->venue_api_key || !cfg->venue_api_key[0]) {
            rc = gd_err_set(err, GD_EINVAL, "[venue] key_file is set but no API key ([venue] api_key or "
                            "GORDON_VENUE_API_KEY)");
            goto out;
        }
    }
    if (uv_loop_init(&loop) != 0) {
        rc = gd_err_set(err, GD_EIO, "uv_loop_init failed");
        goto out;
    }
    loop_ok = 1;
    gd_rest_opts o = {&loop, ep.rest, cfg->venue_api_key, signer, cfg->venue_timeout_ms, cfg->venue_recv_window_ms};
    if ((rc = gd_rest_new(&o, &rest, err)) != 0)
        goto out;
    if ((rc = gd_rest_sync_clock(rest, 5, on_clock, &s, err)) != 0)
        goto out;
    wait_step(&loop, &s);
    if (s.rc) {
        rc = gd_err_set(err, GD_EIO, "GET %s/fapi/v1/time: fewer than half of 5 samples answered (last: %s)", ep.rest,
                        gd_rest_clock_why(rest));
        goto out;
    }
    fprintf(out, "server time   %+" PRId64 " ms from ours (median of 5 round trips)\n", s.offset);
    if ((rc = call(&loop, rest, "/fapi/v1/exchangeInfo", "", 0, &s, err)) != 0)
        goto out;
    rc = symbols(cfg, s.json, out, err);
    cJSON_Delete(s.json);
    if (rc)
        goto out;
    if (!signer) {
        fprintf(out, "account       not checked: no key ([venue] key_file)\n");
        goto out;
    }
    if ((rc = call(&loop, rest, "/fapi/v1/positionSide/dual", "", 1, &s, err)) != 0)
        goto out;
    const cJSON *dual = cJSON_GetObjectItemCaseSensitive(s.json, "dualSidePosition");
    int hedge = cJSON_IsTrue(dual);
    cJSON_Delete(s.json);
    if (hedge) {
        rc = gd_err_set(err, GD_EINVAL, "the account is in hedge mode: gordon needs one-way position mode "
                        "(Binance: Preferences > Position Mode > One-way)");
        goto out;
    }
    fprintf(out, "position mode one-way\n");
    if ((rc = call(&loop, rest, "/fapi/v2/account", "", 1, &s, err)) != 0)
        goto out;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(s.json, "totalWalletBalance");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(s.json, "availableBalance");
    fprintf(out, "account       wallet %s, available %s\n", cJSON_IsString(w) ? w->valuestring : "?",
            cJSON_IsString(a) ? a->valuestring : "?");
    cJSON_Delete(s.json);
out:
    if (rest)
        gd_rest_close(rest);
    if (loop_ok) {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    gd_signer_free(signer);
    return rc;
}
