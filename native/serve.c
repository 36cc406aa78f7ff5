/* `mydocker-shim --serve NAME`: a launcher that forks shims for its caller.
 *
 * A Node process that starts many containers pays for every fork of itself (its page
 * tables, then copy-on-write faults all over its heap): this small process forks instead.
 * It listens on the abstract unix socket NAME and takes connections from its parent
 * only (SO_PEERCRED). Each connection becomes one shim: a forked child that makes the
 * connection its control socket (fd 3) and goes on exactly as an exec'd shim would. The
 * launcher reaps it and writes `status CODE SIGNAL` last on its connection, which stands
 * in for the exit status the caller would have had from waitpid. fd 3 of the launcher is
 * its tie to the caller: at EOF it exits; the shims it started live on. No policy here:
 * what to run is in the plan. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

#define TIE_FD 3

struct running {
  pid_t pid;
  int conn;
};

static struct running *shims;
static size_t nshims, capshims;
/* Out of fds (or memory) for another connection: the listening socket is left alone until a
 * shim ends and frees its connection, since polling it would only spin. A caller whose
 * connection waits meanwhile gives up on its own deadline. */
static bool accept_paused;
/* "--serve NAME" in the process's argument area, blanked in each shim: ps shows the shims
 * as it shows exec'd ones, and `--serve` only for the launcher. */
static char *serve_args;
static size_t serve_args_len;

static int fail(const char *step, int err, const char *detail) {
  dprintf(STDERR_FILENO, "mydocker-shim --serve: %s: %s (errno %d): %s\n", step, strerror(err), err, detail);
  return SETUP_FAILED;
}

static int listen_abstract(const char *name) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  size_t len = strlen(name);
  if (len == 0 || len >= sizeof addr.sun_path - 1) return -EINVAL;
  memcpy(addr.sun_path + 1, name, len);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  /* The whole zero-padded sun_path is the name: that is how Node 20 (libuv) connects to one. */
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 64) != 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

/* The caller and nobody else: an abstract socket has no file mode to keep others out. */
static bool from_parent(int conn) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  return getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid == getppid();
}

/* `spawn IN OUT`: 1 keeps the launcher's own stdin / stdout+stderr (the caller's), 0 gives /dev/null. */
static int child_stdio(void) {
  char line[32];
  int in, out;
  char extra;
  if (control_read_line(line, sizeof line) <= 0 || sscanf(line, "spawn %d %d%c", &in, &out, &extra) != 2) {
    report_error(-1, "spawn", EINVAL, "expected `spawn IN OUT` before the plan");
    return -1;
  }
  if (in == 1 && out == 1) return 0;
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) {
    report_error(-1, "spawn", errno, "/dev/null");
    return -1;
  }
  if ((in == 0 && dup2(null, STDIN_FILENO) < 0) || (out == 0 && (dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0))) {
    report_error(-1, "spawn", errno, "dup2 /dev/null");
    return -1;
  }
  close(null);
  return 0;
}

/* In the forked child: become what an exec'd shim is at its start, then run the plan. */
static int shim_child(int conn, const sigset_t *mask) {
  memset(serve_args, 0, serve_args_len);
  if (sigprocmask(SIG_SETMASK, mask, NULL) != 0 || signal(SIGPIPE, SIG_DFL) == SIG_ERR) _exit(SETUP_FAILED);
  if (dup2(conn, TIE_FD) < 0) _exit(SETUP_FAILED);
  if (syscall(SYS_close_range, TIE_FD + 1, ~0U, 0) != 0) _exit(SETUP_FAILED);
  if (control_init(true) != 0) _exit(SETUP_FAILED);
  control_send("shim %d", (int)getpid());
  if (setsid() < 0) {
    report_error(-1, "setsid", errno, "a session of the shim's own");
    _exit(SETUP_FAILED);
  }
  if (child_stdio() != 0) _exit(SETUP_FAILED);
  _exit(run_from_control());
}

static int remember(pid_t pid, int conn) {
  if (nshims == capshims) {
    size_t cap = capshims ? capshims * 2 : 16;
    struct running *grown = realloc(shims, cap * sizeof *grown);
    if (grown == NULL) return -1;
    shims = grown;
    capshims = cap;
  }
  shims[nshims++] = (struct running){pid, conn};
  return 0;
}

/* Each shim that ended: its exit status, last on its connection. */
static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (size_t i = 0; i < nshims; i++) {
      if (shims[i].pid != pid) continue;
      char line[48];
      int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      int code = sig ? 128 + sig : WEXITSTATUS(status);
      int n = snprintf(line, sizeof line, "status %d %d\n", code, sig);
      /* The caller may have let the shim go (a detached container) and closed its end. */
      (void)write_all(shims[i].conn, line, (size_t)n);
      close(shims[i].conn);
      shims[i] = shims[--nshims];
      accept_paused = false;
      break;
    }
  }
}

/* Returns -1 only for an error that will not go away (the socket itself is broken). */
static int start_shim(int lfd, const sigset_t *mask) {
  int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) {
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      accept_paused = nshims > 0;
      if (!accept_paused) return -1; /* no shim of ours to end and free anything */
      return 0;
    }
    /* The client went away before we took it, or a signal: the next poll says more. */
    bool transient = errno == EINTR || errno == EAGAIN || errno == ECONNABORTED || errno == EPROTO || errno == EPERM;
    return transient ? 0 : -1;
  }
  if (!from_parent(conn)) {
    close(conn);
    return 0;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(lfd);
    shim_child(conn, mask);
  }
  if (pid < 0 || remember(pid, conn) != 0) {
    char line[64];
    int n = snprintf(line, sizeof line, "error -1 fork %d the launcher could not start a shim\n", pid < 0 ? errno : ENOMEM);
    (void)write_all(conn, line, (size_t)n);
    close(conn);
  }
  return 0;
}

int serve(char **argv) {
  const char *name = argv[2];
  serve_args = argv[1];
  serve_args_len = (size_t)(argv[2] + strlen(argv[2]) - argv[1]);
  struct stat st;
  if (fstat(TIE_FD, &st) != 0) return fail("serve", errno, "fd 3 must be the tie to the caller");
  if (fcntl(TIE_FD, F_SETFD, FD_CLOEXEC) != 0) return fail("fcntl", errno, "fd 3");
  if (syscall(SYS_close_range, TIE_FD + 1, ~0U, 0) != 0) return fail("close_range", errno, "inherited file descriptors");
  sigset_t chld, original;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, &original) != 0) return fail("sigprocmask", errno, "SIGCHLD");
  /* A shim's caller that went away must not kill the launcher with SIGPIPE. */
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) return fail("signal", errno, "SIGPIPE");
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return fail("signalfd", errno, "SIGCHLD");
  int lfd = listen_abstract(name);
  if (lfd < 0) return fail("listen", -lfd, name);
  if (write_all(TIE_FD, "ready\n", 6) != 0) return fail("ready", errno, "fd 3");
  struct pollfd fds[3] = {{.fd = TIE_FD, .events = POLLIN}, {.fd = lfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  for (;;) {
    fds[1].fd = accept_paused ? -1 : lfd;
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return fail("poll", errno, "the launcher's loop");
    }
    if (fds[0].revents) {
      char buf[64];
      ssize_t n = read(TIE_FD, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return 0;
    }
    if (fds[2].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
      reap();
    }
    if (fds[1].revents && start_shim(lfd, &original) != 0) return fail("accept", errno, "the launcher's socket");
  }
}
