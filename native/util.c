/* Small helpers shared by the monitor and the child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

int send_fd(int sock, int fd, const void *payload, size_t len) {
  struct iovec iov = {.iov_base = (void *)payload, .iov_len = len};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    memset(&u, 0, sizeof u);
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n < 0 ? -1 : 0;
}

int setns_path(const char *path, int nstype) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = setns(fd, nstype);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int atomic_open(const char *path) {
  char tmp[PATH_MAX];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

int atomic_commit(int fd, const char *path, const char *data, size_t len) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.tmp", path); /* atomic_open checked the length */
  if (write_all(fd, data, len) != 0) {
    int saved = errno;
    close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
  }
  if (close(fd) != 0 || rename(tmp, path) != 0) {
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return -1;
  }
  return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len) {
  int fd = atomic_open(path);
  return fd < 0 ? -1 : atomic_commit(fd, path, data, len);
}

int parse_decimal(const char *s, unsigned long long max, unsigned long long *out) {
  /* Digits only, and no leading zero: strtoull would take "010" as 8 (base 0), " 1", "+1"
   * and "-1" (as 2^64-1), and stop quietly at "12abc". */
  if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0')) {
    errno = EINVAL;
    return -1;
  }
  unsigned long long v = 0;
  for (const char *c = s; *c != '\0'; c++) {
    if (*c < '0' || *c > '9') {
      errno = EINVAL;
      return -1;
    }
    unsigned digit = (unsigned)(*c - '0');
    if (digit > max || v > (max - digit) / 10) {
      errno = ERANGE;
      return -1;
    }
    v = v * 10 + digit;
  }
  *out = v;
  return 0;
}

void one_line(char *dst, size_t size, const char *src) {
  size_t i = 0;
  if (size == 0) return;
  for (; src != NULL && src[i] != '\0' && i + 1 < size; i++) dst[i] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
  dst[i] = '\0';
}

/* The kernel's struct sigaction (the system call's, not glibc's). */
struct kernel_sigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
};

int unignore_libc_signals(void) {
  /* SIGCANCEL and SIGSETXID, glibc's own: its sigaction refuses them, the system call does not. */
  for (int sig = 32; sig <= 33; sig++) {
    struct kernel_sigaction old, dfl = {SIG_DFL, 0, NULL, 0};
    if (syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof old.mask) != 0) {
      report_error(-1, "rt_sigaction", errno, "reading the disposition of glibc's signals 32 and 33");
      return -1;
    }
    if (old.handler == SIG_IGN && syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask) != 0) {
      report_error(-1, "rt_sigaction", errno, "restoring the default disposition of glibc's signals 32 and 33");
      return -1;
    }
  }
  return 0;
}
