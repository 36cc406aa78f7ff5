/* The restartcmd record: the engine hears of each restart the monitor makes by a command
 * the monitor forks and does not wait for. One runs at a time, in the order of the
 * restarts (the engine records each as it comes), the others queued. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

static void start_next(struct restartcmd *rc) {
  if (rc->pid > 0 || rc->queued == 0) return;
  struct restart_note note = rc->queue[0];
  rc->queued--;
  memmove(rc->queue, rc->queue + 1, (size_t)rc->queued * sizeof rc->queue[0]);
  pid_t pid = fork();
  if (pid == 0) {
    const struct record *r = rc->r;
    char code[16], time[24];
    snprintf(code, sizeof code, "%d", note.code);
    snprintf(time, sizeof time, "%lld", note.time);
    char *argv[r->nargs + 4];
    int n = r->nargs;
    for (int i = 0; i < n; i++) argv[i] = r->args[i];
    argv[n++] = note.started ? "start" : "die";
    if (!note.started) argv[n++] = code;
    argv[n++] = time;
    argv[n] = NULL;
    sigprocmask(SIG_SETMASK, &shim_original_mask, NULL);
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || syscall(SYS_close_range, 3U, ~0U, 0) != 0) _exit(SETUP_FAILED);
    execv(argv[0], argv);
    dprintf(STDERR_FILENO, "mydocker-shim: restartcmd: %s: %s\n", argv[0], strerror(errno));
    _exit(SETUP_FAILED);
  }
  if (pid < 0) report_error(rc->r->index, "restartcmd", errno, "fork");
  rc->pid = pid;
}

static void note(struct restartcmd *rc, struct restart_note n) {
  if (rc->r == NULL) return;
  if (rc->queued == RESTARTCMD_QUEUE) {
    report_error(rc->r->index, "restartcmd", EAGAIN, "restarts come faster than the engine records them: one is not told");
    return;
  }
  rc->queue[rc->queued++] = n;
  start_next(rc);
}

void restartcmd_died(struct restartcmd *rc, int code, long long finished) {
  note(rc, (struct restart_note){.started = false, .code = code, .time = finished});
}

void restartcmd_started(struct restartcmd *rc, long long started) {
  note(rc, (struct restart_note){.started = true, .time = started});
}

bool restartcmd_reaped(struct restartcmd *rc, pid_t pid) {
  if (rc->pid <= 0 || pid != rc->pid) return false;
  rc->pid = -1;
  start_next(rc);
  return true;
}

void restartcmd_finish(struct restartcmd *rc) {
  while (rc->pid > 0) {
    pid_t pid = waitpid(rc->pid, NULL, 0);
    if (pid < 0 && errno == EINTR) continue;
    rc->pid = -1;
    start_next(rc);
  }
}
