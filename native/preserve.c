/* The caller's file descriptors a plan passes on to the container's process (the
 * `preservefds` record: runc's --preserve-fds). The caller hands them to the shim at
 * FIRST_PRESERVED_FD (4, after the control socket) and on; the process gets them at 3 and
 * on, as runc gives them. Nothing else the caller had open ever reaches the container. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

unsigned int preserved_fds(const struct plan *p) {
  return p->preservefds ? (unsigned int)p->preservefds->num[0] : 0;
}

static int close_from_to(unsigned int first, unsigned int last) {
  if (first > last || syscall(SYS_close_range, first, last, 0) == 0) return 0;
  report_error(-1, "close_range", errno, "closing inherited file descriptors");
  return -1;
}

int close_strays(const struct plan *p, unsigned int first) {
  unsigned int n = preserved_fds(p);
  if (n == 0) return close_from_to(first, ~0U);
  if (close_from_to(first, FIRST_PRESERVED_FD - 1) != 0) return -1;
  for (unsigned int fd = FIRST_PRESERVED_FD; fd < FIRST_PRESERVED_FD + n; fd++) {
    /* The monitor keeps them for the child only: an exitcmd or a health check never gets them. */
    if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0) {
      report_error(p->preservefds->index, "preservefds", errno, "a preserved fd the caller did not pass");
      return -1;
    }
  }
  return close_from_to(FIRST_PRESERVED_FD + n, ~0U);
}

/* An fd of the child's own in [3, 3+N) moves above every preserved one (the dup2s would
 * replace it). */
static int move_out_of_the_way(int *fd, unsigned int n) {
  if (*fd < 3 || (unsigned int)*fd >= 3 + n) return 0;
  int moved = fcntl(*fd, F_DUPFD_CLOEXEC, (int)(FIRST_PRESERVED_FD + n));
  if (moved < 0) return -1;
  close(*fd);
  *fd = moved;
  return 0;
}

int place_preserved_fds(struct child_state *st) {
  unsigned int n = preserved_fds(st->plan);
  if (n == 0) return 0;
  snprintf(st->detail, sizeof st->detail, "placing the %u preserved fds at 3 and on", n);
  if (move_out_of_the_way(&st->chan, n) != 0 || move_out_of_the_way(&st->hostexec_fd, n) != 0) return -1;
  /* Target 3+i is below source 4+i: in ascending order no source is overwritten before it is copied.
   * dup2 leaves the copy without FD_CLOEXEC; the last source (at 3+N) keeps it and closes at exec. */
  for (unsigned int i = 0; i < n; i++)
    if (dup2((int)(FIRST_PRESERVED_FD + i), (int)(3 + i)) < 0) return -1;
  return 0;
}
