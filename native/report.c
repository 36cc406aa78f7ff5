/* The control socket (fd 3) and the shim's error messages. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

#define CONTROL_FD 3

static int control_fd = -1;

int control_init(bool required) {
  struct stat st;
  int err = fstat(CONTROL_FD, &st) != 0 ? errno : (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)) ? 0 : ENOTSOCK;
  if (err != 0) {
    if (!required) return 0;
    report_error(-1, "control", err, "fd 3 must be the control socket (or use --plan FILE)");
    return -1;
  }
  /* The container must not hold the caller's socket open. */
  if (fcntl(CONTROL_FD, F_SETFD, FD_CLOEXEC) != 0) {
    report_error(-1, "control", errno, "fcntl(3, F_SETFD)");
    return -1;
  }
  control_fd = CONTROL_FD;
  return 0;
}

bool control_present(void) { return control_fd >= 0; }

void control_close_in_child(void) {
  if (control_fd >= 0) close(control_fd);
  control_fd = -1;
}

void control_send(const char *fmt, ...) {
  if (control_fd < 0) return;
  char line[PATH_MAX + 512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  /* A caller that went away is not an error: a detached container outlives it. */
  if (write_all(control_fd, line, (size_t)n) != 0) control_fd = -1;
}

int control_read_exact(char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(control_fd, buf + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return 0;
}

ssize_t control_read_line(char *buf, size_t size) {
  size_t len = 0;
  if (control_fd < 0) return -1;
  for (;;) {
    char c;
    ssize_t n = read(control_fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    if (c == '\n') break;
    if (len + 1 < size) buf[len++] = c;
  }
  buf[len] = '\0';
  return (ssize_t)len;
}

void report_error(int step, const char *op, int err, const char *detail) {
  char clean[PATH_MAX + 256];
  one_line(clean, sizeof clean, detail);
  /* With a caller on the control socket, the caller tells people; the container's
     stderr is theirs and gets no second copy. */
  if (control_fd < 0) dprintf(STDERR_FILENO, "mydocker-shim: %d %s: %s (errno %d): %s\n", step, op, strerror(err), err, clean);
  control_send("error %d %s %d %s", step, op, err, clean);
}
