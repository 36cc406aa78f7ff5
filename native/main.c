/* mydocker-shim: reads a plan from the control socket (fd 3) or from
 * `--plan FILE`, then runs it (monitor.c); `--check-plan FILE` only parses it, which
 * needs no privilege (the plan contract's unit tests). `--lifecycle FILE` runs a step of a
 * created container's lifecycle compiled beforehand (lifecycle.c; `--check-lifecycle FILE`
 * only parses it). It decides nothing itself.
 * Called as mydocker-init, it is a container's init instead (init.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

#define PLAN_MAX (64u << 20)

static char *read_plan_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    report_error(-1, "plan", errno, path);
    return NULL;
  }
  if (st.st_size > PLAN_MAX) {
    report_error(-1, "plan", EFBIG, path);
    return NULL;
  }
  char *buf = malloc((size_t)st.st_size + 1);
  size_t got = 0;
  if (buf == NULL) {
    report_error(-1, "plan", ENOMEM, path);
    return NULL;
  }
  for (;;) {
    ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      report_error(-1, "plan", errno, path);
      return NULL;
    }
    if (n == 0) break;
    got += (size_t)n;
    if (got > (size_t)st.st_size) {
      report_error(-1, "plan", EFBIG, "the plan file grew while being read");
      return NULL;
    }
  }
  close(fd);
  *len = got;
  return buf;
}

/* The framing is `LENGTH\n` then LENGTH bytes; nothing after them is read,
 * since the same socket later carries `go`. */
static char *read_plan_control(size_t *len) {
  char header[24];
  unsigned long long size = 0;
  if (control_read_line(header, sizeof header) <= 0 || parse_decimal(header, PLAN_MAX, &size) != 0) {
    report_error(-1, "plan", EINVAL, "expected LENGTH\\n then the plan on fd 3");
    return NULL;
  }
  char *buf = malloc((size_t)size + 1);
  if (buf == NULL) {
    report_error(-1, "plan", ENOMEM, "reading the plan");
    return NULL;
  }
  if (control_read_exact(buf, (size_t)size) != 0) {
    report_error(-1, "plan", EPIPE, "the control socket closed inside the plan");
    return NULL;
  }
  *len = (size_t)size;
  return buf;
}

int main(int argc, char **argv) {
  if (unignore_libc_signals() != 0) return SETUP_FAILED;
  const char *name = strrchr(argv[0], '/');
  if (strcmp(name ? name + 1 : argv[0], "mydocker-init") == 0) return run_init(argc, argv);
  if (argc == 3 && strcmp(argv[1], "--serve") == 0) return serve(argv);
  bool check_lifecycle = argc == 3 && strcmp(argv[1], "--check-lifecycle") == 0;
  if (argc == 3 && (check_lifecycle || strcmp(argv[1], "--lifecycle") == 0)) {
    size_t len = 0;
    char *buf = read_plan_file(argv[2], &len);
    return buf == NULL ? SETUP_FAILED : run_lifecycle(buf, len, check_lifecycle);
  }
  const char *plan_file = NULL;
  bool check_only = argc == 3 && strcmp(argv[1], "--check-plan") == 0;
  if (argc == 3 && (check_only || strcmp(argv[1], "--plan") == 0)) {
    plan_file = argv[2];
  } else if (argc != 1) {
    fprintf(stderr, "usage: mydocker-shim [--plan FILE | --check-plan FILE | --serve NAME | --lifecycle FILE | --check-lifecycle FILE]  (without --plan the plan comes framed on fd 3)\n");
    return SETUP_FAILED;
  }
  if (control_init(plan_file == NULL) != 0) return SETUP_FAILED;
  size_t len = 0;
  char *buf = plan_file ? read_plan_file(plan_file, &len) : read_plan_control(&len);
  struct plan plan;
  if (buf == NULL || plan_parse(&plan, buf, len) != 0) return SETUP_FAILED;
  /* Whatever else the caller left open is neither ours nor the container's, but for the
   * fds the plan preserves (known only now: the plan is read first). */
  if (close_strays(&plan, control_present() ? 4 : 3) != 0) return SETUP_FAILED;
  return check_only ? 0 : run_monitor(&plan);
}

int run_from_control(void) {
  size_t len = 0;
  char *buf = read_plan_control(&len);
  struct plan plan;
  if (buf == NULL || plan_parse(&plan, buf, len) != 0) return SETUP_FAILED;
  if (plan.preservefds) {
    /* The launcher's shims inherit the launcher's fds, not their caller's. */
    report_error(plan.preservefds->index, "preservefds", EINVAL, "not through the launcher: spawn the shim with the fds");
    return SETUP_FAILED;
  }
  return run_monitor(&plan);
}
