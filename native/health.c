/* The health check (the `health` record): on its timer the monitor runs the check's
 * ARGV (TypeScript's exec plan for it) with its working directory at the container's
 * /proc/PID, takes its exit status and the first OUTPUT_MAX bytes of its output, and
 * keeps docker's status: starting, then healthy after a success, unhealthy after RETRIES
 * failures in a row (failures in the start period do not count while it is starting).
 * The status and the last results go to STATUSFILE (docs/plan.md says the format). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

enum { STARTING, HEALTHY, UNHEALTHY };
static const char *const status_names[] = {"starting", "healthy", "unhealthy"};

static long long wall_nanos(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void arm(struct health *h, unsigned long long ms) {
  struct itimerspec its = {0};
  /* A zero it_value would disarm the timer: an immediate check is 1 ns away. */
  its.it_value.tv_sec = (time_t)(ms / 1000);
  its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L + (ms == 0 ? 1 : 0);
  if (timerfd_settime(h->timer, 0, &its, NULL) != 0) report_error(h->r->index, "health", errno, "arming the timer");
}

int health_init(struct health *h, const struct record *r) {
  memset(h, 0, sizeof *h);
  h->r = r;
  h->checker = -1;
  h->out = -1;
  h->timer = r ? timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK) : -1;
  return r && h->timer < 0 ? -1 : 0;
}

static void write_status(struct health *h) {
  /* The status line, then each result: `START END EXITCODE OUTLEN\n` and OUTLEN bytes, `\n`. */
  static char buf[64 + HEALTH_LOG * (96 + HEALTH_OUTPUT_MAX)];
  size_t n = (size_t)snprintf(buf, sizeof buf, "%s %u\n", status_names[h->status], h->streak);
  for (unsigned i = 0; i < h->nresults; i++) {
    const struct health_result *res = &h->results[(h->first + i) % HEALTH_LOG];
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%lld %lld %d %zu\n", res->start, res->end, res->code, res->len);
    memcpy(buf + n, res->output, res->len);
    n += res->len;
    buf[n++] = '\n';
  }
  if (write_file_atomic(h->r->args[4], buf, n) != 0) report_error(h->r->index, "health", errno, h->r->args[4]);
}

void health_start(struct health *h, pid_t child, long long started) {
  if (h->r == NULL) return;
  h->child = child;
  h->run_started = started;
  h->status = STARTING;
  h->streak = 0;
  h->nresults = 0;
  h->first = 0;
  write_status(h);
  arm(h, h->r->num[0]);
}

static void read_output(struct health *h) {
  char scratch[4096];
  for (;;) {
    char *dst = h->len < HEALTH_OUTPUT_MAX ? h->output + h->len : scratch;
    size_t room = h->len < HEALTH_OUTPUT_MAX ? HEALTH_OUTPUT_MAX - h->len : sizeof scratch;
    ssize_t n = read(h->out, dst, room);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      /* EOF: everyone holding the pipe is gone. */
      if (n == 0) {
        close(h->out);
        h->out = -1;
      }
      return;
    }
    if (dst != scratch) h->len += (size_t)n;
  }
}

static void record_result(struct health *h, int code, const char *output, size_t len) {
  struct health_result *res = &h->results[(h->first + h->nresults) % HEALTH_LOG];
  if (h->nresults == HEALTH_LOG) h->first = (h->first + 1) % HEALTH_LOG;
  else h->nresults++;
  res->start = h->check_started;
  res->end = wall_nanos();
  res->code = code;
  res->len = len;
  memcpy(res->output, output, len);
  if (code == 0) {
    h->streak = 0;
    h->status = HEALTHY;
  } else {
    long long since_start_ms = (res->start - h->run_started) / 1000000LL;
    bool grace = h->status == STARTING && since_start_ms < (long long)h->r->num[2];
    if (!grace && ++h->streak >= h->r->num[3]) h->status = UNHEALTHY;
  }
  write_status(h);
}

static void start_check(struct health *h) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    report_error(h->r->index, "health", errno, "pipe");
    arm(h, h->r->num[0]);
    return;
  }
  unlink(h->r->args[5]);
  h->check_started = wall_nanos();
  h->len = 0;
  pid_t pid = fork();
  if (pid == 0) {
    char dir[32];
    snprintf(dir, sizeof dir, "/proc/%d", (int)h->child);
    sigprocmask(SIG_SETMASK, &shim_original_mask, NULL);
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(pipefd[1], STDOUT_FILENO) < 0 || dup2(pipefd[1], STDERR_FILENO) < 0 ||
        syscall(SYS_close_range, 3U, ~0U, 0) != 0) {
      _exit(SETUP_FAILED);
    }
    /* The check's plan names the container's namespaces relative to its /proc entry. */
    if (chdir(dir) != 0) {
      dprintf(STDERR_FILENO, "mydocker-shim: health: %s: %s\n", dir, strerror(errno));
      _exit(SETUP_FAILED);
    }
    char **argv = h->r->args + 6;
    execv(argv[0], argv);
    dprintf(STDERR_FILENO, "mydocker-shim: health: %s: %s\n", argv[0], strerror(errno));
    _exit(SETUP_FAILED);
  }
  close(pipefd[1]);
  if (pid < 0) {
    report_error(h->r->index, "health", errno, "fork");
    close(pipefd[0]);
    arm(h, h->r->num[0]);
    return;
  }
  h->checker = pid;
  h->out = pipefd[0];
  /* Only our end: the check's stays blocking. Should this fail, reads wait for its output. */
  if (fcntl(h->out, F_SETFL, O_NONBLOCK) != 0) report_error(h->r->index, "health", errno, "O_NONBLOCK on the output pipe");
  arm(h, h->r->num[1]);
}

/* Kills the check that ran too long: its process (by its pid file), which its own monitor
 * then reaps and ends with (a zombie left to the container's init, which may never reap
 * it, would stay); its monitor itself only while no process of it runs yet. */
static void kill_check(struct health *h) {
  char buf[32] = {0};
  int fd = open(h->r->args[5], O_RDONLY | O_CLOEXEC);
  unsigned long long pid = 0;
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0 || parse_decimal(buf, INT_MAX, &pid) != 0) pid = 0;
  }
  /* ESRCH: it ended meanwhile, and its monitor with it. */
  if (pid > 1) kill((pid_t)pid, SIGKILL);
  else kill(h->checker, SIGKILL);
}

void health_timer(struct health *h) {
  unsigned long long expirations;
  if (read(h->timer, &expirations, sizeof expirations) < 0) return;
  if (h->checker < 0) {
    start_check(h);
    return;
  }
  kill_check(h);
  h->timed_out = true;
}

bool health_reaped(struct health *h, pid_t pid, int status) {
  if (h->r == NULL || pid != h->checker) return false;
  h->checker = -1;
  if (h->out >= 0) {
    read_output(h);
    if (h->out >= 0) close(h->out);
    h->out = -1;
  }
  if (h->timed_out) {
    char msg[96];
    unsigned long long ms = h->r->num[1];
    int n = ms % 1000 == 0 ? snprintf(msg, sizeof msg, "Health check exceeded timeout (%llus)", ms / 1000)
                           : snprintf(msg, sizeof msg, "Health check exceeded timeout (%llums)", ms);
    h->timed_out = false;
    record_result(h, -1, msg, (size_t)n);
  } else {
    int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    record_result(h, code, h->output, h->len);
  }
  arm(h, h->r->num[0]);
  return true;
}

void health_pollfds(const struct health *h, struct pollfd *fds) {
  fds[0] = (struct pollfd){.fd = h->timer, .events = POLLIN};
  fds[1] = (struct pollfd){.fd = h->out, .events = POLLIN};
}

void health_handle(struct health *h, const struct pollfd *fds) {
  if (h->r == NULL) return;
  if (fds[1].revents && h->out >= 0) read_output(h);
  if (fds[0].revents) health_timer(h);
}

void health_stop(struct health *h) {
  if (h->r == NULL) return;
  struct itimerspec off = {0};
  if (timerfd_settime(h->timer, 0, &off, NULL) != 0) report_error(h->r->index, "health", errno, "disarming the timer");
  if (h->checker > 0) {
    kill_check(h);
    while (waitpid(h->checker, NULL, 0) < 0 && errno == EINTR) {
    }
    h->checker = -1;
  }
  if (h->out >= 0) close(h->out);
  h->out = -1;
}
