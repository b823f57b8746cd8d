/* sdnotify — the sd_notify(3) datagram over $NOTIFY_SOCKET; see sdnotify.h. */
#include "base/sdnotify.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un addr;
static socklen_t addr_len;

int sdnotify_init(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    addr_len = 0;
    if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof addr.sun_path) return 0;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    size_t n = strlen(path);
    memcpy(addr.sun_path, path, n);
    if (path[0] == '@') addr.sun_path[0] = 0; /* an abstract socket */
    addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
    unsetenv("NOTIFY_SOCKET");
    return 1;
}

void sdnotify(const char *state)
{
    if (!addr_len) return;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    ssize_t r = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
    (void)r;
    close(fd);
}
