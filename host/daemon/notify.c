/* systemd readiness: sd_notify's datagram protocol without libsystemd.
 * The protocol is one AF_UNIX datagram of newline-separated KEY=VALUE
 * assignments sent to the address in $NOTIFY_SOCKET: a filesystem path
 * ("/run/systemd/notify") or, with a leading '@', an abstract socket whose
 * name is the rest of the string. systemd identifies the sender by its pid
 * (credentials the kernel attaches), so nothing else is needed. */
#include "daemon/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/err.h"

int gd_notify(const char *state)
{
    const char *addr = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    socklen_t salen;
    size_t alen, slen;
    ssize_t sent;
    int fd;

    /* Not started by systemd (or Type=simple): nothing to tell. */
    if (!addr || !*addr)
        return 0;
    if (!state || !*state)
        return GD_EINVAL;
    /* Only the two forms above; newer systemd's vsock: addresses are for VMs. */
    if (addr[0] != '/' && addr[0] != '@')
        return GD_EINVAL;
    alen = strlen(addr);
    if (alen > sizeof sa.sun_path)
        return GD_EINVAL;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, addr, alen);
    /* Abstract names are not NUL-terminated: the length delimits them, and the
     * '@' stands for the leading NUL byte. A path gets its terminator if it fits. */
    if (addr[0] == '@')
        sa.sun_path[0] = '\0';
    salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen +
                        (addr[0] == '/' && alen < sizeof sa.sun_path ? 1 : 0));

    /* Non-blocking so a stuck manager can never stall the event loop; close-on-exec
     * so a child never inherits it. */
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return GD_EIO;
    slen = strlen(state);
    do
        sent = sendto(fd, state, slen, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
    while (sent < 0 && errno == EINTR);
    close(fd);
    if (sent < 0 || (size_t)sent != slen)
        return GD_EIO;
    return 1;
}

/* Digits only, no sign, space or suffix, no overflow: what systemd writes. */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 1;
}

int gd_watchdog_interval(uint64_t *interval_ms, gd_err *err)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    uint64_t us, p;

    *interval_ms = 0;
    if (!usec || !*usec)
        return 0;
    /* A leftover from a parent that was supervised (our pid differs): not ours. */
    if (pid && *pid) {
        if (!parse_u64(pid, &p) || p == 0 || p > (uint64_t)INT32_MAX)
            return gd_err_set(err, GD_EINVAL, "WATCHDOG_PID=%.32s: not a process id", pid);
        if (p != (uint64_t)getpid())
            return 0;
    }
    /* systemd's "infinity" (UINT64_MAX) means no deadline: refused like 0. */
    if (!parse_u64(usec, &us) || us == 0 || us == UINT64_MAX)
        return gd_err_set(err, GD_EINVAL, "WATCHDOG_USEC=%.32s: not a positive whole number of microseconds", usec);
    *interval_ms = us / 2000 ? us / 2000 : 1;
    return 0;
}
