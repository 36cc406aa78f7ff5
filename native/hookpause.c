/* The `hookpause` child record: the container is set up up to its root switch and waits
 * while its caller runs the hooks the runtime spec puts there (prestart, createRuntime in
 * the runtime's namespaces, createContainer in the container's: after its mounts, before
 * pivot_root). The monitor relays the pause to the caller (`hooks`) and the caller's `go`
 * back; the child never decides anything about the hooks. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "shim.h"

int step_hookpause(const struct record *r, struct child_state *st) {
  struct child_msg pause = {.kind = MSG_PAUSE, .step = r->index};
  snprintf(st->detail, sizeof st->detail, "telling the monitor the hooks are due");
  if (chan_send(st->chan, &pause, -1) != 0) return -1;
  snprintf(st->detail, sizeof st->detail, "waiting for the caller's hooks");
  char go;
  ssize_t n;
  while ((n = read(st->chan, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n == 1) return 0;
  if (n == 0) errno = ECANCELED;
  return -1;
}
