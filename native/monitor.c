/* The monitor: clones the container's init, releases it, copies its output,
 * forwards signals, reaps it and records how it ended. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

sigset_t shim_original_mask;

struct monitor {
  struct plan *p;
  pid_t child;
  bool child_done;
  int code, sig;
  int chan;    /* -1 once the child exec'd or died */
  bool failed; /* the child reported a failed step */
  bool ready;  /* the child reached exec */
  int sfd;
  struct proxy io;
  bool no_restart; /* SIGUSR2: the container was stopped on purpose */
  long long finished; /* when the last run ended (restartcmd tells of it) */
  int exit_fd;     /* the exit file's temporary, made while the child sets itself up; -1: none yet */
  struct pollfd *fds; /* the loop's: the signalfd, the channel, the proxy's, the health check's (the forwarder adds its own) */
  size_t nfds;
  int cgroup_fd;   /* clonecgroup's directory; -1: none */
  bool handed_off; /* handoff: the child is the caller's now, the monitor just ends */
  struct health health;
  struct restartcmd restartcmd;
  struct forwarder fwd;
};

static struct monitor m;

static int index_of(const char *op) {
  for (int i = 0; i < m.p->nrecs; i++)
    if (strcmp(m.p->recs[i].def->name, op) == 0) return i;
  return -1;
}

static int null_onto(int fd) {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return -1;
  int rc = dup2(null, fd) < 0 ? -1 : 0;
  close(null);
  return rc;
}

/* ---- setup before clone ---------------------------------------------- */

static int setup_signals(void) {
  sigset_t set = m.p->forward;
  sigaddset(&set, SIGCHLD);
  if (m.p->tty) sigaddset(&set, SIGWINCH);
  if (m.p->restart) sigaddset(&set, SIGUSR2);
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) return -1;
  if (sigprocmask(SIG_BLOCK, &set, &shim_original_mask) != 0) return -1;
  m.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  return m.sfd < 0 ? -1 : 0;
}

static int setup_detach(void) {
  /* A caller that spawned us as a session leader already did setsid. */
  if (setsid() < 0 && !(errno == EPERM && getsid(0) == getpid())) return -1;
  return null_onto(STDIN_FILENO);
}

/* ---- after clone ------------------------------------------------------- */

static void kill_and_reap(void) {
  kill(m.child, SIGKILL);
  while (waitpid(m.child, NULL, 0) < 0 && errno == EINTR) {
  }
}

static int write_pidfile(void) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d", (int)m.child);
  return write_file_atomic(m.p->pidfile->args[0], buf, (size_t)n);
}

static long long now_nanos(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int wait_for_go(void) {
  char line[64];
  for (;;) {
    if (control_read_line(line, sizeof line) < 0) return -1;
    if (strcmp(line, "go") == 0) return 0;
  }
}

/* ---- the event loop ---------------------------------------------------- */

static void record_exit(int status) {
  m.child_done = true;
  m.finished = now_nanos();
  if (WIFSIGNALED(status)) {
    m.sig = WTERMSIG(status);
    m.code = 128 + m.sig;
  } else {
    m.sig = 0;
    m.code = WEXITSTATUS(status);
  }
}

/* A handed-off child is the caller's subreaper's to reap, even when it exits before the
 * monitor has heard the channel close at its exec (SIGCHLD and the last `ready` can come in
 * one poll round): the monitor only notes that it ended (WNOWAIT), and leaves the zombie,
 * status and all, to be re-parented when the monitor ends. */
static void note_handed_off_exit(void) {
  siginfo_t si = {0};
  if (waitid(P_PID, (id_t)m.child, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != m.child) return;
  m.child_done = true;
  m.sig = si.si_code == CLD_EXITED ? 0 : si.si_status;
  m.code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

static void reap(void) {
  if (m.p->handoff) {
    note_handed_off_exit();
    return;
  }
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == m.child) record_exit(status);
    else if (!restartcmd_reaped(&m.restartcmd, pid)) health_reaped(&m.health, pid, status);
  }
}

static void handle_signals(void) {
  struct signalfd_siginfo si;
  while (read(m.sfd, &si, sizeof si) == (ssize_t)sizeof si) {
    int sig = (int)si.ssi_signo;
    if (sig == SIGCHLD) {
      reap();
      continue;
    }
    if (sig == SIGUSR2 && m.p->restart) {
      m.no_restart = true;
      continue;
    }
    if (sig == SIGWINCH && m.p->tty) proxy_winsize(&m.io);
    if (sigismember(&m.p->forward, sig) && !m.child_done) kill(m.child, sig);
  }
}

/* The monitor can no longer watch the container (its loop failed for good): rather than spin
 * or leave it unwatched, it ends the container, which is then recorded as killed. */
static void give_up(const char *what) {
  report_error(-1, what, errno, "the monitor cannot watch the container any more: it kills it");
  if (!m.child_done) {
    int status = 0;
    kill(m.child, SIGKILL);
    while (waitpid(m.child, &status, 0) < 0 && errno == EINTR) {
    }
    record_exit(status);
  }
  if (m.chan >= 0) close(m.chan);
  m.chan = -1;
}

static void release_stdio_if_detached(void) {
  if (!m.p->detach) return;
  /* The container holds its own copies; we keep none of the caller's. */
  null_onto(STDOUT_FILENO);
  null_onto(STDERR_FILENO);
  proxy_detach(&m.io);
}

static void release_child(void);

static void handle_chan(void) {
  struct child_msg msg;
  int fd = -1;
  ssize_t n = chan_recv(m.chan, &msg, &fd);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    /* Closed by exec (CLOEXEC) or by the child's exit. */
    close(m.chan);
    m.chan = -1;
    /* Without `ready` the child died during setup (killed): it never exec'd. */
    if (m.ready && !m.failed) {
      control_send("exec");
      /* The container's process runs: its health is checked from now on. */
      health_start(&m.health, m.child, now_nanos());
      release_stdio_if_detached();
      if (m.p->handoff) m.handed_off = true;
    }
    return;
  }
  switch (msg.kind) {
  case MSG_READY:
    m.ready = true;
    control_send("ready");
    /* Waiting on the exec FIFO, it is set up: start is between it and the caller. */
    if (m.p->handoff && m.p->execfifo) m.handed_off = true;
    break;
  case MSG_ERROR: {
    m.failed = true;
    const char *op = msg.step >= 0 && msg.step < m.p->nrecs ? m.p->recs[msg.step].def->name : "?";
    report_error(msg.step, op, msg.err, msg.detail);
    break;
  }
  case MSG_PAUSE:
    /* The caller runs the hooks due before the root switch; the child waits for its go. */
    control_send("hooks");
    if (wait_for_go() == 0) {
      release_child();
    } else {
      m.failed = true;
      report_error(msg.step, "hookpause", EPIPE, "the control socket closed before go");
      kill(m.child, SIGKILL);
    }
    break;
  case MSG_TTY:
    if (fd >= 0 && m.p->consolesocket) {
      if (send_to_console_socket(m.p->consolesocket->args[0], fd) != 0) {
        m.failed = true;
        report_error(m.p->consolesocket->index, "consolesocket", errno, m.p->consolesocket->args[0]);
        kill(m.child, SIGKILL);
      }
    } else if (fd >= 0 && m.io.master < 0) {
      proxy_take_master(&m.io, fd);
      fd = -1;
    }
    break;
  }
  if (fd >= 0) close(fd);
}

/* The health check's two pollfds come last, after the proxy's. */
enum { P_SIG, P_CHAN, P_IO };
#define HEALTH_POLLFDS 2

static void poll_once(void) {
  struct pollfd *fds = m.fds;
  fds[P_SIG] = (struct pollfd){.fd = m.sfd, .events = POLLIN};
  fds[P_CHAN] = (struct pollfd){.fd = m.chan, .events = POLLIN};
  proxy_pollfds(&m.io, fds + P_IO);
  struct pollfd *health = fds + m.nfds - HEALTH_POLLFDS;
  health_pollfds(&m.health, health);
  int n = forward_poll(&m.fwd, fds, m.nfds, -1);
  if (n < 0 && errno != EINTR && errno != EAGAIN) {
    give_up("poll");
    return;
  }
  if (n <= 0) return;
  /* The channel first: `exec` must reach the caller before `exit`. */
  if (fds[P_CHAN].revents) handle_chan();
  /* Handed off, the child's exit is the caller's to reap: one that exits at once must not
   * be reaped here, in the same round, where its status would be lost. */
  if (m.handed_off) return;
  if (fds[P_SIG].revents) handle_signals();
  proxy_handle(&m.io, fds + P_IO);
  if (!m.child_done) health_handle(&m.health, health);
  forward_handle(&m.fwd);
}

/* ---- the end ---------------------------------------------------------------- */

static void write_exitfile(int code, int sig) {
  char buf[96];
  int n = snprintf(buf, sizeof buf, "%d %d %lld\n", code, sig, now_nanos());
  const char *path = m.p->exitfile->args[0];
  int fd = m.exit_fd >= 0 ? m.exit_fd : atomic_open(path);
  m.exit_fd = -1;
  if (fd < 0 || atomic_commit(fd, path, buf, (size_t)n) != 0)
    report_error(m.p->exitfile->index, "exitfile", errno, m.p->exitfile->args[0]);
}

/* Points fds 0-2 at /dev/null. */
static int stdio_to_null(void) {
  int fd = open("/dev/null", O_RDWR);
  if (fd < 0) return -1;
  for (int i = 0; i < 3; i++)
    if (fd != i && dup2(fd, i) < 0) {
      int err = errno;
      if (fd > 2) close(fd);
      errno = err;
      return -1;
    }
  if (fd > 2) close(fd);
  return 0;
}

static int finish(void) {
  /* The published ports are free again once the container is stopped. */
  forward_close(&m.fwd);
  proxy_restore_terminal(&m.io);
  /* The engine hears of every restart before the exit file says the container stopped. */
  restartcmd_finish(&m.restartcmd);
  /* A child to hand off that ended before it was handed off never ran the process: its
   * status is the one reported here, nobody else wants the zombie. */
  if (m.p->handoff && m.child_done)
    while (waitpid(m.child, NULL, 0) < 0 && errno == EINTR) {
    }
  int code = m.failed ? SETUP_FAILED : m.code;
  int sig = m.failed ? 0 : m.sig;
  if (m.p->exitfile) write_exitfile(code, sig);
  if (!m.failed) control_send("exit %d %d", code, sig);
  /* The exit is recorded first: a slow attach client may take up to its flush time. */
  attach_close(&m.io);
  if (m.failed) return SETUP_FAILED;
  if (m.p->exitcmd) {
    char **argv = m.p->exitcmd->args;
    /* The exit command outlives a foreground caller: it must not hold the caller's terminal
     * or pipes (a `$(run ...)` would wait for it). */
    if (stdio_to_null() != 0) {
      report_error(m.p->exitcmd->index, "exitcmd", errno, "/dev/null");
      return code;
    }
    /* An exec's monitor made its children in the container's PID namespace (pidns): the
     * command is the host's, and a process whose children's PID namespace is not its own
     * cannot start threads (clone(2): CLONE_THREAD, EINVAL). Back to its own first. */
    if (m.p->pidns && setns_path("/proc/self/ns/pid", CLONE_NEWPID) != 0) {
      report_error(m.p->exitcmd->index, "exitcmd", errno, "setns /proc/self/ns/pid");
      return code;
    }
    sigprocmask(SIG_SETMASK, &shim_original_mask, NULL);
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], argv);
    report_error(m.p->exitcmd->index, "exitcmd", errno, argv[0]);
  }
  return code;
}

static int setup_failed(const struct record *r, const char *op, const char *detail) {
  int err = errno;
  if (m.child > 0) kill_and_reap();
  report_error(r ? r->index : index_of(op), op, err, detail);
  proxy_restore_terminal(&m.io);
  return SETUP_FAILED;
}

/* Lets the child go on. One that already died is noticed by the loop through SIGCHLD. */
static void release_child(void) {
  while (send(m.chan, "g", 1, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

/* Clones one run of the container (begun at STARTED) and sees it to its end. */
static int run_once(struct child_fds *fds, int run, long long started) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return setup_failed(m.p->clone, "clone", "socketpair");
  if (m.p->log && proxy_open_pipes(&m.io, !m.p->tty, fds) != 0) return setup_failed(m.p->log, "log", "pipes");
  if (m.p->stdinpipe && proxy_open_stdin(&m.io, m.p->tty, fds) != 0) return setup_failed(NULL, "stdinpipe", "pipe");
  bool move;
  m.child = clone_child(m.p->clone->num[0], m.cgroup_fd, &move);
  if (m.child < 0 && m.cgroup_fd >= 0) return setup_failed(m.p->clonecgroup, "clonecgroup", m.p->clonecgroup->args[0]);
  if (m.child < 0) return setup_failed(m.p->clone, "clone", m.p->clone->args[0]);
  if (m.child == 0) {
    close(sv[0]);
    proxy_close_monitor_ends(&m.io);
    fds->chan = sv[1];
    control_close_in_child();
    child_main(m.p, fds, run > 0);
  }
  close(sv[1]);
  proxy_close_child_ends(fds);
  m.chan = sv[0];
  m.child_done = m.ready = false;
  if (move && clone_move_into_cgroup(m.cgroup_fd, m.child) != 0) return setup_failed(m.p->clonecgroup, "clonecgroup", "cgroup.procs");

  /* With sync the caller hears of the pid (and finds the pid file) before the child may go;
   * else the child goes first and the files are written while it sets itself up. */
  bool synced = run == 0 && m.p->sync;
  if (!synced) release_child();
  if (m.p->pidfile && write_pidfile() != 0) return setup_failed(m.p->pidfile, "pidfile", m.p->pidfile->args[0]);
  if (run == 0) control_send("pid %d", (int)m.child);
  else restartcmd_started(&m.restartcmd, started);
  if (synced) {
    if (wait_for_go() != 0) {
      errno = EPIPE;
      return setup_failed(NULL, "sync", "the control socket closed before go");
    }
    release_child();
  }
  /* Failing here is not fatal: write_exitfile tries again and reports it. */
  if (m.p->exitfile && m.exit_fd < 0) m.exit_fd = atomic_open(m.p->exitfile->args[0]);
  while ((!m.child_done || m.chan >= 0) && !m.handed_off) poll_once();
  health_stop(&m.health);
  if (m.handed_off) return 0;
  proxy_drain(&m.io);
  return 0;
}

/* Whether the restart record asks for another run after this exit. */
static bool restart_wanted(int restarts) {
  const struct record *r = m.p->restart;
  if (r == NULL || m.failed || m.no_restart) return false;
  bool on_failure_only = r->num[0] != 0;
  unsigned long long max = r->num[1];
  if (on_failure_only && m.code == 0) return false;
  return max == 0 || (unsigned long long)restarts < max;
}

/* The pause before a restart: DELAY doubling per restart up to MAXDELAY, back to DELAY
 * after a run that lasted MAXDELAY. SIGUSR2 during it ends the restarts. The published
 * ports stay served: a client is refused (closed) as when nothing listens. */
static void restart_pause(unsigned long long *delay_ms, long long run_nanos) {
  const struct record *r = m.p->restart;
  if (run_nanos / 1000000LL >= (long long)r->num[3]) *delay_ms = r->num[2];
  long long end = now_nanos() + (long long)*delay_ms * 1000000LL;
  for (long long left; !m.no_restart && (left = end - now_nanos()) > 0;) {
    m.fds[0] = (struct pollfd){.fd = m.sfd, .events = POLLIN};
    int n = forward_poll(&m.fwd, m.fds, 1, (int)(left / 1000000LL) + 1);
    if (n > 0 && m.fds[0].revents) handle_signals();
    if (n > 0) forward_handle(&m.fwd);
    if (n < 0 && errno != EINTR && errno != EAGAIN) {
      report_error(m.p->restart->index, "restart", errno, "waiting before a restart: no more restarts");
      m.no_restart = true;
    }
  }
  *delay_ms = *delay_ms * 2 > r->num[3] ? r->num[3] : *delay_ms * 2;
}

static int write_runsfile(int restarts, long long started) {
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%d %lld\n", restarts, started);
  return write_file_atomic(m.p->restart->args[4], buf, (size_t)n);
}

int run_monitor(struct plan *p) {
  struct child_fds fds = {.chan = -1, .out_w = -1, .err_w = -1, .in_r = -1};
  m.p = p;
  m.exit_fd = -1;
  m.cgroup_fd = -1;
  m.restartcmd = (struct restartcmd){.r = p->restartcmd, .pid = -1};
  proxy_init(&m.io, !p->detach, p->drain ? (int)p->drain->num[0] : 0);

  /* Until its execve the child is the host's shim binary, with our fds, in the container's
   * PID namespace (an exec's child from its birth; any child while it waits on the exec
   * FIFO with the container's own credentials): not dumpable, the container cannot open its
   * /proc/PID/exe or /proc/PID/fd/ (CVE-2019-5736). Set here, before clone, so the child
   * never has a moment without it; execve of the container's program resets it. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return setup_failed(p->clone, "clone", "prctl(PR_SET_DUMPABLE, 0)");
  if (setup_signals() != 0) return setup_failed(NULL, "sigforward", "signal setup");
  if (p->detach && setup_detach() != 0) return setup_failed(NULL, "detach", "setsid");
  if (p->log && proxy_open_log(&m.io, p->log->args[0], p->log->num[1], (unsigned)p->log->num[2], (size_t)p->log->num[3]) != 0) return setup_failed(p->log, "log", p->log->args[0]);
  const struct record *a = p->attach;
  if (a && attach_listen(&m.io, a->args[0], (int)a->num[1], (size_t)a->num[2], (int)a->num[3]) != 0) return setup_failed(a, "attach", a->args[0]);
  if (health_init(&m.health, p->health) != 0) return setup_failed(p->health, "health", "timerfd");
  /* Bound while the monitor has every capability of the host's (before userns), and before
   * the container exists: a port taken fails the start with nothing run. */
  m.nfds = P_IO + proxy_npollfds(&m.io) + HEALTH_POLLFDS;
  if ((m.fds = calloc(m.nfds, sizeof *m.fds)) == NULL) return setup_failed(NULL, "clone", "the monitor's poll set");
  const struct record *failed;
  if (forward_init(&m.fwd, p, m.nfds, &failed) != 0) {
    int err = errno;
    char what[96] = "the forwarder's tables";
    if (failed && strcmp(failed->def->name, "publish") == 0) snprintf(what, sizeof what, "bind %s:%s/%s", failed->args[1], failed->args[2], failed->args[0]);
    errno = err;
    return setup_failed(failed, failed ? failed->def->name : "forwarding", what);
  }
  if (p->sync && !control_present()) {
    errno = EBADF;
    return setup_failed(NULL, "sync", "sync needs the control socket on fd 3");
  }
  /* A user namespace joined by path: joined before the clone, so that the namespaces the
   * clone makes are owned by it (the child could not mount in a mount namespace of the
   * host's) and the child is born in it; before the PID namespace, which may be its own. */
  if (p->userns && setns_path(p->userns->args[0], CLONE_NEWUSER) != 0) return setup_failed(p->userns, "userns", p->userns->args[0]);
  if (p->pidns && setns_path(p->pidns->args[0], CLONE_NEWPID) != 0) return setup_failed(p->pidns, "pidns", p->pidns->args[0]);
  if (p->clonecgroup && (m.cgroup_fd = open(p->clonecgroup->args[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return setup_failed(p->clonecgroup, "clonecgroup", p->clonecgroup->args[0]);

  unsigned long long delay_ms = p->restart ? p->restart->num[2] : 0;
  for (int run = 0;; run++) {
    long long started = now_nanos();
    if (run > 0 && write_runsfile(run, started) != 0) return setup_failed(p->restart, "restart", p->restart->args[4]);
    int rc = run_once(&fds, run, started);
    /* The child is the caller's (a subreaper's) to reap. An exec'd one may have exited
     * already: it is re-parented when we end, so we end with our caller (EOF on the
     * control socket), once it has told its own caller the pid (containerd's shim drops
     * the exit of a pid it does not know yet). */
    if (rc == 0 && m.handed_off) {
      char line[64];
      if (!p->execfifo)
        while (control_read_line(line, sizeof line) >= 0) {
        }
      return 0;
    }
    if (rc != 0) {
      /* Nobody waits on the control socket of a restart: the exit file says it failed. */
      if (run > 0 && p->exitfile) write_exitfile(rc, 0);
      return rc;
    }
    if (!restart_wanted(run)) break;
    restartcmd_died(&m.restartcmd, m.code, m.finished);
    restart_pause(&delay_ms, now_nanos() - started);
    if (m.no_restart) break;
  }
  return finish();
}
