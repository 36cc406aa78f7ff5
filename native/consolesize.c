/* The `consolesize` child record: the spec's process.consoleSize on the container's pty
 * (after `console`, whose slave is then fds 0-2), in place of the size of the caller's
 * terminal, which a caller without one (containerd, conmon) does not have. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "shim.h"

int step_consolesize(const struct record *r, struct child_state *st) {
  struct winsize ws = {.ws_row = (unsigned short)r->num[0], .ws_col = (unsigned short)r->num[1]};
  snprintf(st->detail, sizeof st->detail, "%llu rows, %llu columns", r->num[0], r->num[1]);
  return ioctl(0, TIOCSWINSZ, &ws);
}
