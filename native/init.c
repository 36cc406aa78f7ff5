/* mydocker-init (`run --init`): the container's PID 1 when the command itself is
 * not fit to be one. It starts the command, passes every signal it gets on to it,
 * reaps whatever zombie is re-parented to it, and exits as the command did. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

static void __attribute__((noreturn)) start_command(char **argv, const sigset_t *original) {
  /* Its own process group in the foreground of the terminal, if any: a Ctrl-C on
   * the pty then reaches the command once, straight from the kernel. SIGTTOU is
   * still blocked here, so tcsetpgrp from a background group is allowed. */
  if (setpgid(0, 0) != 0) fprintf(stderr, "mydocker-init: setpgid: %s\n", strerror(errno));
  /* ENOTTY: a terminal that is not ours to control (some other session's). */
  if (isatty(STDIN_FILENO) && tcsetpgrp(STDIN_FILENO, getpgrp()) != 0 && errno != ENOTTY)
    fprintf(stderr, "mydocker-init: tcsetpgrp: %s\n", strerror(errno));
  if (sigprocmask(SIG_SETMASK, original, NULL) != 0) {
    fprintf(stderr, "mydocker-init: sigprocmask: %s\n", strerror(errno));
    _exit(SETUP_FAILED);
  }
  execvp(argv[0], argv);
  int err = errno;
  fprintf(stderr, "mydocker-init: exec %s: %s\n", argv[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

static int status_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int run_init(int argc, char **argv) {
  if (argc < 3 || strcmp(argv[1], "--") != 0) {
    fprintf(stderr, "usage: mydocker-init -- COMMAND [ARG...]\n");
    return SETUP_FAILED;
  }
  sigset_t all, original;
  sigfillset(&all);
  if (sigprocmask(SIG_BLOCK, &all, &original) != 0) {
    fprintf(stderr, "mydocker-init: sigprocmask: %s\n", strerror(errno));
    return SETUP_FAILED;
  }
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "mydocker-init: fork: %s\n", strerror(errno));
    return SETUP_FAILED;
  }
  if (child == 0) start_command(argv + 2, &original);

  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      /* The job-control stops are the terminal's business, not the command's. */
      if (sig != SIGTTIN && sig != SIGTTOU && sig != SIGTSTP) kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
      if (pid == child) return status_code(status);
  }
}
