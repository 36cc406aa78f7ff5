/* What a monitor that hands its child off (the `handoff` record: runc's contract, where
 * the caller is a subreaper that reaps the container) gives the caller instead of
 * serving it: the pty master, over the caller's console socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim.h"

/* runc sends the master's name as the payload; receivers (containerd's console package,
 * conmon) want a non-empty one. */
static const char PAYLOAD[] = "/dev/ptmx";

int send_to_console_socket(const char *path, int fd) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(addr.sun_path, path, strlen(path) + 1);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int saved = errno;
    close(s);
    errno = saved;
    return -1;
  }
  int rc = send_fd(s, fd, PAYLOAD, sizeof PAYLOAD - 1);
  int saved = errno;
  close(s);
  errno = saved;
  return rc;
}
