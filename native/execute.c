/* The last step: exec, searching SEARCHPATH like execvp does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "shim.h"

/* Opening the FIFO for writing blocks until `start` opens it for reading. */
static int wait_for_start(struct child_state *st) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", st->fifo_fd);
  snprintf(st->detail, sizeof st->detail, "opening the exec FIFO");
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  close(st->fifo_fd);
  /* The FIFO's write end stays open until exec closes it (CLOEXEC). */
  return write_all(fd, "0", 1);
}

/* PATH (PATH_MAX bytes) = DIR (DLEN bytes) + "/" + FILE; false when too long. An empty
 * entry means the current directory, as for execvp. */
static bool candidate(char *path, const char *dir, size_t dlen, const char *file, size_t flen) {
  if (dlen + 1 + flen >= PATH_MAX) return false;
  if (dlen == 0) {
    memcpy(path, file, flen + 1);
  } else {
    memcpy(path, dir, dlen);
    path[dlen] = '/';
    memcpy(path + dlen + 1, file, flen + 1);
  }
  return true;
}

/* Calls TRY on each candidate DIR/FILE of SEARCHPATH, in order, until one returns true;
 * returns whether one did. */
static bool each_candidate(const char *searchpath, const char *file, bool (*try)(const char *path, void *arg), void *arg) {
  const char *dir = searchpath;
  size_t flen = strlen(file);
  for (;;) {
    const char *end = strchrnul(dir, ':');
    char path[PATH_MAX];
    if (candidate(path, dir, (size_t)(end - dir), file, flen) && try(path, arg)) return true;
    if (*end == '\0') return false;
    dir = end + 1;
  }
}

struct exec_try {
  char *const *argv, *const *envp;
  struct child_state *st;
  int first_error; /* the first failure other than "not there", as execvp keeps it */
};

/* execve returns only when it failed: the search goes on. */
static bool try_exec(const char *path, void *arg) {
  struct exec_try *t = arg;
  execve(path, t->argv, t->envp);
  if (errno != ENOENT && errno != ENOTDIR && t->first_error == 0) {
    t->first_error = errno;
    snprintf(t->st->detail, sizeof t->st->detail, "%s", path);
  }
  return false;
}

/* Only a sure "not there" (ENOENT, ENOTDIR) counts as missing; anything else is left to execve. */
static bool may_exist(const char *path, void *arg) {
  (void)arg;
  return access(path, F_OK) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

static int not_found(const char *searchpath, const char *file, struct child_state *st) {
  snprintf(st->detail, sizeof st->detail, "%s: not found in %s", file, searchpath);
  errno = ENOENT;
  return -1;
}

static int search(const char *searchpath, const char *file, char *const argv[], char *const envp[], struct child_state *st) {
  struct exec_try t = {.argv = argv, .envp = envp, .st = st};
  each_candidate(searchpath, file, try_exec, &t);
  if (t.first_error == 0) return not_found(searchpath, file, st);
  errno = t.first_error;
  return -1;
}

/* Whether FILE can be found at all, as runc checks before it waits for start: a process
 * that cannot be exec'd fails create, not later where nobody hears of it. */
static int check_exists(const char *searchpath, const char *file, struct child_state *st) {
  if (strchr(file, '/') != NULL) {
    snprintf(st->detail, sizeof st->detail, "%s", file);
    return may_exist(file, NULL) ? 0 : -1;
  }
  return each_candidate(searchpath, file, may_exist, NULL) ? 0 : not_found(searchpath, file, st);
}

int step_exec(const struct record *r, struct child_state *st) {
  const char *file = r->args[1];
  char *const *argv = &r->args[1];
  char *const *envp = st->plan->envp;
  struct child_msg ready = {.kind = MSG_READY, .step = r->index};
  if (st->hostexec_fd < 0 && check_exists(r->args[0], file, st) != 0) return -1;
  /* Handed off, the child outlives the monitor: it must not die with it any more. */
  if (st->plan->handoff && prctl(PR_SET_PDEATHSIG, 0) != 0) return -1;
  snprintf(st->detail, sizeof st->detail, "telling the monitor we are ready");
  if (chan_send(st->chan, &ready, -1) != 0) return -1;
  if (st->fifo_fd >= 0 && wait_for_start(st) != 0) return -1;
  if (!st->plan->handoff) child_bind_to_monitor(st->chan);
  if (place_preserved_fds(st) != 0) return -1;
  if (st->hostexec_fd >= 0) {
    snprintf(st->detail, sizeof st->detail, "the host program opened by hostexec");
    execveat(st->hostexec_fd, "", argv, envp, AT_EMPTY_PATH);
    return -1;
  }
  if (strchr(file, '/') != NULL) {
    snprintf(st->detail, sizeof st->detail, "%s", file);
    execve(file, argv, envp);
    return -1;
  }
  return search(r->args[0], file, argv, envp, st);
}

int step_hostexec(const struct record *r, struct child_state *st) {
  /* Opened now, while the host's filesystem is still the one we see: exec runs it
   * later from inside the container's mount namespace. It must be static. */
  snprintf(st->detail, sizeof st->detail, "%s", r->args[0]);
  st->hostexec_fd = open(r->args[0], O_PATH | O_CLOEXEC);
  return st->hostexec_fd < 0 ? -1 : 0;
}
