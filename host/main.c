/* gordon: the command line. */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <gordon/sdk.h>

#include "ablate/ablate.h"
#include "ablate/ablate_run.h"
#include "ablate/record.h"
#include "base/dates.h"
#include "base/file.h"
#include "base/json.h"
#include "config/config.h"
#include "data/store.h"
#include "engine/engine.h"
#include "risk/pipeline.h"
#include "risk/stage.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "daemon/run.h"
#include "db/journal.h"
#include "db/record.h"
#include "db/migrate.h"
#include "db/record_run.h"
#include "db/backup.h"
#include "db/drill.h"
#include "db/pgconn.h"
#include "db/preflight.h"
#include "daemon/breaker_hist.h"
#include "daemon/obs_check.h"
#include "db/soak.h"
#include "base/hash.h"
#include "venue/profile.h"
#include "db/migrate.h"
#include "db/spawn.h"
#include "venue/check.h"
#include "plugin/path.h"
#include "plugin/worker.h"
#include "risk/audit.h"
#include "risk/state.h"
#include "risk/token.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gordon <command> [options]\n"
            "\n"
            "commands:\n"
            "  data import --symbol SYMBOL [--interval 1h] [--layout csv|binance] IN.csv OUT.gdb\n"
            "        convert bars (or Binance's kline archive) into a bar store that run and\n"
            "        ablate read wherever a CSV file goes, memory-mapped and checked\n"
            "  run --config FILE [--confd DIR] [--plugin-dir DIR]... [--intent-log PATH] [--trades FILE.csv]\n"
            "      [--quiet] [--isolate]\n"
            "        replay the configured market data through the strategies, overlays,\n"
            "        breakers and the host's risk pipeline; print a summary on stdout (JSON log\n"
            "        lines go to stderr in backtests, to stdout in testnet and production;\n"
            "        --quiet: log warnings and errors only; --isolate: plugins in sandboxed\n"
            "        worker processes, as testnet and production always run them; --trades: one CSV\n"
            "        row per closed trade, entry to exit, with its fees, PnL and R multiple)\n"
            "  ablate --config FILE [--data SYMBOL:FILE.csv]... [--out DIR] [--jobs N] [--plugin-dir DIR]...\n"
            "         [--record [--dsn DSN]] [--shard K/N]\n"
            "        walk-forward evaluation of the strategy with every overlay toggled;\n"
            "        writes DIR/ablation.json, DIR/report.html and each configuration's\n"
            "        out-of-sample trades in DIR/trades/NAME.csv (default DIR: out/ablation);\n"
            "        --record: also one row of trading.ablation_runs (DSN, else $GORDON_DB_DSN,\n"
            "        else [db] dsn; the database is tried before the run); --shard K/N: run\n"
            "        shard K (from 0) of N and write DIR/shard-K-of-N.gdab\n"
            "  ablate merge [--config FILE] [--out DIR] [--record [--dsn DSN]] SHARD_OR_DIR...\n"
            "        the whole ablation from its N shards, byte for byte as one run would\n"
            "        write it (--config: default, the one the shards were run with)\n"
            "  check --config FILE [--confd DIR] [--plugin-dir DIR]...\n"
            "        validate the configuration and load, bind and create every plugin as\n"
            "        `run` (and a reload) would, in sandboxed workers, without trading; exit 0\n"
            "        if all is well\n"
            "  init --state-dir DIR\n"
            "        create a state directory (halt latch, audit trail, intent ids); run never\n"
            "        creates one, so a typo in state_dir fails instead of starting un-halted\n"
            "  audit verify [DIR] | --state-dir DIR | --config FILE [--confd DIR]\n"
            "        verify the hash chain of the state directory's audit trail (audit.jsonl);\n"
            "        exit 0 if it is intact, 1 naming the line where it breaks\n"
            "  journal DIR [--dump]\n"
            "        check the journal in DIR (segments, CRCs, sequence, applied mark) without\n"
            "        locking it; print a summary (--dump: every record as a JSON line on stdout,\n"
            "        the summary on stderr); exit 0 if it is sound (a torn tail is reported),\n"
            "        1 if it is damaged\n"
            "  migrate [--dsn DSN] [--migrations DIR]\n"
            "        apply migrations/NNN_name.sql in order to the database (DSN, else\n"
            "        $GORDON_DB_DSN), each once, in its own transaction, under an advisory lock;\n"
            "        an applied file that was edited, renamed or removed is refused\n"
            "  migrate [--config FILE] [--dsn DSN] [--migrations DIR]\n"
            "        apply migrations/NNN_name.sql in order to the database (--dsn, else\n"
            "        $GORDON_DB_DSN, else [db] dsn), each once, in its own transaction, under an\n"
            "        advisory lock; an applied file that was edited, renamed or removed is\n"
            "        refused. With --config and no DSN anywhere: nothing to do, exit 0\n"
            "  backup [--config FILE] [--dsn DSN]\n"
            "        snapshot schema trading (pg_dump of one consistent snapshot, with per-table\n"
            "        row counts and checksums in manifest.json) into the [backup] restic\n"
            "        repository, tagged gordon-trading; then restic forget --keep-hourly\n"
            "  restore-drill [--config FILE] [--dsn DSN] [--last | --check-age DAYS]\n"
            "        restore the latest backup into a scratch database, compare every table\n"
            "        with its manifest, drop it, record the drill in trading.restore_drills;\n"
            "        exit 0 only if all match. --last: when the last drills were;\n"
            "        --check-age DAYS: exit 1 unless an ok drill is at most DAYS old\n"
            "  venue check --config FILE [--confd DIR]\n"
            "        ask the venue of [venue] profile what trading will rely on: the server-time\n"
            "        offset, the configured symbols listed, and with [venue] key_file one-way\n"
            "        position mode and the account's balance; exit 0 if all is well\n"
            "  soak --config FILE [--duration 72h] [--dsn DSN] [--plugin-dir DIR]...\n"
            "        run the daemon in testnet mode on the venue for the duration ([soak]\n"
            "        min_hours by default), then record it in trading.soak_runs: passed or\n"
            "        failed against the gate ([soak] min_hours >= 72, min_trades >= 30, no halt,\n"
            "        breaker trip, quarantine or fill past the tolerance); exit 0 only when it\n"
            "        passed against a real Binance endpoint\n"
            "  preflight --stage micro|full --config FILE [--dsn DSN] [--plugin-dir DIR]...\n"
            "        check the pre-live checklist against the configuration that will trade and\n"
            "        the records in trading.*: each item PASS or FAIL with its evidence and date;\n"
            "        the run is recorded in trading.preflight_runs; exit 0 only if all pass\n"
            "  promote --to micro|full --config FILE [--dsn DSN]\n"
            "        promote to the next stage (GORDON_OPERATOR_TOKEN says who): refused unless\n"
            "        the stage on record is the one below, preflight passes now and, for full,\n"
            "        a month at micro passed without a halt, trip or quarantine; recorded in\n"
            "        trading.stage_promotions and state_dir/stage.json\n"
            "  stage [--state-dir DIR | --config FILE [--confd DIR]]\n"
            "        the pre-live stage on record (testnet, micro, full) and its history; a\n"
            "        [gordon] stage above it refuses to start\n"
            "  stage demote --to testnet|micro --reason TEXT [--state-dir DIR | --config FILE]\n"
            "        record a demotion (always allowed; a daemon above it will not start again)\n"
            "  token new\n"
            "        print a new operator token (once) and the line for [http] operator_token_sha256\n"
            "  plugin check FILE.so...\n"
            "        lint a plugin (ELF imports, links) and describe it; its code runs only in a\n"
            "        sandboxed worker process, never in this one\n"
            "  version | --version\n"
            "\n"
            "Environment overrides: GORDON_<SECTION>_<KEY>, e.g. GORDON_EXECUTOR_SL_REQUIRED=true.\n");
}

/* The options every command shares one parser for; each command names the
 * ones it takes. */
enum {
    OPT_CONFIG = 1 << 0,
    OPT_CONFD = 1 << 1,
    OPT_PLUGIN_DIR = 1 << 2,
    OPT_INTENT_LOG = 1 << 3,
    OPT_QUIET = 1 << 4,
    OPT_DATA = 1 << 5,
    OPT_OUT = 1 << 6,
    OPT_JOBS = 1 << 7,
    OPT_STATE_DIR = 1 << 8,
    OPT_ISOLATE = 1 << 9,
    OPT_DSN = 1 << 10,
    OPT_MIGRATIONS = 1 << 11,
    OPT_RECORD = 1 << 12,
    OPT_LAST = 1 << 13,
    OPT_CHECK_AGE = 1 << 14,
    OPT_TO = 1 << 15,
    OPT_REASON = 1 << 16,
    OPT_DURATION = 1 << 17,
    OPT_STAGE = 1 << 18,
    OPT_TRADES = 1 << 19,
    OPT_SHARD = 1 << 20,
    OPT_ARGS = 1 << 21, /* operands after the options */
};

#define CLI_MAX_DATA 64
#define CLI_MAX_PLUGIN_DIRS 16

typedef struct cli {
    const char *config, *confd, *intent_log, *out, *state_dir, *dsn, *migrations, *to, *reason, *duration, *stage;
    const char *trades;
    const char *shard;
    char **args; /* operands (OPT_ARGS), borrowed from argv */
    int n_args;
    const char *plugin_dirs[CLI_MAX_PLUGIN_DIRS]; /* --plugin-dir, repeatable: searched in this order */
    size_t n_plugin_dirs;
    char *data[CLI_MAX_DATA];
    int n_data;
    int quiet;
    int isolate;
    int record;
    long jobs;
    int last;
    long check_age; /* days; 0: not asked */
    int help;
} cli;

/* 0 to go on, else the exit status (2: bad usage; 0 after --help). */
static int parse_cli(const char *cmd, unsigned allowed, int argc, char **argv, cli *o)
{
    static const struct option all[] = {
        {"config", required_argument, NULL, 'c'},  {"confd", required_argument, NULL, 'd'},
        {"plugin-dir", required_argument, NULL, 'p'}, {"intent-log", required_argument, NULL, 'i'},
        {"quiet", no_argument, NULL, 'q'},         {"data", required_argument, NULL, 'D'},
        {"out", required_argument, NULL, 'o'},     {"jobs", required_argument, NULL, 'j'},
        {"state-dir", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {"isolate", no_argument, NULL, 'I'},
        {"dsn", required_argument, NULL, 'Q'},     {"migrations", required_argument, NULL, 'M'},
        {"record", no_argument, NULL, 'R'},
        {"last", no_argument, NULL, 'L'},          {"check-age", required_argument, NULL, 'A'},
        {"to", required_argument, NULL, 'T'},      {"reason", required_argument, NULL, 'W'},
        {"duration", required_argument, NULL, 'U'}, {"stage", required_argument, NULL, 'G'},
        {"trades", required_argument, NULL, 'X'},  {"shard", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0},
    };
    static const struct {
        int ch;
        unsigned bit;
    } bits[] = {{'c', OPT_CONFIG}, {'d', OPT_CONFD}, {'p', OPT_PLUGIN_DIR}, {'i', OPT_INTENT_LOG},
                {'q', OPT_QUIET},  {'D', OPT_DATA},  {'o', OPT_OUT},        {'j', OPT_JOBS},
                {'s', OPT_STATE_DIR}, {'I', OPT_ISOLATE}, {'Q', OPT_DSN}, {'M', OPT_MIGRATIONS},
                {'R', OPT_RECORD}, {'L', OPT_LAST},   {'A', OPT_CHECK_AGE}, {'T', OPT_TO}, {'W', OPT_REASON}, {'U', OPT_DURATION}, {'G', OPT_STAGE}, {'X', OPT_TRADES},
                {'K', OPT_SHARD}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:d:p:i:qD:o:j:s:hQ:M:", all, NULL)) != -1) {
        unsigned bit = 0;
        for (size_t k = 0; k < sizeof bits / sizeof bits[0]; k++)
            if (bits[k].ch == c)
                bit = bits[k].bit;
        if (c == 'h') {
            usage(stdout);
            o->help = 1;
            return 0;
        }
        if (c == '?' || c == ':' || !(allowed & bit)) {
            fprintf(stderr, "gordon %s: %s %s\n", cmd, c == ':' ? "option needs a value:" : "unknown option",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'd': o->confd = optarg; break;
        case 'p':
            if (o->n_plugin_dirs == CLI_MAX_PLUGIN_DIRS) {
                fprintf(stderr, "gordon %s: at most %d --plugin-dir\n", cmd, CLI_MAX_PLUGIN_DIRS);
                return 2;
            }
            o->plugin_dirs[o->n_plugin_dirs++] = optarg;
            break;
        case 'i': o->intent_log = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'I': o->isolate = 1; break;
        case 'R': o->record = 1; break;
        case 'Q': o->dsn = optarg; break;
        case 'M': o->migrations = optarg; break;
        case 'L': o->last = 1; break;
        case 'T': o->to = optarg; break;
        case 'W': o->reason = optarg; break;
        case 'U': o->duration = optarg; break;
        case 'G': o->stage = optarg; break;
        case 'X': o->trades = optarg; break;
        case 'K': o->shard = optarg; break;
        case 'o': o->out = optarg; break;
        case 's': o->state_dir = optarg; break;
        case 'D':
            if (o->n_data == CLI_MAX_DATA) {
                fprintf(stderr, "gordon %s: at most %d --data\n", cmd, CLI_MAX_DATA);
                return 2;
            }
            o->data[o->n_data++] = optarg;
            break;
        case 'A': {
            char *end;
            o->check_age = strtol(optarg, &end, 10);
            if (*end || end == optarg || o->check_age < 1 || o->check_age > 36500) {
                fprintf(stderr, "gordon %s: --check-age %s: expected days, 1..36500\n", cmd, optarg);
                return 2;
            }
            break;
        }
        case 'j': {
            char *end;
            o->jobs = strtol(optarg, &end, 10);
            if (*end || o->jobs < 1 || o->jobs > 256) {
                fprintf(stderr, "gordon %s: --jobs %s: expected 1..256\n", cmd, optarg);
                return 2;
            }
            break;
        }
        }
    }
    if (optind < argc && (allowed & OPT_ARGS)) {
        o->args = argv + optind;
        o->n_args = argc - optind;
    } else if (optind < argc) {
        fprintf(stderr, "gordon %s: unexpected argument '%s'\n", cmd, argv[optind]);
        return 2;
    }
    return 0;
}

static int cmd_version(void)
{
    printf("gordon %s (%s), SDK ABI %d.%d\n", GD_VERSION, GD_GIT_DESCRIBE, GORDON_SDK_ABI_MAJOR,
           GORDON_SDK_ABI_MINOR);
    return 0;
}

/* The files a run opens that the configuration loader does not: every
 * [replay] data file (a regular, readable file) and the intent log (run
 * creates its folder: the nearest existing one must be a writable
 * directory). 0 or a GD_E* with the path and key named. */
static int check_run_paths(const gd_config *cfg, gd_err *err)
{
    struct stat sb;
    for (size_t i = 0; i < cfg->n_data; i++) {
        const char *p = cfg->data[i].path;
        if (!p)
            continue; /* a live market's symbol */
        if (stat(p, &sb) != 0)
            return gd_err_set(err, GD_ENOENT, "[replay] data %s: %s: %s", cfg->data[i].symbol, p, strerror(errno));
        if (!S_ISREG(sb.st_mode) || access(p, R_OK) != 0)
            return gd_err_set(err, GD_EINVAL, "[replay] data %s: %s: not a readable file", cfg->data[i].symbol, p);
    }
    if (!cfg->intent_log || !cfg->intent_log[0])
        return 0;
    if (stat(cfg->intent_log, &sb) == 0)
        return S_ISREG(sb.st_mode) && access(cfg->intent_log, W_OK) == 0
                   ? 0
                   : gd_err_set(err, GD_EINVAL, "[gordon] intent_log %s: not a writable file", cfg->intent_log);
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", cfg->intent_log) >= (int)sizeof dir)
        return gd_err_set(err, GD_EINVAL, "[gordon] intent_log: path too long");
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            snprintf(dir, sizeof dir, ".");
        else if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (stat(dir, &sb) == 0)
            break;
        if (errno != ENOENT || !slash || slash == dir)
            return gd_err_set(err, GD_EINVAL, "[gordon] intent_log %s: %s: %s", cfg->intent_log, dir,
                              strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode) || access(dir, W_OK | X_OK) != 0)
        return gd_err_set(err, GD_EINVAL, "[gordon] intent_log %s: %s is not a writable directory", cfg->intent_log,
                          dir);
    return 0;
}

/* The plugin folders: every --plugin-dir in order, then (in the resolver)
 * [gordon] plugin_dir, then the bundled folder, written into bundled. The
 * author's plugins are found first and the bundled ones still are. */
static gd_plugin_dirs cli_plugin_dirs(const cli *o, char *bundled, size_t cap)
{
    gd_plugin_dirs d = {o->plugin_dirs, o->n_plugin_dirs, gd_default_plugin_dir(bundled, cap)};
    return d;
}

static int cmd_check(int argc, char **argv)
{
    cli o = {0};
    int st = parse_cli("check", OPT_CONFIG | OPT_CONFD | OPT_PLUGIN_DIR | OPT_ISOLATE, argc, argv, &o);
    if (st || o.help)
        return st;
    const char *config = o.config, *confd = o.confd;
    gd_config cfg;
    gd_err err;
    gd_log_init(stderr, GD_LOG_WARN);
    if (gd_config_load(config, confd, &cfg, &err) != 0) {
        fprintf(stderr, "gordon check: configuration error: %s\n", err.msg);
        return 1;
    }
    if (check_run_paths(&cfg, &err) != 0) {
        fprintf(stderr, "gordon check: %s\n", err.msg);
        gd_config_free(&cfg);
        return 1;
    }
    /* The same engine `run` builds (plugins linted, described, bound,
     * created), with every plugin in a sandboxed worker whatever the mode:
     * checking a plugin must not run its code here. --isolate is implied. */
    (void)o.isolate;
    cfg.iso_plugins = 1;
    const char **syms = calloc(cfg.n_data ? cfg.n_data : 1, sizeof *syms);
    char dirbuf[4096];
    gd_engine_opts eo;
    gd_engine *e = NULL;
    int rc = 1;
    if (!syms) {
        fprintf(stderr, "gordon check: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < cfg.n_data; i++)
        syms[i] = cfg.data[i].symbol;
    memset(&eo, 0, sizeof eo);
    eo.cfg = &cfg;
    eo.symbols = syms;
    eo.n_symbols = (uint32_t)cfg.n_data;
    eo.plugin_dirs = cli_plugin_dirs(&o, dirbuf, sizeof dirbuf);
    eo.series_source = cfg.fred_api_key && cfg.fred_api_key[0];
    if (gd_engine_new(&eo, &e, &err) != 0) {
        fprintf(stderr, "gordon check: %s\n", err.msg);
        goto done;
    }
    /* What run would open: the state store, read and validated, not locked. */
    if (cfg.state_dir) {
        gd_state sst;
        if (gd_state_open(cfg.state_dir, GD_STATE_INSPECT, &sst, &err) != 0) {
            fprintf(stderr, "gordon check: [gordon] state_dir: %s\n", err.msg);
            goto done;
        }
        if (sst.holder_pid)
            printf("state_dir %s: in use by a running gordon (pid %ld)\n", cfg.state_dir, sst.holder_pid);
        if (sst.latch.halted)
            printf("state_dir %s: the halt latch is SET (%s: %s); only an operator resume clears it\n",
                   cfg.state_dir, sst.latch.who, sst.latch.why);
        if (sst.audit.break_line)
            printf("state_dir %s: the audit trail is BROKEN at audit.jsonl line %llu: %s; run would start halted "
                   "(see gordon audit verify)\n",
                   cfg.state_dir, (unsigned long long)sst.audit.break_line, sst.audit.break_what);
        gd_state_close(&sst);
    }
    printf("OK: mode %s, %zu symbol(s), %zu plugin section(s), %zu file(s) read\n", gd_mode_name(cfg.mode),
           cfg.n_data, cfg.n_plugins, cfg.n_files);
    rc = 0;
done:
    gd_engine_free(e);
    free(syms);
    gd_config_free(&cfg);
    return rc;
}

static int cmd_init(int argc, char **argv)
{
    cli o = {0};
    gd_err err;
    int st = parse_cli("init", OPT_STATE_DIR, argc, argv, &o);
    if (st || o.help)
        return st;
    if (!o.state_dir) {
        fprintf(stderr, "gordon init: --state-dir DIR is required\n");
        return 2;
    }
    if (gd_state_init(o.state_dir, &err) != 0) {
        fprintf(stderr, "gordon init: %s\n", err.msg);
        return 1;
    }
    printf("state directory %s is ready\n", o.state_dir);
    return 0;
}

/* arg: the trail's path. */
static void print_audit_note(void *arg, int kind, uint64_t line, const char *what)
{
    const char *path = arg;
    if (kind == GD_AUDIT_NOTE_BREAK)
        printf("%s:%llu: chain broken: %s\n", path, (unsigned long long)line, what);
    else
        printf("%s:%llu: the daemon found the chain broken before this line, started halted, and chained this "
               "record to the line before it\n",
               path, (unsigned long long)line);
}

/* The state directory: the first argument, --state-dir, or the config's. */
static int audit_dir(int argc, char **argv, char **dir, gd_config *cfg, int *have_cfg)
{
    cli o = {0};
    const char *pos = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
    /* argv[0] is skipped by the parser: shift past the positional. */
    int st = parse_cli("audit verify", OPT_STATE_DIR | OPT_CONFIG | OPT_CONFD, pos ? argc - 1 : argc,
                       pos ? argv + 1 : argv, &o);
    if (st || o.help)
        return st ? st : -1;
    if (!!pos + !!o.state_dir + !!o.config > 1) {
        fprintf(stderr, "gordon audit verify: name the state directory once (DIR, --state-dir or --config)\n");
        return 2;
    }
    const char *d = pos ? pos : o.state_dir;
    if (!d && o.config) {
        gd_err err;
        if (gd_config_load(o.config, o.confd, cfg, &err) != 0) {
            fprintf(stderr, "gordon audit verify: configuration error: %s\n", err.msg);
            return 1;
        }
        *have_cfg = 1;
        d = cfg->state_dir;
        if (!d) {
            fprintf(stderr, "gordon audit verify: %s: no [gordon] state_dir\n", o.config);
            return 1;
        }
    }
    if (!d) {
        fprintf(stderr, "gordon audit verify: name the state directory (DIR, --state-dir DIR or --config FILE)\n");
        return 2;
    }
    *dir = strdup(d);
    if (!*dir) {
        fprintf(stderr, "gordon audit verify: out of memory\n");
        return 1;
    }
    return 0;
}

/* Reads the trail only (no lock): safe beside a running daemon, which
 * appends whole lines. */
static int cmd_audit_verify(int argc, char **argv)
{
    gd_config cfg;
    int have_cfg = 0, rc;
    char *dir = NULL, *path = NULL;
    rc = audit_dir(argc, argv, &dir, &cfg, &have_cfg);
    if (rc)
        goto out;
    size_t n = strlen(dir) + sizeof "/audit.jsonl";
    if (!(path = malloc(n))) {
        fprintf(stderr, "gordon audit verify: out of memory\n");
        rc = 1;
        goto out;
    }
    snprintf(path, n, "%s/audit.jsonl", dir);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "gordon audit verify: %s: not a state directory\n", dir);
        rc = 1;
        goto out;
    }
    gd_audit_tail t;
    gd_err err;
    if (gd_audit_verify(path, &t, print_audit_note, path, &err) != 0) {
        fprintf(stderr, "gordon audit verify: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    if (t.break_line) {
        printf("BROKEN: %s: %llu records; the chain breaks at line %llu and nothing after it records that\n", path,
               (unsigned long long)t.lines, (unsigned long long)t.break_line);
        rc = 1;
    } else if (t.breaks) {
        printf("BROKEN: %s: %llu records; %llu break(s), each recorded by the daemon after it; the chain is intact "
               "from the last record of a break on\n",
               path, (unsigned long long)t.lines, (unsigned long long)t.breaks);
        rc = 1;
    } else {
        printf("ok: %llu records, chain intact\n", (unsigned long long)t.lines);
        if (t.legacy)
            printf("(the first %llu predate the chain; %s)\n", (unsigned long long)t.legacy,
                   t.sealed ? "they are sealed by the record after them" : "the daemon seals them when it next starts");
    }
out:
    if (rc < 0)
        rc = 0; /* --help */
    free(path);
    free(dir);
    if (have_cfg)
        gd_config_free(&cfg);
    return rc;
}

typedef struct jdump {
    int dump;
    uint64_t first; /* the oldest record's seq (0: none seen) */
    char *text;     /* owned: a NUL-terminated copy of one payload */
} jdump;

/* One line of valid UTF-8 JSON text? Control characters only as whitespace
 * between tokens (printed as spaces), never inside a string. */
static int journal_is_json(const char *s, size_t n)
{
    int in_str = 0, esc = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = gd_utf8_seq((const unsigned char *)s + i);
        if (!k)
            return 0;
        if (c < 0x20 && (in_str || (c != '\t' && c != '\n' && c != '\r')))
            return 0;
        if (esc)
            esc = 0;
        else if (in_str && c == '\\')
            esc = 1;
        else if (c == '"')
            in_str = !in_str;
        i += k;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(s, &end, 0);
    if (!v)
        return 0;
    cJSON_Delete(v);
    while (end && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    return end == s + n;
}

static void print_base64(const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        putchar(tab[v >> 18 & 63]);
        putchar(tab[v >> 12 & 63]);
        putchar(i + 1 < n ? tab[v >> 6 & 63] : '=');
        putchar(i + 2 < n ? tab[v & 63] : '=');
    }
}

/* Each record as {"seq","time_ms","type","len","data"}: data is the
 * payload itself when it is JSON text, its JSON text when it is a binary
 * record ("binary":true), else "data_b64" holds it. */
static int print_journal_record(void *arg, const gd_jrec *r)
{
    jdump *d = arg;
    if (!d->first)
        d->first = r->seq;
    if (!d->dump)
        return 0;
    printf("{\"seq\":%llu,\"time_ms\":%lld,\"type\":%u,\"len\":%u,", (unsigned long long)r->seq, (long long)r->time_ms,
           (unsigned)r->type, (unsigned)r->len);
    int binary = gd_rec_is_binary(r->data, r->len);
    size_t jn = binary ? gd_rec_format_binary(d->text, GD_JOURNAL_MAX_RECORD + 1, r->type, r->data, r->len) : 0;
    if (!binary) {
        memcpy(d->text, r->data, r->len);
        d->text[r->len] = '\0';
    }
    if (jn > 0 && jn <= GD_JOURNAL_MAX_RECORD) {
        fputs("\"binary\":true,\"data\":", stdout);
        fwrite(d->text, 1, jn, stdout);
    } else if (!binary && r->len && !memchr(d->text, '\0', r->len) && journal_is_json(d->text, r->len)) {
        fputs("\"data\":", stdout);
        for (uint32_t i = 0; i < r->len; i++)
            putchar(d->text[i] == '\n' || d->text[i] == '\r' || d->text[i] == '\t' ? ' ' : d->text[i]);
    } else {
        fputs("\"data_b64\":\"", stdout);
        print_base64((const unsigned char *)r->data, r->len);
        putchar('"');
    }
    fputs("}\n", stdout);
    return ferror(stdout) ? GD_EIO : 0;
}

/* Reads the segments only (no lock): safe beside a running daemon, whose
 * newest record may show as a torn tail while it is being written. */
static int cmd_journal(int argc, char **argv)
{
    const char *dir = NULL;
    jdump d = {0, 0, NULL};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dump") == 0) {
            d.dump = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "gordon journal: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        fprintf(stderr, "gordon journal: name the journal directory\n");
        return 2;
    }
    if (!(d.text = malloc(GD_JOURNAL_MAX_RECORD + 1))) {
        fprintf(stderr, "gordon journal: out of memory\n");
        return 1;
    }
    FILE *out = d.dump ? stderr : stdout;
    gd_journal_recovery rec;
    gd_err err;
    int rc = gd_journal_scan(dir, print_journal_record, &d, &rec, &err);
    free(d.text);
    if (rc == GD_EPARSE) {
        fprintf(out, "DAMAGED: %s\n", err.msg);
        return 1;
    }
    if (rc == GD_EIO && ferror(stdout)) {
        fprintf(stderr, "gordon journal: cannot write the dump: %s\n", strerror(errno));
        return 1;
    }
    if (rc) {
        fprintf(stderr, "gordon journal: %s\n", err.msg);
        return 1;
    }
    fprintf(out, "%s: %llu segment(s), %llu record(s)", dir, (unsigned long long)rec.segments,
            (unsigned long long)rec.records);
    if (rec.records)
        fprintf(out, ", seq %llu..%llu", (unsigned long long)d.first, (unsigned long long)rec.last_seq);
    else if (rec.last_seq)
        fprintf(out, " (seq up to %llu, compacted)", (unsigned long long)rec.last_seq);
    fprintf(out, "; applied up to %llu, %llu unapplied\n", (unsigned long long)rec.applied_seq,
            (unsigned long long)rec.unapplied);
    if (rec.torn_bytes)
        fprintf(out,
                "torn tail: %llu byte(s) at the end of the newest segment (%s); the daemon cuts it when it "
                "opens the journal\n",
                (unsigned long long)rec.torn_bytes, rec.torn_what);
    fprintf(out, "ok\n");
    return 0;
}

/* The configuration of the database commands: FILE (or, for backup and
 * restore-drill, none: the defaults and GORDON_<SECTION>_<KEY> alone). Its
 * [db] dsn already has GORDON_DB_DSN applied, so the DSN is --dsn, then
 * GORDON_DB_DSN, then the file's. 0, or 1 after saying why. */
static int load_db_config(const char *cmd, const cli *o, gd_config *cfg)
{
    gd_err err;
    if (gd_config_load(o->config, o->confd, cfg, &err) != 0) {
        fprintf(stderr, "gordon %s: configuration error: %s\n", cmd, err.msg);
        return 1;
    }
    return 0;
}

static int cmd_migrate(int argc, char **argv)
{
    cli o = {0};
    gd_err err;
    gd_config cfg;
    struct stat st;
    int rc = parse_cli("migrate", OPT_CONFIG | OPT_CONFD | OPT_DSN | OPT_MIGRATIONS, argc, argv, &o);
    if (rc || o.help)
        return rc;
    /* The DSN (and any password in it) is never printed. */
    const char *dsn = o.dsn ? o.dsn : getenv("GORDON_DB_DSN");
    if (o.config) {
        if (load_db_config("migrate", &o, &cfg) != 0)
            return 1;
        if (!o.dsn)
            dsn = cfg.db_dsn;
        /* A configuration without a database (the package's default) has
         * nothing to migrate: gordon-migrate.service succeeds, so that the
         * daemon it guards still starts. */
        if (!dsn || !dsn[0]) {
            printf("gordon migrate: no database configured ([db] dsn in %s, GORDON_DB_DSN): nothing to do\n",
                   o.config);
            gd_config_free(&cfg);
            return 0;
        }
    } else if (!dsn || !dsn[0]) {
        fprintf(stderr, "gordon migrate: --dsn DSN, GORDON_DB_DSN or --config FILE with [db] dsn is required\n");
        return 2;
    }
    const char *dir = o.migrations;
    if (!dir)
        dir = stat("migrations", &st) == 0 && S_ISDIR(st.st_mode) ? "migrations" : GD_DEFAULT_MIGRATIONS_DIR;
    gd_migrate_result res;
    rc = 0;
    if (gd_migrate(dsn, dir, stdout, &res, &err) != 0) {
        fprintf(stderr, "gordon migrate: %s\n", err.msg);
        rc = 1;
    }
    if (o.config)
        gd_config_free(&cfg);
    return rc;
}

static void fmt_utc(int64_t ms, char buf[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, 32, "%lld ms", (long long)ms);
}

/* gordon venue check: argv[0] is "venue". */
static int cmd_venue(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "gordon venue: expected 'check'\n");
        usage(stderr);
        return 2;
    }
    cli o = {0};
    gd_err err;
    gd_config cfg;
    int rc = parse_cli("venue check", OPT_CONFIG | OPT_CONFD, argc - 1, argv + 1, &o);
    if (rc || o.help)
        return rc;
    if (gd_config_load(o.config, o.confd, &cfg, &err) != 0) {
        fprintf(stderr, "gordon venue check: configuration error: %s\n", err.msg);
        return 1;
    }
    rc = gd_venue_check(&cfg, stdout, &err);
    if (rc)
        fprintf(stderr, "gordon venue check: %s\n", err.msg);
    else
        printf("ok\n");
    gd_config_free(&cfg);
    return rc ? 1 : 0;
}

static int cmd_backup(int argc, char **argv)
{
    cli o = {0};
    gd_err err;
    gd_config cfg;
    int rc = parse_cli("backup", OPT_CONFIG | OPT_CONFD | OPT_DSN, argc, argv, &o);
    if (rc || o.help)
        return rc;
    if (load_db_config("backup", &o, &cfg) != 0)
        return 1;
    const char *dsn = o.dsn ? o.dsn : cfg.db_dsn;
    if (!dsn || !dsn[0]) {
        fprintf(stderr, "gordon backup: no database: --dsn DSN, GORDON_DB_DSN or [db] dsn\n");
        rc = 2;
        goto out;
    }
    /* An interrupted backup still removes its temporary dump. */
    if (gd_spawn_trap_signals(&err) != 0) {
        fprintf(stderr, "gordon backup: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    gd_backup_opts bo = {dsn,
                         {cfg.backup_repository, cfg.backup_password_file, GD_BACKUP_STEP_TIMEOUT_MS},
                         (unsigned)cfg.backup_keep_hourly,
                         cfg.db_connect_timeout_ms,
                         stdout};
    gd_backup_result res;
    if (gd_backup(&bo, &res, &err) != 0) {
        fflush(stdout);
        fprintf(stderr, "gordon backup: FAILED: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    printf("OK: snapshot %s: %zu tables, %lld rows as of %s, dump %llu bytes%s\n", res.snapshot_id, res.tables,
           res.rows, res.snapshot_at, res.dump_bytes, res.forgot ? "" : " (restic forget not run: keep_hourly = 0)");
out:
    gd_config_free(&cfg);
    return rc;
}

/* --last and --check-age: what trading.restore_drills says. */
static int drill_age(const cli *o, const char *dsn, double timeout_ms)
{
    int64_t ok_ms, any_ms;
    int found, found_any;
    gd_err err;
    if (gd_drill_last(dsn, timeout_ms, &ok_ms, &found, &any_ms, &found_any, &err) != 0) {
        fprintf(stderr, "gordon restore-drill: %s\n", err.msg);
        return 1;
    }
    double days = found ? (double)(gd_wall_ms() - ok_ms) / GD_DAY_MS : 0;
    if (found) {
        char a[32];
        fmt_utc(ok_ms, a);
        printf("last successful restore drill: %s (%.1f days ago)\n", a, days);
    } else {
        printf("last successful restore drill: none recorded\n");
    }
    if (found_any && (!found || any_ms != ok_ms)) {
        char b[32];
        fmt_utc(any_ms, b);
        printf("last restore drill: %s (it failed)\n", b);
    }
    if (o->check_age) {
        if (!found || days > (double)o->check_age) {
            printf("FAILED: no successful restore drill within %ld days\n", o->check_age);
            return 1;
        }
        printf("OK: a successful restore drill within %ld days\n", o->check_age);
    }
    return 0;
}

static int cmd_restore_drill(int argc, char **argv)
{
    cli o = {0};
    gd_err err;
    gd_config cfg;
    gd_drill_result res;
    int rc = parse_cli("restore-drill", OPT_CONFIG | OPT_CONFD | OPT_DSN | OPT_LAST | OPT_CHECK_AGE, argc, argv, &o);
    if (rc || o.help)
        return rc;
    if (load_db_config("restore-drill", &o, &cfg) != 0)
        return 1;
    memset(&res, 0, sizeof res);
    const char *dsn = o.dsn ? o.dsn : cfg.db_dsn;
    if (!dsn || !dsn[0]) {
        fprintf(stderr, "gordon restore-drill: no database: --dsn DSN, GORDON_DB_DSN or [db] dsn\n");
        rc = 2;
        goto out;
    }
    if (o.last || o.check_age) {
        rc = drill_age(&o, dsn, cfg.db_connect_timeout_ms);
        goto out;
    }
    /* An interrupted drill still drops its scratch database. */
    if (gd_spawn_trap_signals(&err) != 0) {
        fprintf(stderr, "gordon restore-drill: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    gd_drill_opts dopt = {
        dsn, {cfg.backup_repository, cfg.backup_password_file, GD_BACKUP_STEP_TIMEOUT_MS},
        cfg.db_connect_timeout_ms, stdout};
    rc = gd_restore_drill(&dopt, &res, &err) != 0;
    gd_drill_print(&res, stdout);
    if (res.scratch_dropped)
        printf("scratch database %s dropped\n", res.scratch_db);
    if (res.recorded)
        printf("recorded as drill %lld in trading.restore_drills (ok = %s, %.2f s)\n", res.drill_id,
               res.ok ? "true" : "false", res.seconds);
    if (rc) {
        fflush(stdout);
        fprintf(stderr, "gordon restore-drill: FAILED: %s\n", err.msg);
        drill_age(&o, dsn, cfg.db_connect_timeout_ms);
    } else {
        printf("OK: snapshot %.8s (database snapshot %s): %zu tables match, %.2f s\n", res.snapshot_id,
               res.snapshot_at, res.n_tables, res.seconds);
    }
out:
    gd_drill_result_free(&res);
    gd_config_free(&cfg);
    return rc;
}

/* The checklist for stage on cfg: the database's items and the
 * observability ones into *r, the run recorded (*pf_id); the database
 * connection stays open in *pg for the caller. 0, or 1 having said why
 * (as command cmd). */
static int checklist(const char *cmd, const cli *o, const gd_config *cfg, int stage, PGconn **pg, gd_pf *r,
                     long long *pf_id, int64_t *now_ms)
{
    gd_err err;
    const char *dsn = o->dsn ? o->dsn : getenv("GORDON_DB_DSN") ? getenv("GORDON_DB_DSN") : cfg->db_dsn;
    if (!dsn) {
        fprintf(stderr, "gordon %s: no database: the evidence is in trading.* ([db] dsn, $GORDON_DB_DSN or --dsn)\n",
                cmd);
        return 1;
    }
    if (gd_pg_open(dsn, cfg->db_connect_timeout_ms, pg, &err) != 0) {
        fprintf(stderr, "gordon %s: %s\n", cmd, err.msg);
        return 1;
    }
    char dirbuf[4096], version[160];
    gd_pf_opts po = {cfg, stage, cli_plugin_dirs(o, dirbuf, sizeof dirbuf), getenv("GORDON_EXECUTOR_TESTNET"),
                     gd_wall_ms(), gd_breaker_history, NULL};
    po.history_arg = &po.dirs;
    *now_ms = po.now_ms;
    snprintf(version, sizeof version, "%s (%s)", GD_VERSION, GD_GIT_DESCRIBE);
    if (gd_preflight_run(&po, *pg, r, &err) != 0) {
        fprintf(stderr, "gordon %s: %s\n", cmd, err.msg);
        return 1;
    }
    gd_obs_check(cfg, version, po.now_ms, r);
    if (gd_preflight_record(*pg, r, stage, version, pf_id, &err) != 0) {
        fprintf(stderr, "gordon %s: NOT recorded: %s\n", cmd, err.msg);
        return 1;
    }
    return 0;
}

/* The configuration that will trade, for preflight and promote: a live
 * stage asked (flag names it) and --config given, then loaded. 0, 2 for bad
 * usage, 1 for a configuration error (said). */
static int live_config(const char *cmd, const char *flag, const cli *o, int stage, gd_config *cfg)
{
    gd_err err;
    if (!o->config || (stage != GD_STAGE_MICRO && stage != GD_STAGE_FULL)) {
        fprintf(stderr, "gordon %s: %s micro|full and --config FILE (the configuration that will trade) are required\n",
                cmd, flag);
        return 2;
    }
    gd_log_init(stderr, GD_LOG_WARN);
    if (gd_config_load(o->config, o->confd, cfg, &err) != 0) {
        fprintf(stderr, "gordon %s: configuration error: %s\n", cmd, err.msg);
        return 1;
    }
    return 0;
}

static void print_item(const gd_pf_item *it)
{
    printf("%s  %-22s %-20s %s\n", it->pass ? "PASS" : "FAIL", it->name, it->at[0] ? it->at : "-", it->evidence);
}

/* gordon preflight --stage micro|full --config FILE: every checklist item
 * with its evidence, the run recorded; exit 0 only when all pass. */
static int cmd_preflight(int argc, char **argv)
{
    cli o = {0};
    int st = parse_cli("preflight", OPT_CONFIG | OPT_CONFD | OPT_PLUGIN_DIR | OPT_DSN | OPT_STAGE, argc, argv, &o);
    if (st || o.help)
        return st;
    int stage = gd_stage_rank(o.stage);
    gd_config cfg;
    if ((st = live_config("preflight", "--stage", &o, stage, &cfg)) != 0)
        return st;
    int rc = 1;
    PGconn *pg = NULL;
    gd_pf r;
    memset(&r, 0, sizeof r);
    long long id = 0;
    int64_t now_ms;
    if (checklist("preflight", &o, &cfg, stage, &pg, &r, &id, &now_ms) != 0)
        goto out;
    int passed = 0;
    for (int i = 0; i < r.n; i++) {
        passed += r.items[i].pass;
        print_item(&r.items[i]);
    }
    printf("preflight %lld for stage %s: %d of %d item(s) pass: %s (trading.preflight_runs)\n", id, gd_stage_name(stage),
           passed, r.n, r.pass ? "PASSED" : "FAILED");
    rc = r.pass ? 0 : 1;
out:
    gd_pf_free(&r);
    if (pg)
        PQfinish(pg);
    gd_config_free(&cfg);
    return rc;
}

/* The operator behind a promotion: $GORDON_OPERATOR_TOKEN (never an
 * argument: argv is world-readable), whose hash the configuration lists.
 * 0 and "operator:<hash prefix>" in by, else says why. */
static int operator_of(const gd_config *cfg, char *by, size_t cap)
{
    const char *tok = getenv("GORDON_OPERATOR_TOKEN");
    if (!tok || !*tok) {
        fprintf(stderr, "gordon promote: who promotes: set GORDON_OPERATOR_TOKEN to your operator token\n");
        return -1;
    }
    char hex[65];
    gd_sha256_buf(tok, strlen(tok), hex);
    const char *p = cfg->http_token_hashes ? cfg->http_token_hashes : "";
    while (*p) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (len == 64 && !memcmp(p, hex, 64)) {
            snprintf(by, cap, "operator:%.12s", hex);
            return 0;
        }
        p += len;
    }
    fprintf(stderr, "gordon promote: GORDON_OPERATOR_TOKEN is not one of [http] operator_token_sha256\n");
    return -1;
}

/* gordon promote --to micro|full --config LIVE.ini: refused unless the stage
 * on record is the one below, the configuration is at the stage asked, and
 * preflight passes now (for full also a month at micro without incident);
 * then recorded in trading.stage_promotions and state_dir/stage.json. */
static int cmd_promote(int argc, char **argv)
{
    cli o = {0};
    int st = parse_cli("promote", OPT_CONFIG | OPT_CONFD | OPT_PLUGIN_DIR | OPT_DSN | OPT_TO, argc, argv, &o);
    if (st || o.help)
        return st;
    int to = gd_stage_rank(o.to);
    gd_config cfg;
    gd_err err;
    if ((st = live_config("promote", "--to", &o, to, &cfg)) != 0)
        return st;
    int rc = 1;
    PGconn *pg = NULL;
    gd_pf r;
    memset(&r, 0, sizeof r);
    char by[96];
    gd_stage_rec rec;
    if (operator_of(&cfg, by, sizeof by) != 0)
        goto out;
    if (!cfg.state_dir || gd_stage_load(cfg.state_dir, &rec, &err) != 0) {
        fprintf(stderr, "gordon promote: %s\n", cfg.state_dir ? err.msg : "no [gordon] state_dir");
        goto out;
    }
    if (rec.cur.rank != to - 1) {
        fprintf(stderr, "gordon promote: refused: the stage on record is %s; stages are never skipped (testnet, "
                        "micro, full) and a promotion goes one up\n",
                gd_stage_name(rec.cur.rank));
        goto out;
    }
    long long pf_id = 0, id = 0;
    int64_t now_ms;
    if (checklist("promote", &o, &cfg, to, &pg, &r, &pf_id, &now_ms) != 0)
        goto out;
    int preflight_ok = r.pass;
    int first_extra = r.n;
    int64_t micro_at = 0;
    if (to == GD_STAGE_FULL) {
        gd_full_checks(pg, now_ms, 30.0, &r, &micro_at);
        if (micro_at)
            gd_full_divergence(&cfg, pg, micro_at, &r);
    }
    int failed = 0;
    for (int i = 0; i < r.n; i++) {
        if (!r.items[i].pass || i >= first_extra)
            print_item(&r.items[i]);
        failed += !r.items[i].pass;
    }
    if (failed) {
        fprintf(stderr, "gordon promote: refused: %d item(s) fail%s (preflight %lld %s)\n", failed,
                to == GD_STAGE_FULL ? ", the month at micro included" : "", pf_id, preflight_ok ? "passed" : "failed");
        goto out;
    }
    char numbers[256];
    if (micro_at)
        snprintf(numbers, sizeof numbers, "{\"preflight_items\":%d,\"micro_since_ms\":%lld}", first_extra,
                 (long long)micro_at);
    else
        snprintf(numbers, sizeof numbers, "{\"preflight_items\":%d}", first_extra);
    if (gd_stage_promotion_record(pg, 1, to - 1, to, by, pf_id, &r, numbers, "", &id, &err) != 0) {
        fprintf(stderr, "gordon promote: NOT promoted: %s\n", err.msg);
        goto out;
    }
    char why[160];
    snprintf(why, sizeof why, "promotion %lld on preflight %lld", id, pf_id);
    if (gd_stage_record(cfg.state_dir, &rec, to, by, why, gd_wall_ms(), &err) != 0) {
        fprintf(stderr, "gordon promote: recorded as promotion %lld, but the stage file was NOT written (the daemon "
                        "will not start at %s): %s\n",
                id, gd_stage_name(to), err.msg);
        goto out;
    }
    printf("promoted to %s by %s: promotion %lld on preflight %lld (%d items passed); %s/stage.json\n",
           gd_stage_name(to), by, id, pf_id, r.n, cfg.state_dir);
    rc = 0;
out:
    gd_pf_free(&r);
    if (pg)
        PQfinish(pg);
    gd_config_free(&cfg);
    return rc;
}

/* gordon stage [demote --to STAGE --reason TEXT] (--state-dir DIR |
 * --config FILE): the stage on record, or a demotion (always allowed). It
 * takes effect at the next start of a daemon; halt a running one to stop
 * its trading now. argv[0] is "stage". */
static int cmd_stage(int argc, char **argv)
{
    int demote = argc > 1 && !strcmp(argv[1], "demote");
    const char *name = demote ? "stage demote" : "stage";
    cli o = {0};
    gd_config cfg;
    int have_cfg = 0, rc = 1;
    gd_err err;
    memset(&cfg, 0, sizeof cfg);
    int st = parse_cli(name, OPT_STATE_DIR | OPT_CONFIG | OPT_CONFD | (demote ? OPT_TO | OPT_REASON | OPT_DSN : 0),
                       demote ? argc - 1 : argc, demote ? argv + 1 : argv, &o);
    if (st || o.help)
        return st;
    const char *dir = o.state_dir;
    if (!dir && o.config) {
        if (gd_config_load(o.config, o.confd, &cfg, &err) != 0) {
            fprintf(stderr, "gordon %s: configuration error: %s\n", name, err.msg);
            return 1;
        }
        have_cfg = 1;
        dir = cfg.state_dir;
    }
    if (!dir || (o.state_dir && o.config)) {
        fprintf(stderr, "gordon %s: name the state directory once (--state-dir DIR or --config FILE)\n", name);
        rc = 2;
        goto out;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "gordon %s: %s: not a state directory (gordon init --state-dir DIR makes one)\n", name, dir);
        goto out;
    }
    gd_stage_rec rec;
    if (gd_stage_load(dir, &rec, &err) != 0) {
        fprintf(stderr, "gordon %s: %s\n", name, err.msg);
        goto out;
    }
    if (demote) {
        int to = gd_stage_rank(o.to);
        if (to == GD_STAGE_NONE || !o.reason || !*o.reason) {
            fprintf(stderr, "gordon stage demote: --to testnet|micro and --reason TEXT are required\n");
            rc = 2;
            goto out;
        }
        if (to >= rec.cur.rank) {
            fprintf(stderr, "gordon stage demote: the stage on record is %s; a demotion goes below it\n",
                    gd_stage_name(rec.cur.rank));
            rc = 1;
            goto out;
        }
        char by[96];
        const char *user = getenv("SUDO_USER") ? getenv("SUDO_USER") : getenv("USER");
        snprintf(by, sizeof by, "cli:%s", user && *user ? user : "unknown");
        int from = rec.cur.rank;
        if (gd_stage_record(dir, &rec, to, by, o.reason, gd_wall_ms(), &err) != 0) {
            fprintf(stderr, "gordon stage demote: NOT recorded: %s\n", err.msg);
            goto out;
        }
        /* The database's record too, when there is one (stage.json rules). */
        const char *dsn = o.dsn ? o.dsn : getenv("GORDON_DB_DSN") ? getenv("GORDON_DB_DSN") : have_cfg ? cfg.db_dsn : NULL;
        if (dsn) {
            PGconn *pg = NULL;
            long long id = 0;
            if (gd_pg_open(dsn, have_cfg ? cfg.db_connect_timeout_ms : 10000, &pg, &err) != 0 ||
                gd_stage_promotion_record(pg, 0, from, to, by, 0, NULL, NULL, o.reason, &id, &err) != 0)
                fprintf(stderr, "gordon stage demote: in force, but not in trading.stage_promotions: %s\n", err.msg);
            else
                printf("trading.stage_promotions id %lld\n", id);
            if (pg)
                PQfinish(pg);
        }
        printf("demoted to %s (on record in %s/stage.json); a daemon configured above it will not start again\n",
               gd_stage_name(to), dir);
        rc = 0;
        goto out;
    }
    printf("stage on record: %s%s\n", gd_stage_name(rec.cur.rank), rec.on_record ? "" : " (nothing was ever promoted)");
    for (uint32_t i = 0; i < rec.n_hist; i++) {
        char when[40];
        time_t t = (time_t)(rec.hist[i].at_ms / 1000);
        struct tm tmv;
        if (!gmtime_r(&t, &tmv) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv))
            snprintf(when, sizeof when, "%lld ms", (long long)rec.hist[i].at_ms);
        printf("  %s  %-7s  by %s: %s\n", when, gd_stage_name(rec.hist[i].rank), rec.hist[i].by, rec.hist[i].why);
    }
    rc = 0;
out:
    if (have_cfg)
        gd_config_free(&cfg);
    return rc;
}

/* gordon data import --symbol SYM [--interval 1h] [--layout csv|binance] IN.csv OUT.gdb */
static int cmd_data_import(int argc, char **argv)
{
    const char *sym = NULL, *iv = NULL, *layout = "csv", *pos[2];
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--symbol") && i + 1 < argc)
            sym = argv[++i];
        else if (!strcmp(argv[i], "--interval") && i + 1 < argc)
            iv = argv[++i];
        else if (!strcmp(argv[i], "--layout") && i + 1 < argc)
            layout = argv[++i];
        else if (argv[i][0] != '-' && n < 2)
            pos[n++] = argv[i];
        else {
            fprintf(stderr, "gordon data import: unexpected '%s'\n", argv[i]);
            n = -1;
            break;
        }
    }
    if (n != 2 || !sym) {
        fprintf(stderr, "usage: gordon data import --symbol SYMBOL [--interval 1h] [--layout csv|binance] IN.csv "
                        "OUT.gdb\n");
        return 2;
    }
    int64_t ms = iv ? gd_interval_ms(iv) : 0;
    if (iv && !ms) {
        fprintf(stderr, "gordon data import: --interval %s: not an interval (1s, 1m, ... 12h, 1d)\n", iv);
        return 2;
    }
    gd_err err;
    size_t bars = 0;
    double t0 = gd_mono_ms();
    if (gd_store_import(pos[0], sym, layout, ms, pos[1], &bars, &err) != 0) {
        fprintf(stderr, "gordon data import: %s\n", err.msg);
        return 1;
    }
    printf("%s: %zu bars of %s in %.2f s\n", pos[1], bars, sym, (gd_mono_ms() - t0) / 1e3);
    return 0;
}

static int cmd_token_new(void)
{
    char token[65], hash[65];
    gd_err err;
    if (gd_token_new(token, hash, &err) != 0) {
        fprintf(stderr, "gordon token new: %s\n", err.msg);
        return 1;
    }
    printf("token (shown once; give it to the operator, keep it out of files and logs):\n  %s\n", token);
    printf("config line for [http] (add to operator_token_sha256, comma separated):\n"
           "  operator_token_sha256 = %s\n",
           hash);
    return 0;
}

static int cmd_plugin_check(int argc, char **argv)
{
    int bad = 0;
    if (argc < 1) {
        fprintf(stderr, "gordon plugin check: name at least one .so file\n");
        return 2;
    }
    gd_worker_conf wc;
    gd_err err;
    gd_worker_conf_default(&wc);
    /* The plugin's code (constructors included) runs only in a sandboxed
     * worker, never in this process. */
    if (gd_worker_find_exe(getenv("GORDON_ISOLATION_WORKER"), wc.exe, sizeof wc.exe, &err) != 0) {
        fprintf(stderr, "gordon plugin check: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < argc; i++) {
        gd_plugin_lib lib;
        int rc = gd_worker_inspect(&wc, argv[i], &lib, &err);
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
    cli o = {0};
    int st = parse_cli("run", OPT_CONFIG | OPT_CONFD | OPT_PLUGIN_DIR | OPT_INTENT_LOG | OPT_QUIET | OPT_ISOLATE | OPT_TRADES,
                       argc, argv, &o);
    if (st || o.help)
        return st;
    /* A reload asked for while the daemon starts (plugins, workers, data)
     * must not end it, as SIGHUP's default would: ignored until the loop's
     * handler takes over. */
    signal(SIGHUP, SIG_IGN);
    const char *config = o.config, *confd = o.confd, *intent_log = o.intent_log;
    int quiet = o.quiet;
    if (!config)
        config = getenv("GORDON_CONFIG");
    if (!config && !confd) {
        fprintf(stderr, "gordon run: no configuration: give --config FILE (or --confd DIR, or set GORDON_CONFIG)\n");
        return 2;
    }

    gd_config cfg;
    gd_err err;
    int rc = gd_config_load(config, confd, &cfg, &err);
    if (rc) {
        fprintf(stderr, "gordon: configuration error: %s\n", err.msg);
        return 1;
    }
    cfg.iso_plugins |= o.isolate;
    /* With plugins in workers, nothing of this process (keys, tokens, the
     * environment) is readable by another process of the same user. */
    if (gd_config_isolated(&cfg) && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        fprintf(stderr, "gordon: prctl(PR_SET_DUMPABLE): %s\n", strerror(errno));
        gd_config_free(&cfg);
        return 1;
    }
    /* A backtest's stdout is its result, the banner and the summary, to be
     * read or piped whole: its JSON log lines go to stderr and never land in
     * between. The daemon (testnet, production) logs to stdout, where
     * journald and Loki collect them. */
    int level = cfg.log_level ? gd_log_level_parse(cfg.log_level) : GD_LOG_INFO;
    gd_log_init(cfg.mode == GD_MODE_BACKTEST ? stderr : stdout,
                quiet ? GD_LOG_WARN : (level < 0 ? GD_LOG_INFO : level));

    char dirbuf[4096];
    gd_run_opts ro;
    gd_run_result res;
    memset(&ro, 0, sizeof ro);
    ro.cfg = &cfg;
    ro.config_path = config;
    ro.confd = confd;
    ro.quiet = quiet;
    ro.plugin_dirs = cli_plugin_dirs(&o, dirbuf, sizeof dirbuf);
    ro.intent_log = intent_log;
    ro.trades = o.trades;
    ro.summary = stdout;
    char banner[256];
    snprintf(banner, sizeof banner, "gordon %s: mode %s, %zu symbol(s), %zu plugin section(s), risk %.2f%% per trade\n",
             GD_VERSION, gd_mode_name(cfg.mode), cfg.n_data, cfg.n_plugins, cfg.risk_pct);
    ro.banner = banner;
    rc = gd_run_replay(&ro, &res, &err);
    free(res.plugins_json);
    free(res.strategies_json);
    gd_config_free(&cfg);
    if (rc) {
        fprintf(stderr, "gordon: %s\n", err.msg);
        return 1;
    }
    return res.interrupted ? 130 : 0;
}

/* "72h", "90m", "30s", "2d" or plain seconds, in ms; -1 if not one. */
static double parse_duration_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v > 0) || v > 1e9)
        return -1;
    double unit = 1000.0;
    if (*end == 'm')
        unit = 60e3;
    else if (*end == 'h')
        unit = 3600e3;
    else if (*end == 'd')
        unit = 86400e3;
    else if (*end != 's' && *end != '\0')
        return -1;
    if (*end && end[1])
        return -1;
    return v * unit;
}

/* gordon soak: the daemon in testnet mode on the venue for a duration,
 * then its record in trading.soak_runs, passed or failed against the gate. */
static int cmd_soak(int argc, char **argv)
{
    cli o = {0};
    int st = parse_cli("soak", OPT_CONFIG | OPT_CONFD | OPT_PLUGIN_DIR | OPT_QUIET | OPT_DURATION | OPT_DSN, argc, argv,
                       &o);
    if (st || o.help)
        return st;
    signal(SIGHUP, SIG_IGN);
    if (!o.config) {
        fprintf(stderr, "gordon soak: --config FILE is required\n");
        return 2;
    }
    gd_config cfg;
    gd_err err;
    if (gd_config_load(o.config, o.confd, &cfg, &err) != 0) {
        fprintf(stderr, "gordon soak: configuration error: %s\n", err.msg);
        return 1;
    }
    int rc = 1;
    PGconn *pg = NULL;
    char *cfg_json = NULL;
    long long id = 0;
    gd_run_result res;
    memset(&res, 0, sizeof res);
    const char *dsn = o.dsn ? o.dsn : getenv("GORDON_DB_DSN") ? getenv("GORDON_DB_DSN") : cfg.db_dsn;
    double dur = o.duration ? parse_duration_ms(o.duration) : cfg.soak_min_hours * 3600e3;
    gd_venue_endpoints ep;
    if (cfg.mode != GD_MODE_TESTNET || !gd_config_venue_executor(&cfg)) {
        fprintf(stderr, "gordon soak: %s: a soak trades on the venue's test network ([gordon] mode = testnet, "
                        "[executor] kind = venue)\n", o.config);
        goto out;
    }
    if (!dsn) {
        fprintf(stderr, "gordon soak: no database for the record ([db] dsn, $GORDON_DB_DSN or --dsn)\n");
        goto out;
    }
    if (!(dur > 0)) {
        fprintf(stderr, "gordon soak: --duration %s: expected a time such as 72h, 90m, 30s\n", o.duration);
        rc = 2;
        goto out;
    }
    if (gd_venue_endpoints_get(&cfg, &ep, &err) != 0) {
        fprintf(stderr, "gordon soak: %s\n", err.msg);
        goto out;
    }
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        fprintf(stderr, "gordon: prctl(PR_SET_DUMPABLE): %s\n", strerror(errno));
        goto out;
    }
    int level = cfg.log_level ? gd_log_level_parse(cfg.log_level) : GD_LOG_INFO;
    gd_log_init(stdout, o.quiet ? GD_LOG_WARN : (level < 0 ? GD_LOG_INFO : level));
    /* The strategies' configuration identifies the soak: what preflight
     * compares with the configuration that will trade live. */
    char cfg_sha[65], venue[600];
    if (gd_config_json(&cfg, GD_CFG_JSON_PLUGINS, &cfg_json, &err) != 0) {
        fprintf(stderr, "gordon soak: %s\n", err.msg);
        goto out;
    }
    gd_sha256_buf(cfg_json, strlen(cfg_json), cfg_sha);
    snprintf(venue, sizeof venue, "%s %s", ep.profile, ep.rest);
    gd_soak_row row = {cfg_sha, "{}", venue, !ep.overridden};
    gd_soak_gate gate = {cfg.soak_min_hours, cfg.soak_min_trades};
    if (gd_pg_open(dsn, cfg.db_connect_timeout_ms, &pg, &err) != 0 || gd_soak_begin(pg, &row, &id, &err) != 0) {
        fprintf(stderr, "gordon soak: not started: %s\n", err.msg);
        goto out;
    }
    /* Not held open for days: connected again for the end. */
    PQfinish(pg);
    pg = NULL;
    printf("soak %lld: %.2f h on %s%s; the gate: %.0f h, %.0f trades, no halt, breaker trip, quarantine or fill past "
           "the tolerance\n",
           id, dur / 3600e3, venue, row.real_venue ? "" : " (not a Binance endpoint: it will not count for a promotion)",
           gate.min_hours, gate.min_trades);
    fflush(stdout);

    char dirbuf[4096];
    gd_run_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.cfg = &cfg;
    ro.config_path = o.config;
    ro.confd = o.confd;
    ro.quiet = o.quiet;
    ro.plugin_dirs = cli_plugin_dirs(&o, dirbuf, sizeof dirbuf);
    ro.duration_ms = dur;
    int run_rc = gd_run_replay(&ro, &res, &err);
    if (run_rc)
        fprintf(stderr, "gordon soak: the run stopped: %s\n", err.msg);
    gd_soak_metrics m = {
        .hours = res.trading_seconds / 3600.0,
        .trades = res.trades,
        .halts = res.halts,
        .breaker_trips = res.breaker_trips,
        .quarantines = res.quarantines,
        .tolerance_breaches = res.tolerance_breaches,
        .mismatches = res.mismatches,
        .incidents = res.incidents,
        .interrupted = run_rc != 0 || !res.duration_reached,
        .wins = res.wins,
        .avg_r = res.avg_r,
        .max_dd_pct = res.max_dd_pct,
        .sharpe = res.sharpe,
        .hourly_returns = res.hourly_returns,
        .strategies_json = res.strategies_json,
    };
    char why[1024];
    int pass = gd_soak_verdict(&m, &gate, why, sizeof why);
    if (gd_pg_open(dsn, cfg.db_connect_timeout_ms, &pg, &err) != 0 ||
        gd_soak_end(pg, id, &m, &gate, res.plugins_json ? res.plugins_json : "{}", &err) != 0) {
        fprintf(stderr, "gordon soak %lld: the result is NOT recorded: %s\n", id, err.msg);
        goto out;
    }
    printf("soak %lld %s: %.2f h, %llu trade(s), %llu halt(s), %llu breaker trip(s), %llu quarantine(s), %llu fill(s) "
           "past the tolerance, %llu reconciliation mismatch(es)%s%s\n",
           id, pass ? "PASSED" : m.interrupted ? "ABORTED" : "FAILED", m.hours, (unsigned long long)m.trades,
           (unsigned long long)m.halts, (unsigned long long)m.breaker_trips, (unsigned long long)m.quarantines,
           (unsigned long long)m.tolerance_breaches, (unsigned long long)m.mismatches, pass ? "" : ": ", why);
    rc = pass && row.real_venue ? 0 : 1;
    if (pass && !row.real_venue)
        printf("soak %lld passed against %s, which is not a Binance endpoint: it does not count for a promotion\n", id,
               venue);
out:
    if (pg)
        PQfinish(pg);
    free(res.plugins_json);
    free(res.strategies_json);
    free(cfg_json);
    gd_config_free(&cfg);
    return rc;
}

/* --data SYMBOL:FILE replaces [replay] data; paths are relative to the cwd. */
static int replace_data(gd_config *cfg, char *const *specs, int n)
{
    gd_data_conf *d = calloc((size_t)n, sizeof *d);
    if (!d)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *colon = strchr(specs[i], ':');
        size_t sl = colon ? (size_t)(colon - specs[i]) : 0;
        if (!colon || sl == 0 || sl >= sizeof d[i].symbol || !colon[1]) {
            fprintf(stderr, "gordon ablate: --data %s: expected SYMBOL:FILE.csv\n", specs[i]);
            for (int k = 0; k < i; k++)
                free(d[k].path);
            free(d);
            return -1;
        }
        memcpy(d[i].symbol, specs[i], sl);
        d[i].path = strdup(colon + 1);
    }
    for (size_t i = 0; i < cfg->n_data; i++)
        free(cfg->data[i].path);
    free(cfg->data);
    cfg->data = d;
    cfg->n_data = (size_t)n;
    return 0;
}

/* The table on stdout, DIR/ablation.json and DIR/report.html; report gets
 * the report's path. 0, or 1 having said why. */
static int ablate_outputs(const gd_ab_result *res, const char *out_dir, char *report, size_t cap)
{
    char path[4200];
    gd_err err;
    if (gd_ab_write_table(res, stdout, &err) != 0 || gd_mkdirs(out_dir, 0755, &err) != 0) {
        fprintf(stderr, "gordon ablate: %s\n", err.msg);
        return 1;
    }
    snprintf(path, sizeof path, "%s/ablation.json", out_dir);
    if (gd_ab_write_json(res, path, &err) != 0) {
        fprintf(stderr, "gordon ablate: %s\n", err.msg);
        return 1;
    }
    snprintf(report, cap, "%s/report.html", out_dir);
    FILE *f = fopen(report, "w");
    if (!f || gd_ab_write_html(res, f, &err) != 0) {
        fprintf(stderr, "gordon ablate: %s: %s\n", report, f ? err.msg : strerror(errno));
        if (f)
            fclose(f);
        return 1;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "gordon ablate: %s: %s\n", report, strerror(errno));
        return 1;
    }
    if (gd_ab_write_trades(res, out_dir, &err) != 0) {
        fprintf(stderr, "gordon ablate: %s\n", err.msg);
        return 1;
    }
    if (res->shards)
        printf("\n%llu runs, %.1f M bars, merged from %u shards in %.2f s; wrote %s/ablation.json, %s/report.html "
               "and %s/trades/\n",
               (unsigned long long)res->runs, (double)res->bars_run / 1e6, res->shards, res->seconds, out_dir,
               out_dir, out_dir);
    else
        printf("\n%llu runs, %.1f M bars, on %u thread(s) in %.2f s; wrote %s/ablation.json, %s/report.html and "
               "%s/trades/\n",
               (unsigned long long)res->runs, (double)res->bars_run / 1e6, res->jobs, res->seconds, out_dir,
               out_dir, out_dir);
    return 0;
}

/* After the outputs: every configuration that failed, with its reason, and
 * every one that ran but closed no trade, on stderr. 1 if any failed. */
static int ablate_failures(const gd_ab_result *res)
{
    size_t failed = 0;
    for (size_t i = 0; i < res->n_configs; i++) {
        const gd_ab_config *c = &res->configs[i];
        if (c->failed) {
            failed++;
            continue;
        }
        if (!c->overall.na[GD_M_TRADES] && c->overall.v[GD_M_TRADES] == 0.0) {
            /* Why, at once: the top rejection reasons out of sample. */
            char why[512];
            gd_reject_explain(why, sizeof why, c->signals, c->by_result, 3);
            fprintf(stderr, "gordon ablate: warning: configuration %s: 0 trades out of sample in %zu window(s): %s\n",
                    c->name, res->n_windows, why);
        }
    }
    if (!failed)
        return 0;
    fprintf(stderr, "gordon ablate: %zu of %zu configuration(s) failed:\n", failed, res->n_configs);
    for (size_t i = 0; i < res->n_configs; i++)
        if (res->configs[i].failed)
            fprintf(stderr, "  %-20s %s\n", res->configs[i].name, res->configs[i].fail_reason);
    return 1;
}

/* --record: the finished run as one row of trading.ablation_runs. The DSN is
 * never printed. 0, or 1 having said why (the report files stay). */
static int ablate_record(const gd_ab_result *res, const gd_config *cfg, const char *dsn, const char *report)
{
    gd_ab_record rec;
    gd_err err;
    int64_t id;
    int existed, rc = 1;
    /* Absolute, so the row still finds the report from another directory. */
    char *abs = realpath(report, NULL);
    if (gd_ab_record_build(res, cfg, abs ? abs : report, &rec, &err) != 0 ||
        gd_db_record_ablation(dsn, (int)cfg->db_connect_timeout_ms, &rec.row, &id, &existed, &err) != 0) {
        fprintf(stderr, "gordon ablate: not recorded: %s (the report is written: %s)\n", err.msg, report);
        goto out;
    }
    printf("%s trading.ablation_runs id %lld, run_id %s%s\n", existed ? "already recorded as" : "recorded as",
           (long long)id, rec.run_id, existed ? " (the same results; not written again)" : "");
    rc = 0;
out:
    gd_ab_record_free(&rec);
    free(abs);
    return rc;
}

/* "K/N", 0 <= K < N <= 1,000,000. */
static int parse_shard(const char *s, uint32_t *k, uint32_t *n)
{
    char *end;
    errno = 0;
    unsigned long a = strtoul(s, &end, 10);
    if (end == s || *end != '/' || s[0] == '-')
        return -1;
    const char *t = end + 1;
    unsigned long b = strtoul(t, &end, 10);
    if (end == t || *end || t[0] == '-' || errno || b == 0 || b > 1000000 || a >= b)
        return -1;
    *k = (uint32_t)a;
    *n = (uint32_t)b;
    return 0;
}

/* What `ablate` and `ablate merge` share: the configuration and data as
 * the options give them. 0, or the exit status having said why. */
static int ablate_config(const cli *o, const char *config, gd_config *cfg)
{
    gd_err err;
    if (gd_config_load(config, o->confd, cfg, &err) != 0) {
        fprintf(stderr, "gordon: configuration error: %s\n", err.msg);
        return 1;
    }
    if (o->n_data && replace_data(cfg, o->data, o->n_data) != 0) {
        gd_config_free(cfg);
        return 2;
    }
    return 0;
}

/* --record: a database that will take the row, found before an ablation
 * that may take an hour. 0 with *dsn set (NULL without --record), or the
 * exit status. */
static int ablate_record_check(const cli *o, const gd_config *cfg, const char **dsn)
{
    gd_err err;
    *dsn = NULL;
    if (!o->record)
        return 0;
    *dsn = o->dsn ? o->dsn : getenv("GORDON_DB_DSN");
    if (!*dsn || !(*dsn)[0])
        *dsn = cfg->db_dsn;
    if (!*dsn || !(*dsn)[0]) {
        fprintf(stderr, "gordon ablate: --record needs a database: --dsn DSN, GORDON_DB_DSN or [db] dsn; "
                        "nothing was run\n");
        return 2;
    }
    if (gd_db_record_ablation_check(*dsn, (int)cfg->db_connect_timeout_ms, &err) != 0) {
        fprintf(stderr, "gordon ablate: --record: %s; nothing was run\n", err.msg);
        return 1;
    }
    return 0;
}

/* Configuration, data, the --record database checked, the logs, and the
 * ablation's options (dirbuf holds the plugin directories). 0, or the exit
 * status having said why; on 0 the caller frees *cfg. */
static int ablate_prepare(const cli *o, const char *config, gd_config *cfg, const char **dsn, char *dirbuf,
                          size_t cap, gd_ablate_opts *ao)
{
    int st = ablate_config(o, config, cfg);
    if (st)
        return st;
    if ((st = ablate_record_check(o, cfg, dsn)) != 0) {
        gd_config_free(cfg);
        return st;
    }
    /* Thousands of runs: their warnings (a breaker's halt, a cap) would
     * drown the progress; they are counted in the report's Pipeline column
     * and ablation.json's "pipeline". Errors only. */
    gd_log_init(stderr, GD_LOG_ERROR);
    memset(ao, 0, sizeof *ao);
    ao->cfg = cfg;
    ao->config_path = config;
    ao->plugin_dirs = cli_plugin_dirs(o, dirbuf, cap);
    ao->jobs = o->jobs >= 1 ? (unsigned)o->jobs : 1;
    ao->progress = o->quiet ? NULL : stderr;
    ao->progress_tty = isatty(STDERR_FILENO);
    return 0;
}

/* The outputs of a finished result: table, files, the record, failures. */
static int ablate_finish(const cli *o, gd_ab_result *res, const gd_config *cfg, const char *dsn)
{
    char report[4200];
    int rc = ablate_outputs(res, o->out, report, sizeof report);
    if (!rc && o->record)
        rc = ablate_record(res, cfg, dsn, report);
    if (!rc)
        rc = ablate_failures(res);
    return rc;
}

/* After gd_ablate_run or gd_ablate_merge returned rc: the error, or the
 * outputs; either way res (when made) and cfg are freed. The exit status. */
static int ablate_done(const cli *o, const char *cmd, int rc, const gd_err *err, gd_ab_result *res, gd_config *cfg,
                       const char *dsn)
{
    if (rc) {
        fprintf(stderr, "gordon %s: %s\n", cmd, err->msg);
        gd_config_free(cfg);
        return 1;
    }
    rc = ablate_finish(o, res, cfg, dsn);
    gd_ab_result_free(res);
    gd_config_free(cfg);
    return rc;
}

/* gordon ablate merge [--config FILE] ... SHARD_OR_DIR... */
static int cmd_ablate_merge(int argc, char **argv)
{
    cli o = {0};
    o.out = "out/ablation";
    int st = parse_cli("ablate merge",
                       OPT_CONFIG | OPT_CONFD | OPT_PLUGIN_DIR | OPT_DATA | OPT_OUT | OPT_QUIET | OPT_RECORD |
                           OPT_DSN | OPT_ARGS,
                       argc, argv, &o);
    if (st || o.help)
        return st;
    if (o.n_args == 0) {
        fprintf(stderr, "gordon ablate merge: name the shards: shard files, or directories holding them\n");
        return 2;
    }
    if (o.dsn && !o.record) {
        fprintf(stderr, "gordon ablate merge: --dsn goes with --record\n");
        return 2;
    }
    gd_err err;
    char recorded[512];
    const char *config = o.config;
    if (!config) {
        if (gd_ablate_shard_config((const char *const *)o.args, (size_t)o.n_args, recorded, sizeof recorded,
                                   &err) != 0) {
            fprintf(stderr, "gordon ablate merge: %s\n", err.msg);
            return 1;
        }
        config = recorded;
    }
    gd_config cfg;
    const char *dsn;
    char dirbuf[4096];
    gd_ablate_opts ao;
    if ((st = ablate_prepare(&o, config, &cfg, &dsn, dirbuf, sizeof dirbuf, &ao)) != 0)
        return st;
    gd_ab_result res;
    int rc = gd_ablate_merge(&ao, (const char *const *)o.args, (size_t)o.n_args, &res, &err);
    return ablate_done(&o, "ablate merge", rc, &err, &res, &cfg, dsn);
}

static int cmd_ablate(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return cmd_ablate_merge(argc - 1, argv + 1);
    cli o = {0};
    o.jobs = sysconf(_SC_NPROCESSORS_ONLN);
    o.out = "out/ablation";
    int st = parse_cli("ablate",
                       OPT_CONFIG | OPT_CONFD | OPT_PLUGIN_DIR | OPT_DATA | OPT_OUT | OPT_JOBS | OPT_QUIET |
                           OPT_RECORD | OPT_DSN | OPT_SHARD,
                       argc, argv, &o);
    if (st || o.help)
        return st;
    if (!o.config) {
        fprintf(stderr, "gordon ablate: --config is required\n");
        return 2;
    }
    if (o.dsn && !o.record) {
        fprintf(stderr, "gordon ablate: --dsn goes with --record\n");
        return 2;
    }
    uint32_t shard_k = 0, shard_n = 0;
    if (o.shard && parse_shard(o.shard, &shard_k, &shard_n) != 0) {
        fprintf(stderr, "gordon ablate: --shard %s: expected K/N with 0 <= K < N (K counts from 0, as "
                        "JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID do)\n",
                o.shard);
        return 2;
    }
    if (o.shard && o.record) {
        fprintf(stderr, "gordon ablate: --record goes with the merge (gordon ablate merge --record), not a shard\n");
        return 2;
    }
    gd_config cfg;
    gd_err err;
    const char *dsn;
    char dirbuf[4096];
    gd_ablate_opts ao;
    if ((st = ablate_prepare(&o, o.config, &cfg, &dsn, dirbuf, sizeof dirbuf, &ao)) != 0)
        return st;
    ao.shard_k = shard_k;
    ao.shard_n = shard_n;
    if (o.shard) {
        gd_ab_shard_info info;
        int rc = gd_ablate_shard(&ao, o.out, &info, &err);
        if (rc)
            fprintf(stderr, "gordon ablate: shard %u/%u: %s\n", shard_k, shard_n, err.msg);
        else
            printf("gordon ablate: shard %u/%u: %llu of the (configuration, window) pairs, %llu runs, %.1f M bars "
                   "in %.1f s: %s\n",
                   shard_k, shard_n, (unsigned long long)info.pairs, (unsigned long long)info.runs,
                   (double)info.bars / 1e6, info.seconds, info.path);
        gd_config_free(&cfg);
        return rc ? 1 : 0;
    }
    gd_ab_result res;
    int rc = gd_ablate_run(&ao, &res, &err);
    return ablate_done(&o, "ablate", rc, &err, &res, &cfg, dsn);
}

int main(int argc, char **argv)
{
    gd_log_init(stderr, GD_LOG_INFO);
    gd_err err = {0};
    if (gd_engine_crash_report_install(&err) != 0)
        fprintf(stderr, "gordon: warning: no crash report: %s\n", err.msg);
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
    if (strcmp(cmd, "ablate") == 0)
        return cmd_ablate(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "init") == 0)
        return cmd_init(argc - 1, argv + 1);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc - 1, argv + 1);
    if (strcmp(cmd, "journal") == 0)
        return cmd_journal(argc - 1, argv + 1);
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup(argc - 1, argv + 1);
    if (strcmp(cmd, "venue") == 0)
        return cmd_venue(argc - 1, argv + 1);
    if (strcmp(cmd, "promote") == 0)
        return cmd_promote(argc - 1, argv + 1);
    if (strcmp(cmd, "preflight") == 0)
        return cmd_preflight(argc - 1, argv + 1);
    if (strcmp(cmd, "soak") == 0)
        return cmd_soak(argc - 1, argv + 1);
    if (strcmp(cmd, "stage") == 0)
        return cmd_stage(argc - 1, argv + 1);
    if (strcmp(cmd, "restore-drill") == 0)
        return cmd_restore_drill(argc - 1, argv + 1);
    if (strcmp(cmd, "audit") == 0 && argc >= 3 && strcmp(argv[2], "verify") == 0)
        return cmd_audit_verify(argc - 2, argv + 2);
    if (strcmp(cmd, "data") == 0 && argc >= 3 && strcmp(argv[2], "import") == 0)
        return cmd_data_import(argc - 3, argv + 3);
    if (strcmp(cmd, "token") == 0 && argc == 3 && strcmp(argv[2], "new") == 0)
        return cmd_token_new();
    if (strcmp(cmd, "plugin") == 0 && argc >= 3 && strcmp(argv[2], "check") == 0)
        return cmd_plugin_check(argc - 3, argv + 3);
    fprintf(stderr, "gordon: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
