/* The birth of the container's init: clone(2) with the plan's flags, or clone3 straight
 * into its cgroup (clonecgroup). Only the syscalls: the monitor decides what follows. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

pid_t clone_child(unsigned long long flags, int cgroup_fd, bool *move) {
  *move = false;
  if (cgroup_fd >= 0) {
    /* Born in the cgroup: no move, so none of the threadgroup lock a cgroup.procs write takes. */
    struct clone_args ca = {.flags = flags | CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgroup_fd};
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
    if (pid >= 0 || errno != ENOSYS) return pid;
    *move = true;
  }
  return (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0, 0, 0);
}

/* The fallback of clonecgroup where clone3 is refused (ENOSYS: an outer container's seccomp
 * filter, as docker's default profile has it): the monitor moves the child through
 * cgroup.procs before it lets it go. */
int clone_move_into_cgroup(int cgroup_fd, pid_t pid) {
  char text[16];
  int n = snprintf(text, sizeof text, "%d", (int)pid);
  int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = write_all(fd, text, (size_t)n);
  int err = errno;
  close(fd);
  errno = err;
  return rc;
}
