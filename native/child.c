/* The container's init between clone and exec: it waits to be released, runs
 * the child records in order and reports the first failure to the monitor.
 * It only uses what plan.c prepared: no allocation happens here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"

int chan_send(int chan, const struct child_msg *m, int fd) { return send_fd(chan, fd, m, sizeof *m); }

ssize_t chan_recv(int chan, struct child_msg *m, int *fd) {
  struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  *fd = -1;
  memset(m, 0, sizeof *m);
  ssize_t n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC);
  if (n <= 0) return n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof(int));
  m->detail[sizeof m->detail - 1] = '\0';
  return n;
}

void child_bind_to_monitor(int chan) {
  /* Dying with the monitor takes the whole PID namespace down. The kernel
   * clears this setting when credentials change, hence the second call
   * before exec. getppid() says nothing across a PID namespace, so the
   * channel tells whether the monitor already died. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) _exit(SETUP_FAILED);
  struct pollfd pfd = {.fd = chan, .events = 0};
  if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR))) _exit(SETUP_FAILED);
}

static void __attribute__((noreturn)) child_fail(const struct child_state *st, const struct record *r, int err) {
  struct child_msg msg = {.kind = MSG_ERROR, .step = r->index, .err = err};
  memcpy(msg.detail, st->detail, sizeof msg.detail);
  chan_send(st->chan, &msg, -1);
  _exit(SETUP_FAILED);
}

static void wait_for_release(int chan) {
  char go;
  ssize_t n;
  while ((n = read(chan, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) _exit(SETUP_FAILED);
}

void child_main(const struct plan *p, const struct child_fds *fds, bool restarted) {
  struct child_state st = {.plan = p, .chan = fds->chan, .fifo_fd = -1, .hostexec_fd = -1, .restarted = restarted};
  child_bind_to_monitor(fds->chan);
  wait_for_release(fds->chan);
  /* The monitor's signal setup must not leak into the container. */
  if (sigprocmask(SIG_SETMASK, &shim_original_mask, NULL) != 0 || signal(SIGPIPE, SIG_DFL) == SIG_ERR) {
    snprintf(st.detail, sizeof st.detail, "restoring the signal mask");
    child_fail(&st, p->clone, errno);
  }
  if (fds->in_r >= 0) {
    if (dup2(fds->in_r, STDIN_FILENO) < 0) {
      snprintf(st.detail, sizeof st.detail, "attaching stdin to its pipe");
      child_fail(&st, p->clone, errno);
    }
    close(fds->in_r);
  }
  if (fds->out_w >= 0) {
    if (dup2(fds->out_w, STDOUT_FILENO) < 0 || dup2(fds->err_w, STDERR_FILENO) < 0) {
      snprintf(st.detail, sizeof st.detail, "attaching stdout/stderr to the log pipes");
      child_fail(&st, p->log, errno);
    }
    close(fds->out_w);
    close(fds->err_w);
  }
  for (int i = 0; i < p->nrecs; i++) {
    const struct record *r = &p->recs[i];
    if (r->def->executor != RUN_BY_CHILD) continue;
    snprintf(st.detail, sizeof st.detail, "%s", r->nargs > 0 ? r->args[0] : "");
    if (r->def->run(r, &st) != 0) child_fail(&st, r, errno);
  }
  _exit(SETUP_FAILED); /* not reached: plan.c makes exec the last child record */
}

/* ---- the simple steps --------------------------------------------------- */

int step_setns(const struct record *r, struct child_state *st) {
  snprintf(st->detail, sizeof st->detail, "%s", r->args[1]);
  return setns_path(r->args[1], (int)r->num[0]);
}

int step_unshare(const struct record *r, struct child_state *st) {
  (void)st;
  return unshare((int)r->num[0]);
}

/* A new network namespace has its loopback interface down: it is brought up, as runc and
 * crun do, whatever else the engine adds to the namespace. */
int step_loopback(const struct record *r, struct child_state *st) {
  (void)r;
  (void)st;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

int step_hostname(const struct record *r, struct child_state *st) {
  (void)st;
  return sethostname(r->args[0], strlen(r->args[0]));
}

int step_domainname(const struct record *r, struct child_state *st) {
  (void)st;
  return setdomainname(r->args[0], strlen(r->args[0]));
}

static int write_to(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (write_all(fd, value, strlen(value)) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return close(fd);
}

int step_sysctl(const struct record *r, struct child_state *st) {
  int n = snprintf(st->detail, sizeof st->detail, "/proc/sys/%s", r->args[0]);
  if (n < 0 || (size_t)n >= sizeof st->detail) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *c = st->detail + strlen("/proc/sys/"); *c; c++)
    if (*c == '.') *c = '/';
  return write_to(st->detail, r->args[1]);
}

/* "0" names the writer itself: a thread that moves itself through a cgroup v1 `tasks`
 * file spares the kernel its global threadgroup lock, whose first taking after a quiet
 * spell waits out an RCU grace period (~10 ms) that writing our pid from outside costs. */
int step_cgroupjoin(const struct record *r, struct child_state *st) {
  (void)st;
  return write_to(r->args[0], "0");
}

int step_oomscoreadj(const struct record *r, struct child_state *st) {
  snprintf(st->detail, sizeof st->detail, "/proc/self/oom_score_adj");
  return write_to(st->detail, r->args[0]);
}

int step_rlimit(const struct record *r, struct child_state *st) {
  struct rlimit rl = {.rlim_cur = (rlim_t)r->num[1], .rlim_max = (rlim_t)r->num[2]};
  snprintf(st->detail, sizeof st->detail, "resource %s soft %s hard %s", r->args[0], r->args[1], r->args[2]);
  return setrlimit((__rlimit_resource_t)r->num[0], &rl);
}

int step_setsid(const struct record *r, struct child_state *st) {
  (void)r;
  (void)st;
  return setsid() < 0 ? -1 : 0;
}

int step_chdir(const struct record *r, struct child_state *st) {
  (void)st;
  return chdir(r->args[0]);
}

int step_env(const struct record *r, struct child_state *st) {
  /* plan.c already put every entry into the exec environment, in order. */
  (void)r;
  (void)st;
  return 0;
}

int step_execfifo(const struct record *r, struct child_state *st) {
  /* OCI start released the first run; a restart runs on its own. */
  if (st->restarted) return 0;
  st->fifo_fd = open(r->args[0], O_PATH | O_CLOEXEC);
  return st->fifo_fd < 0 ? -1 : 0;
}
