/* `mydocker-shim --lifecycle FILE`: a later step of a container's OCI lifecycle (start,
 * delete), compiled by TypeScript when it created the container (src/runtime/lifecycle-plan.ts),
 * so that a caller that runs the runtime once per step (containerd's shim, conmon) does not
 * start node for it. Each record first checks that the container is as the plan expects;
 * one that is not is declined (LIFECYCLE_DECLINED, nothing said) before anything changed
 * that the runtime's own command would not do again, and the caller runs that command. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* How often awaitstart looks whether the process it waits for is still there. */
#define AWAIT_CHECK_MS 100

enum outcome { DONE = 0, DECLINED = 1, FAILED = -1 };

static enum outcome failed(const struct record *r, int err, const char *detail) {
  report_error(r->index, r->def->name, err, detail);
  return FAILED;
}

/* Whether PID is still the process that started at START (clock ticks since boot): not
 * gone, not a zombie, not a reused pid. 1 it is, 0 it is not, -1 /proc could not say
 * (reported as record R's failure). */
static int same_process(const struct record *r, unsigned long long pid, unsigned long long start) {
  char path[64], stat[1024];
  snprintf(path, sizeof path, "/proc/%llu/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ESRCH) return 0;
    report_error(r->index, r->def->name, errno, path);
    return -1;
  }
  ssize_t n = read(fd, stat, sizeof stat - 1);
  int err = errno;
  close(fd);
  /* A process reaped between the open and the read: ESRCH. */
  if (n < 0 && err == ESRCH) return 0;
  if (n <= 0) {
    report_error(r->index, r->def->name, n < 0 ? err : EIO, path);
    return -1;
  }
  stat[n] = '\0';
  /* The command name (field 2) may hold spaces and parentheses: fields follow the last ')'. */
  char *p = strrchr(stat, ')');
  if (p == NULL || p[1] != ' ') return 0;
  p += 2;
  if (*p == 'Z' || *p == 'X') return 0;
  /* Field 22, starttime: 19 fields after the state. */
  for (int field = 0; field < 19; field++) {
    p = strchr(p, ' ');
    if (p == NULL) return 0;
    p++;
  }
  char *end = strchr(p, ' ');
  if (end) *end = '\0';
  unsigned long long got;
  return parse_decimal(p, ~0ULL, &got) == 0 && got == start;
}

static enum outcome require_gone(const struct record *r) {
  int same = same_process(r, r->num[0], r->num[1]);
  return same < 0 ? FAILED : same ? DECLINED : DONE;
}

/* awaitstart FIFO PID START: the read side of the exec FIFO the created init (PID) waits on
 * to exec; its one byte says it goes on. Declined when the FIFO is gone (started before) or
 * the init ended without the byte. */
static enum outcome await_start(const struct record *r) {
  const char *fifo = r->args[0];
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? DECLINED : failed(r, errno, fifo);
  enum outcome out = DECLINED;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, AWAIT_CHECK_MS);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out = failed(r, errno, "poll on the exec FIFO");
      break;
    }
    if (n == 0) {
      int same = same_process(r, r->num[1], r->num[2]);
      if (same < 0) out = FAILED;
      if (same <= 0) break;
      continue;
    }
    char byte;
    ssize_t got = read(fd, &byte, 1);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got < 0) out = failed(r, errno, "read from the exec FIFO");
    else if (got == 1) out = DONE;
    break;
  }
  close(fd);
  /* The process goes on: only a start removes the FIFO, which is how a later start and
   * state tell a started container from one that never was. */
  if (out == DONE && unlink(fifo) != 0 && errno != ENOENT) report_error(r->index, r->def->name, errno, "unlink of the exec FIFO");
  return out;
}

/* rmdir PATH: an empty cgroup (or any directory) removed; one already gone is no error,
 * one still in use (EBUSY, ENOTEMPTY) is declined. */
static enum outcome remove_dir(const struct record *r) {
  if (rmdir(r->args[0]) == 0 || errno == ENOENT) return DONE;
  return errno == EBUSY || errno == ENOTEMPTY ? DECLINED : failed(r, errno, r->args[0]);
}

/* cleardir DIR: DIR's files and DIR removed; declined, before anything is removed, when DIR
 * holds a directory. */
static enum outcome clear_dir(const struct record *r) {
  const char *path = r->args[0];
  int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return errno == ENOENT ? DONE : failed(r, errno, path);
  /* The listing reads from a copy of dfd, which stays for fstatat, unlinkat and the close. */
  int fd = dup(dfd);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (d == NULL) {
    enum outcome out = failed(r, errno, path);
    if (fd >= 0) close(fd);
    close(dfd);
    return out;
  }
  enum outcome out = DONE;
  /* Pass 0 looks for a directory, pass 1 unlinks: nothing is removed from a DIR declined. */
  for (int pass = 0; pass < 2 && out == DONE; pass++) {
    rewinddir(d);
    struct dirent *e;
    errno = 0;
    while (out == DONE && (e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      if (pass == 0) {
        struct stat st;
        bool dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) dir = fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        if (dir) out = DECLINED;
      } else if (unlinkat(dfd, e->d_name, 0) != 0 && errno != ENOENT) {
        out = failed(r, errno, e->d_name);
      }
      errno = 0;
    }
    if (out == DONE && errno != 0) out = failed(r, errno, path);
  }
  closedir(d);
  close(dfd);
  if (out == DONE && rmdir(path) != 0 && errno != ENOENT) out = failed(r, errno, path);
  return out;
}

int run_lifecycle(char *buf, size_t len, bool check_only) {
  struct record *recs;
  int nrecs;
  if (records_parse(&recs, &nrecs, buf, len) != 0) return SETUP_FAILED;
  /* No record is no plan (the runtime writes its plans whole): the runtime's command runs. */
  if (nrecs == 0) {
    report_error(-1, "lifecycle", EINVAL, "the plan has no record");
    return SETUP_FAILED;
  }
  for (int i = 0; i < nrecs; i++)
    if (recs[i].def->executor != RUN_BY_LIFECYCLE) {
      report_error(i, recs[i].def->name, EINVAL, "not a lifecycle record");
      return SETUP_FAILED;
    }
  if (check_only) return 0;
  for (int i = 0; i < nrecs; i++) {
    const struct record *r = &recs[i];
    const char *n = r->def->name;
    enum outcome out;
    if (strcmp(n, "awaitstart") == 0) out = await_start(r);
    else if (strcmp(n, "gone") == 0) out = require_gone(r);
    else if (strcmp(n, "rmdir") == 0) out = remove_dir(r);
    else out = clear_dir(r);
    if (out == DECLINED) return LIFECYCLE_DECLINED;
    if (out == FAILED) return SETUP_FAILED;
  }
  return 0;
}
