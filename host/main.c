/* gordon: the command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/sdk.h>

#include "config.h"
#include "loader.h"
#include "log.h"
#include "run.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gordon <command> [options]\n"
            "\n"
            "commands:\n"
            "  run --config FILE [--confd DIR] [--plugin-dir DIR] [--intent-log PATH] [--quiet]\n"
            "        replay the configured market data through the strategies, overlays,\n"
            "        breakers and the host's risk pipeline; print a summary\n"
            "  plugin check FILE.so...\n"
            "        audit a plugin offline (ELF imports, ABI, descriptor) and describe it\n"
            "  version | --version\n"
            "\n"
            "Environment overrides: GORDON_<SECTION>_<KEY>, e.g. GORDON_EXECUTOR_SL_REQUIRED=true.\n");
}

static int cmd_version(void)
{
    printf("gordon %s (%s), SDK ABI %d.%d\n", GD_VERSION, GD_GIT_DESCRIBE, GORDON_SDK_ABI_MAJOR,
           GORDON_SDK_ABI_MINOR);
    return 0;
}

static int cmd_plugin_check(int argc, char **argv)
{
    int bad = 0;
    if (argc < 1) {
        fprintf(stderr, "gordon plugin check: name at least one .so file\n");
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        gd_plugin_lib lib;
        gd_err err;
        int rc = gd_loader_open(argv[i], &lib, &err);
        if (rc) {
            fprintf(stderr, "%s: REFUSED: %s\n", argv[i], err.msg);
            bad = 1;
            continue;
        }
        gd_loader_describe(&lib, stdout);
        printf("%s: OK\n", argv[i]);
        gd_loader_close(&lib);
    }
    return bad;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},  {"confd", required_argument, NULL, 'd'},
        {"plugin-dir", required_argument, NULL, 'p'}, {"intent-log", required_argument, NULL, 'i'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *confd = NULL, *plugin_dir = NULL, *intent_log = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:d:p:i:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'd': confd = optarg; break;
        case 'p': plugin_dir = optarg; break;
        case 'i': intent_log = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gordon run: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!config)
        config = getenv("GORDON_CONFIG");

    gd_config cfg;
    gd_err err;
    int rc = gd_config_load(config, confd, &cfg, &err);
    if (rc) {
        fprintf(stderr, "gordon: configuration error: %s\n", err.msg);
        return 1;
    }
    int level = cfg.log_level ? gd_log_level_parse(cfg.log_level) : GD_LOG_INFO;
    gd_log_init(stderr, quiet ? GD_LOG_WARN : (level < 0 ? GD_LOG_INFO : level));

    char dirbuf[4096];
    gd_run_opts ro;
    gd_run_result res;
    memset(&ro, 0, sizeof ro);
    ro.cfg = &cfg;
    ro.plugin_dir = plugin_dir ? plugin_dir : gd_default_plugin_dir(&cfg, dirbuf, sizeof dirbuf);
    ro.intent_log = intent_log;
    ro.summary = stdout;
    if (!quiet)
        printf("gordon %s: mode %s, %zu symbol(s), %zu plugin section(s), risk %.2f%% per trade\n",
               GD_VERSION, gd_mode_name(cfg.mode), cfg.n_data, cfg.n_plugins, cfg.risk_pct);
    rc = gd_run_replay(&ro, &res, &err);
    gd_config_free(&cfg);
    if (rc) {
        fprintf(stderr, "gordon: %s\n", err.msg);
        return 1;
    }
    return res.interrupted ? 130 : 0;
}

int main(int argc, char **argv)
{
    gd_log_init(stderr, GD_LOG_INFO);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0)
        return cmd_version();
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "plugin") == 0 && argc >= 3 && strcmp(argv[2], "check") == 0)
        return cmd_plugin_check(argc - 3, argv + 3);
    fprintf(stderr, "gordon: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
