/* Unit tests for gd_config_json: the configuration a record carries. Every
 * value the sections hold, none of the others, never a secret. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "tmpdir.h"

static char g_path[PATH_MAX];
static char *const g_env[] = {"GORDON_DB_DSN=host=db password=envs3cret", NULL};

static const char g_ini[] = "[gordon]\nmode = backtest\n"
                            "[risk]\nequity = 2500.5\nrisk_pct = 0.25\n"
                            "[replay]\ndata = BTCUSDT:/data/btc.csv, ETHUSDT:/data/eth.csv\n"
                            "[http]\nlisten = 127.0.0.1:8080\n"
                            "[fred]\napi_key = fredS3cret\n"
                            "[backup]\nrestic_repository = rest:https://u:resticS3cret@h/r\n"
                            "[instrument.BTCUSDT]\ntick_size = 0.1\nstep_size = 0.001\n"
                            "[strategy.ema]\nplugin = ema_cross\nfast = 12\nsymbols = BTCUSDT\n"
                            "[overlay.trend]\nplugin = trend_filter\nenabled = false\n"
                            "[ablate]\ntrain = 90d\nrange.fast = 5:20:5\n";

static int setup(void **state)
{
    (void)state;
    int fd = gd_test_tmpfile(g_path, sizeof g_path, "gd_test_cfgjson");
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (!f || fputs(g_ini, f) == EOF || fclose(f) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return unlink(g_path);
}

static cJSON *export(const gd_config *cfg, unsigned sections, char **text)
{
    gd_err err;
    int rc = gd_config_json(cfg, sections, text, &err);
    if (rc)
        fail_msg("gd_config_json: %s", err.msg);
    cJSON *j = cJSON_Parse(*text);
    assert_non_null(j);
    return j;
}

static void test_sections_and_values(void **state)
{
    gd_config cfg;
    gd_err err;
    char *text;
    (void)state;
    assert_int_equal(gd_config_load_env(g_path, NULL, g_env, &cfg, &err), 0);
    unsigned run = GD_CFG_JSON_GORDON | GD_CFG_JSON_RISK | GD_CFG_JSON_EXECUTOR | GD_CFG_JSON_REPLAY |
                   GD_CFG_JSON_INSTRUMENTS | GD_CFG_JSON_PLUGINS | GD_CFG_JSON_ABLATE;
    cJSON *j = export(&cfg, run, &text);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "gordon"), "mode")->valuestring, "backtest");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "gordon"), "state_dir")));
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "risk"), "equity")->valuedouble == 2500.5);
    /* defaults are effective values too */
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "executor"), "fee_bps")->valuedouble == 4);
    cJSON *data = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "replay"), "data");
    assert_int_equal(cJSON_GetArraySize(data), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 1), "symbol")->valuestring, "ETHUSDT");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 1), "path")->valuestring, "/data/eth.csv");
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "instrument.BTCUSDT"), "tick_size")->valuedouble == 0.1);
    cJSON *ema = cJSON_GetObjectItem(j, "strategy.ema");
    assert_string_equal(cJSON_GetObjectItem(ema, "plugin")->valuestring, "ema_cross");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(ema, "params"), "fast")->valuestring, "12");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(ema, "symbols"), 0)->valuestring, "BTCUSDT");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "overlay.trend"), "enabled")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "overlay.trend"), "symbols")));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ablate"), "range.fast")->valuestring, "5:20:5");
    /* sections not asked for are absent */
    assert_null(cJSON_GetObjectItem(j, "http"));
    assert_null(cJSON_GetObjectItem(j, "db"));
    /* the same configuration, the same text */
    char *again;
    cJSON_Delete(export(&cfg, run, &again));
    assert_string_equal(text, again);
    free(again);
    free(text);
    cJSON_Delete(j);
    gd_config_free(&cfg);
}

static void test_never_a_secret(void **state)
{
    gd_config cfg;
    gd_err err;
    char *text;
    (void)state;
    assert_int_equal(gd_config_load_env(g_path, NULL, g_env, &cfg, &err), 0);
    assert_non_null(cfg.db_dsn); /* loaded, so leaving it out is the exporter's doing */
    cJSON *j = export(&cfg, ~0u, &text);
    assert_non_null(cJSON_GetObjectItem(j, "db"));
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "db"), "dsn"));
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "db"), "connect_timeout_ms"));
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "fred"), "api_key"));
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "backup"), "restic_repository"));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "http"), "listen")->valuestring, "127.0.0.1:8080");
    assert_null(strstr(text, "s3cret"));
    assert_null(strstr(text, "S3cret"));
    free(text);
    cJSON_Delete(j);
    gd_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sections_and_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_a_secret, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
