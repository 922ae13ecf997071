#include "plugin/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(GD_SANITIZER_BUILD)
#define GD_SANDBOX_SANITIZER 1
#else
#define GD_SANDBOX_SANITIZER 0
#endif

static int set_limit(int res, const char *name, rlim_t v, gd_err *err)
{
    struct rlimit rl = {v, v};
    if (setrlimit(res, &rl) != 0)
        return gd_err_set(err, GD_EIO, "setrlimit(%s, %llu): %s", name, (unsigned long long)v, strerror(errno));
    return 0;
}

int gd_sandbox_process(const gd_sandbox_limits *lim, gd_err *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return gd_err_set(err, GD_EIO, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return gd_err_set(err, GD_EIO, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return gd_err_set(err, GD_EIO, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
    /* The host may have gone between the spawn and the prctl. */
    if (getppid() == 1)
        return gd_err_set(err, GD_EIO, "the host is gone");
    int rc = set_limit(RLIMIT_CORE, "RLIMIT_CORE", 0, err);
    if (!rc)
        rc = set_limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", 0, err);
    if (!rc) /* the socket, then Landlock's ruleset and a path, or the loader's one file */
        rc = set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", GD_WORKER_FD + 3, err);
    if (!rc)
        rc = set_limit(RLIMIT_NPROC, "RLIMIT_NPROC", 0, err);
    if (!rc && lim->address_space_mb)
        rc = set_limit(RLIMIT_AS, "RLIMIT_AS", (rlim_t)lim->address_space_mb << 20, err);
    if (!rc && lim->cpu_seconds)
        rc = set_limit(RLIMIT_CPU, "RLIMIT_CPU", (rlim_t)lim->cpu_seconds, err);
    return rc;
}

/* ------------------------------------------------------------ Landlock */

#define LL_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE)
#define LL_DIR_RIGHTS (LL_FILE_RIGHTS | LANDLOCK_ACCESS_FS_READ_DIR)

static int ll_allow(int ruleset, const char *path, uint64_t rights, int must, gd_err *err)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        if (!must && errno == ENOENT)
            return 0;
        return gd_err_set(err, GD_EIO, "landlock: %s: %s", path, strerror(errno));
    }
    struct landlock_path_beneath_attr pb = {.allowed_access = rights, .parent_fd = fd};
    long r = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
    int saved = errno;
    close(fd);
    if (r != 0)
        return gd_err_set(err, GD_EIO, "landlock_add_rule(%s): %s", path, strerror(saved));
    return 0;
}

int gd_sandbox_landlock(const char *plugin_path, gd_err *err)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0) /* ENOSYS or EOPNOTSUPP: a kernel without it */
        return 0;
    /* Every access right this ABI knows is handled (denied unless a rule
     * allows it): ABI 1 has 13 filesystem rights, 2 adds REFER, 3 TRUNCATE. */
    uint64_t handled = (1ULL << 13) - 1;
    if (abi >= 2)
        handled |= 1ULL << 13;
    if (abi >= 3)
        handled |= 1ULL << 14;
    struct landlock_ruleset_attr attr = {.handled_access_fs = handled};
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (rs < 0)
        return gd_err_set(err, GD_EIO, "landlock_create_ruleset: %s", strerror(errno));
    static const char *const libdirs[] = {"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"};
    int rc = ll_allow(rs, plugin_path, LL_FILE_RIGHTS, 1, err);
    for (size_t i = 0; !rc && i < sizeof libdirs / sizeof libdirs[0]; i++)
        rc = ll_allow(rs, libdirs[i], LL_DIR_RIGHTS, 0, err);
    if (!rc)
        rc = ll_allow(rs, "/etc/ld.so.cache", LANDLOCK_ACCESS_FS_READ_FILE, 0, err);
    if (!rc && syscall(SYS_landlock_restrict_self, rs, 0) != 0)
        rc = gd_err_set(err, GD_EIO, "landlock_restrict_self: %s", strerror(errno));
    close(rs);
    return rc ? rc : 1;
}

/* ------------------------------------------------------------ seccomp */

typedef struct rule {
    int nr;
    unsigned n_args;
    struct scmp_arg_cmp arg;
} rule;

#define ANY(name) {SCMP_SYS(name), 0, {0, 0, 0, 0}}
#define ARG(name, cmp) {SCMP_SYS(name), 1, cmp}

static int load(const rule *rules, size_t n, const rule *extra, size_t n_extra, const char *stage, gd_err *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    int rc = 0;
    if (!ctx)
        return gd_err_set(err, GD_EIO, "seccomp_init failed");
    /* gd_sandbox_process set no_new_privs; libseccomp's own prctl would be
     * refused by the first stage when the second is loaded. */
    int ar = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (ar != 0)
        rc = gd_err_set(err, GD_EIO, "seccomp (%s): %s", stage, strerror(-ar));
    for (size_t i = 0; i < n + n_extra && !rc; i++) {
        const rule *r = i < n ? &rules[i] : &extra[i - n];
        int sr = r->n_args ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1, r->arg)
                           : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0);
        if (sr != 0)
            rc = gd_err_set(err, GD_EIO, "seccomp (%s): cannot allow syscall %d: %s", stage, r->nr, strerror(-sr));
    }
    if (!rc) {
        int sr = seccomp_load(ctx);
        if (sr != 0)
            rc = gd_err_set(err, GD_EIO, "seccomp (%s): load: %s", stage, strerror(-sr));
    }
    seccomp_release(ctx);
    return rc;
}

#define NO_WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE)
#define IPC SCMP_A0(SCMP_CMP_EQ, GD_WORKER_FD)

/* What a sanitizer runtime needs to report (tests only). */
static const rule sanitizer_rules[] = {
    ARG(write, SCMP_A0(SCMP_CMP_EQ, 2)), ARG(writev, SCMP_A0(SCMP_CMP_EQ, 2)),
    ARG(openat, SCMP_A2(SCMP_CMP_MASKED_EQ, NO_WRITE_FLAGS, 0)),
    ANY(read), ANY(close), ANY(fstat), ANY(newfstatat), ANY(lseek), ANY(readlink), ANY(getpid), ANY(gettid),
    ANY(sched_yield), ANY(rt_sigprocmask), ANY(rt_sigaction), ANY(sigaltstack), ANY(getrlimit), ANY(prlimit64),
    ANY(nanosleep), ANY(clock_nanosleep), ANY(getdents64), ANY(uname),
};

int gd_sandbox_seccomp_loader(gd_err *err)
{
    static const rule rules[] = {
        ARG(openat, SCMP_A2(SCMP_CMP_MASKED_EQ, NO_WRITE_FLAGS, 0)),
        ARG(open, SCMP_A1(SCMP_CMP_MASKED_EQ, NO_WRITE_FLAGS, 0)),
        ANY(read), ANY(pread64), ANY(close), ANY(fstat), ANY(newfstatat), ANY(statx), ANY(lseek),
        ANY(access), ANY(faccessat), ANY(mmap), ANY(mprotect), ANY(munmap), ANY(brk), ANY(madvise),
        ANY(mremap), ANY(futex), ANY(getrandom), ANY(clock_gettime), ANY(gettimeofday),
        ARG(write, IPC), ARG(sendto, IPC), ARG(recvfrom, IPC),
        ANY(rt_sigreturn), ANY(exit), ANY(exit_group),
        /* Only to stack the second stage: a filter can never loosen another. */
        ANY(seccomp),
    };
    return load(rules, sizeof rules / sizeof rules[0], sanitizer_rules,
                GD_SANDBOX_SANITIZER ? sizeof sanitizer_rules / sizeof sanitizer_rules[0] : 0, "loader", err);
}

int gd_sandbox_seccomp_run(gd_err *err)
{
    static const rule rules[] = {
        ARG(read, IPC), ARG(write, IPC), ARG(sendto, IPC), ARG(recvfrom, IPC),
        ARG(mmap, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
        ARG(mprotect, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
        ANY(munmap), ANY(mremap), ANY(brk), ANY(madvise), ANY(futex), ANY(clock_gettime), ANY(gettimeofday),
        ANY(getrandom), ANY(rt_sigreturn), ANY(exit), ANY(exit_group),
    };
    return load(rules, sizeof rules / sizeof rules[0], sanitizer_rules,
                GD_SANDBOX_SANITIZER ? sizeof sanitizer_rules / sizeof sanitizer_rules[0] : 0, "run", err);
}
