/* The `timens` child record: a time namespace of the container's own with the spec's clock
 * offsets (linux.timeOffsets). unshare(CLONE_NEWTIME) makes it for the children to come
 * only, and its offsets can be set only before anyone is in it; then the child enters it
 * itself (setns on a single-threaded process takes effect at once), so that what it execs
 * runs in it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int step_timens(const struct record *r, struct child_state *st) {
  snprintf(st->detail, sizeof st->detail, "unshare(CLONE_NEWTIME)");
  if (unshare(CLONE_NEWTIME) != 0) return -1;
  char offsets[256];
  int n = snprintf(offsets, sizeof offsets, "monotonic %s %s\nboottime %s %s\n", r->args[0], r->args[1], r->args[2], r->args[3]);
  if (n < 0 || (size_t)n >= sizeof offsets) {
    errno = E2BIG;
    return -1;
  }
  snprintf(st->detail, sizeof st->detail, "/proc/self/timens_offsets: %s %s %s %s", r->args[0], r->args[1], r->args[2], r->args[3]);
  int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (write_all(fd, offsets, (size_t)n) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  close(fd);
  snprintf(st->detail, sizeof st->detail, "entering the new time namespace");
  return setns_path("/proc/self/ns/time_for_children", CLONE_NEWTIME);
}
