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
