/* A fatal signal names the plugin being called. In-process plugins (replay,
 * ablation) share the host's address space: a plugin that writes to the
 * read-only host-API table or through its handle dies here, and the operator
 * must learn which one did it. The handler prints one line with write(2)
 * only, puts the previous action back and returns: the fault repeats and
 * kills the process the usual way (or reaches a sanitizer's own handler). */
#include "engine/engine_int.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
#define N_FATAL (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction previous[N_FATAL];
static char altstack[256 * 1024]; /* a stack overflow still gets its line */

static void put(const char *s) { (void)!write(STDERR_FILENO, s, strnlen(s, 200)); }

static void on_fatal(int sig)
{
    size_t k = 0;
    while (k < N_FATAL && fatal_signals[k] != sig)
        k++;
    const char *what = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGILL ? "SIGILL" : "SIGFPE";
    const gd_inst *in = gd_calling ? gd_handle_peek(gd_calling) : NULL;
    put("gordon: fatal ");
    put(what);
    if (in) {
        put(" in plugin instance '");
        put(in->name ? in->name : "?");
        put("' (");
        put(in->d && in->d->name ? in->d->name : "?");
        put("): the plugin crashed the process\n");
    } else {
        put(" in the host, not in a plugin call\n");
    }
    if (k < N_FATAL)
        sigaction(sig, &previous[k], NULL);
    else
        signal(sig, SIG_DFL);
}

int gd_engine_crash_report_install(gd_err *err)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0)
        return gd_err_set(err, GD_EIO, "sigaltstack failed");
    for (size_t k = 0; k < N_FATAL; k++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal;
        sa.sa_flags = SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        if (sigaction(fatal_signals[k], &sa, &previous[k]) != 0)
            return gd_err_set(err, GD_EIO, "sigaction(%d) failed", fatal_signals[k]);
    }
    return 0;
}
