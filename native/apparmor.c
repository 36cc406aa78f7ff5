/* The `apparmor` child record: the AppArmor profile (process.apparmorProfile) the process
 * gets when it execs, as runc applies it: "exec PROFILE" written to the task's
 * attr/apparmor/exec (Linux 5.8: AppArmor's own directory, beside other LSMs), or to the
 * older shared attr/exec. The compiler emits it only when the host has AppArmor enabled;
 * a profile the kernel will not take fails the step, and the container with it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "shim.h"

int step_apparmor(const struct record *r, struct child_state *st) {
  char line[4096];
  int n = snprintf(line, sizeof line, "exec %s", r->args[0]);
  if (n < 0 || (size_t)n >= sizeof line) {
    errno = E2BIG;
    snprintf(st->detail, sizeof st->detail, "AppArmor profile name too long");
    return -1;
  }
  const char *file = "/proc/self/attr/apparmor/exec";
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    file = "/proc/self/attr/exec";
    fd = open(file, O_WRONLY | O_CLOEXEC);
  }
  snprintf(st->detail, sizeof st->detail, "%s: exec %.200s", file, r->args[0]);
  if (fd < 0) return -1;
  /* One write: the kernel takes the whole request or refuses it. */
  ssize_t w = write(fd, line, (size_t)n);
  int saved = errno;
  close(fd);
  if (w == n) return 0;
  errno = w < 0 ? saved : EIO;
  return -1;
}
