/* The container's terminal: a pty from the container's own devpts instance,
 * made the controlling terminal and stdio of init; the master goes to the
 * monitor, which copies between it and the caller (monitor.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

static int attach_slave(int master, const char *console, struct child_state *st) {
  unsigned int ptn;
  if (ioctl(master, TIOCGPTN, &ptn) != 0) return -1;
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return -1;
  char name[64];
  snprintf(name, sizeof name, "/dev/pts/%u", ptn);
  if (console[0] != '\0') {
    snprintf(st->detail, sizeof st->detail, "binding %s onto %s", name, console);
    if (mknod(console, S_IFREG | 0600, 0) != 0 && errno != EEXIST) return -1;
    if (mount(name, console, NULL, MS_BIND, NULL) != 0) return -1;
  }
  snprintf(st->detail, sizeof st->detail, "making %s the controlling terminal", name);
  if (ioctl(slave, TIOCSCTTY, 0) != 0) return -1;
  /* The caller's terminal size, before the process can ask for it: the monitor's copy (at
   * its start, and on SIGWINCH) may land after the exec. A stdin that is no terminal
   * (ENOTTY) has no size to give. */
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
    snprintf(st->detail, sizeof st->detail, "setting the size of %s", name);
    if (ioctl(slave, TIOCSWINSZ, &ws) != 0) return -1;
  }
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(slave, fd) < 0) return -1;
  return close(slave);
}

int step_console(const struct record *r, struct child_state *st) {
  struct child_msg msg = {.kind = MSG_TTY, .step = r->index};
  snprintf(st->detail, sizeof st->detail, "/dev/ptmx");
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return -1;
  int unlock = 0;
  int rc = ioctl(master, TIOCSPTLCK, &unlock);
  if (rc == 0) rc = attach_slave(master, r->args[0], st);
  if (rc == 0) {
    snprintf(st->detail, sizeof st->detail, "sending the pty master to the monitor");
    rc = chan_send(st->chan, &msg, master);
  }
  int saved = errno;
  close(master);
  errno = saved;
  return rc;
}
