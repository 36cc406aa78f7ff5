/* The overlay record: an overlayfs built with the new mount API (fsopen, fsconfig,
 * fsmount, move_mount), each lower layer its own `lowerdir+` parameter (Linux 6.8), so
 * that the number of layers is not bounded by mount(2)'s one page of options. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "shim.h"

/* Adds the kernel's own words on the failure (what it logged on the fs context) to DETAIL. */
static void kernel_reason(int fs, char *detail, size_t size) {
  char msg[256];
  ssize_t n = read(fs, msg, sizeof msg - 1);
  if (n <= 0) return;
  msg[n] = '\0';
  if (msg[n - 1] == '\n') msg[n - 1] = '\0';
  size_t used = strlen(detail);
  if (used + 4 < size) snprintf(detail + used, size - used, " [%s]", msg);
}

/* TARGET UPPER WORK LOWER...: LOWER topmost first, as lowerdir= lists them. */
int step_overlay(const struct record *r, struct child_state *st) {
  const char *target = r->args[0], *upper = r->args[1], *work = r->args[2];
  int layers = r->nargs - 3;
  snprintf(st->detail, sizeof st->detail, "fsopen overlay for %s", target);
  int fs = fsopen("overlay", FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  int rc = 0;
  for (int a = 3; a < r->nargs && rc == 0; a++) {
    snprintf(st->detail, sizeof st->detail, "fsconfig lowerdir+ %s (layer %d of %d)", r->args[a], a - 2, layers);
    rc = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", r->args[a], 0);
  }
  if (rc == 0) {
    snprintf(st->detail, sizeof st->detail, "fsconfig upperdir %s", upper);
    rc = fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0);
  }
  if (rc == 0) {
    snprintf(st->detail, sizeof st->detail, "fsconfig workdir %s", work);
    rc = fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0);
  }
  if (rc == 0) {
    snprintf(st->detail, sizeof st->detail, "fsconfig create (overlay of %d layers)", layers);
    rc = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
  }
  int mnt = -1;
  if (rc == 0) {
    snprintf(st->detail, sizeof st->detail, "fsmount overlay for %s", target);
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
    if (mnt < 0) rc = -1;
  }
  if (rc == 0) {
    snprintf(st->detail, sizeof st->detail, "move_mount overlay onto %s", target);
    rc = move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
  }
  int saved = errno;
  if (rc != 0) kernel_reason(fs, st->detail, sizeof st->detail);
  if (mnt >= 0) close(mnt);
  close(fs);
  errno = saved;
  return rc;
}
