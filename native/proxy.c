/* The container's stdio as the monitor carries it: the caller's stdin to the
 * pty, the pty or the log pipes to the log and to the caller's stdout/stderr.
 * Without `tty` and `log` none of this runs: the child has our fds 0-2. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "shim.h"

enum { STREAM_OUT, STREAM_ERR };
enum { P_MASTER, P_STDIN, P_OUT, P_ERR, P_STDIN_W, P_ATTACH };

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

size_t proxy_npollfds(const struct proxy *io) { return PROXY_OWN_POLLFDS + attach_npollfds(io); }

void proxy_init(struct proxy *io, bool attached, int drain_ms) {
  io->tee = attached;
  io->attached = attached;
  io->drain_ms = drain_ms;
  io->master = io->out_r[0] = io->out_r[1] = -1;
  io->stdin_open = true;
  io->listen_fd = io->stdin_w = -1;
}

int proxy_open_log(struct proxy *io, const char *path, unsigned long long max, unsigned max_files, size_t line_max) {
  if (log_open(&io->log, path, max, max_files, line_max) != 0) return -1;
  if (linebuf_init(&io->lines[STREAM_OUT], "stdout", line_max) != 0) return -1;
  if (linebuf_init(&io->lines[STREAM_ERR], "stderr", line_max) != 0) return -1;
  io->logging = true;
  return 0;
}

int proxy_open_pipes(struct proxy *io, bool pipes, struct child_fds *fds) {
  if (!pipes) return 0;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return -1;
  if (pipe2(err, O_CLOEXEC) != 0) return -1;
  io->out_r[0] = out[0];
  io->out_r[1] = err[0];
  set_nonblock(out[0]);
  set_nonblock(err[0]);
  fds->out_w = out[1];
  fds->err_w = err[1];
  return 0;
}

int proxy_open_stdin(struct proxy *io, bool tty, struct child_fds *fds) {
  io->attach_input = true;
  if (tty) return 0;
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  if (io->stdin_w >= 0) close(io->stdin_w);
  fds->in_r = in[0];
  io->stdin_w = in[1];
  /* Input waits for room in the pipe (POLLOUT), never in a write. Input that waited for
   * the last run's pipe goes to this one. */
  set_nonblock(io->stdin_w);
  return 0;
}

void proxy_close_monitor_ends(struct proxy *io) {
  if (io->out_r[0] >= 0) close(io->out_r[0]);
  if (io->out_r[1] >= 0) close(io->out_r[1]);
}

void proxy_close_child_ends(struct child_fds *fds) {
  int *ends[] = {&fds->out_w, &fds->err_w, &fds->in_r};
  for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
    if (*ends[i] >= 0) close(*ends[i]);
    *ends[i] = -1;
  }
}

void proxy_winsize(const struct proxy *io) {
  struct winsize ws;
  if (io->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(io->master, TIOCSWINSZ, &ws);
}

void proxy_take_master(struct proxy *io, int fd) {
  io->master = fd;
  set_nonblock(fd);
  proxy_winsize(io);
  /* Keys go to the container's terminal as typed: ours must not cook them. */
  if (!io->attached || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &io->saved_tio) != 0) return;
  struct termios raw = io->saved_tio;
  cfmakeraw(&raw);
  if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0) io->tio_saved = true;
}

void proxy_restore_terminal(struct proxy *io) {
  if (io->tio_saved) tcsetattr(STDIN_FILENO, TCSADRAIN, &io->saved_tio);
  io->tio_saved = false;
}

void proxy_detach(struct proxy *io) { io->tee = false; }

/* Copies a chunk of container output to the log and to our own stdout/stderr. */
static void emit(struct proxy *io, int stream, const char *buf, size_t n) {
  if (io->logging) log_feed(&io->log, &io->lines[stream], buf, n);
  attach_broadcast(io, stream, buf, n);
  if (io->tee && write_all(stream == STREAM_OUT ? STDOUT_FILENO : STDERR_FILENO, buf, n) != 0 && errno == EPIPE)
    io->tee = false;
}

/* One read, so that a chatty container cannot starve the other events.
 * Returns false once FD is finished (EOF, or EIO of a pty without a slave). */
static bool pump(struct proxy *io, int fd, int stream) {
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) < 0 && errno == EINTR) {
  }
  if (n > 0) emit(io, stream, buf, (size_t)n);
  return n > 0 || (n < 0 && errno == EAGAIN);
}

static void close_output(struct proxy *io, int *fd, int stream) {
  close(*fd);
  *fd = -1;
  if (io->logging) log_finish(&io->log, &io->lines[stream]);
}

static void flush_input(struct proxy *io) {
  while (io->in_off < io->in_len) {
    ssize_t n = write(io->master, io->in + io->in_off, io->in_len - io->in_off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return; /* the rest when the pty has room (POLLOUT) */
    if (n < 0) {
      io->stdin_open = false;
      break;
    }
    io->in_off += (size_t)n;
  }
  io->in_len = io->in_off = 0;
}

static void read_input(struct proxy *io) {
  ssize_t n = read(STDIN_FILENO, io->in, sizeof io->in);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    /* The end of our input: the container keeps running without it. */
    io->stdin_open = false;
    return;
  }
  io->in_len = (size_t)n;
  io->in_off = 0;
  flush_input(io);
}

void proxy_pollfds(const struct proxy *io, struct pollfd *fds) {
  bool has_input = io->in_len > io->in_off;
  bool attach_waits = io->input_blocked || io->eof_pending;
  bool master_out = has_input || (attach_waits && io->stdin_w < 0);
  fds[P_MASTER] = (struct pollfd){.fd = io->master, .events = (short)(POLLIN | (master_out ? POLLOUT : 0))};
  fds[P_STDIN] = (struct pollfd){.fd = io->master >= 0 && io->stdin_open && !has_input ? STDIN_FILENO : -1, .events = POLLIN};
  fds[P_OUT] = (struct pollfd){.fd = io->out_r[0], .events = POLLIN};
  fds[P_ERR] = (struct pollfd){.fd = io->out_r[1], .events = POLLIN};
  fds[P_STDIN_W] = (struct pollfd){.fd = attach_waits ? io->stdin_w : -1, .events = POLLOUT};
  attach_pollfds(io, fds + P_ATTACH);
}

void proxy_handle(struct proxy *io, const struct pollfd *fds) {
  if (fds[P_MASTER].revents & POLLOUT) flush_input(io);
  if (((fds[P_MASTER].revents & POLLOUT) && io->stdin_w < 0) || fds[P_STDIN_W].revents) attach_stdin_room(io);
  if ((fds[P_MASTER].revents & ~POLLOUT) && !pump(io, io->master, STREAM_OUT)) close_output(io, &io->master, STREAM_OUT);
  if (fds[P_STDIN].revents && io->master >= 0) read_input(io);
  if (fds[P_OUT].revents && !pump(io, io->out_r[0], STREAM_OUT)) close_output(io, &io->out_r[0], STREAM_OUT);
  if (fds[P_ERR].revents && !pump(io, io->out_r[1], STREAM_ERR)) close_output(io, &io->out_r[1], STREAM_ERR);
  attach_handle(io, fds + P_ATTACH);
}

void proxy_drain(struct proxy *io) {
  io->stdin_open = false;
  size_t nfds = proxy_npollfds(io);
  struct pollfd *fds = calloc(nfds, sizeof *fds);
  while (fds != NULL && (io->master >= 0 || io->out_r[0] >= 0 || io->out_r[1] >= 0)) {
    proxy_pollfds(io, fds);
    /* Background processes outside a PID namespace may hold the pipes open:
     * take what is buffered, but do not wait for them longer than drain_ms. */
    int n = poll(fds, nfds, io->drain_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    proxy_handle(io, fds);
  }
  free(fds);
  if (io->master >= 0) close_output(io, &io->master, STREAM_OUT);
  if (io->out_r[0] >= 0) close_output(io, &io->out_r[0], STREAM_OUT);
  if (io->out_r[1] >= 0) close_output(io, &io->out_r[1], STREAM_ERR);
}
