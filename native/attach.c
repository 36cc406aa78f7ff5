/* The attach socket (docker attach, start -a): a unix stream socket in the state
 * directory on which the monitor serves up to ATTACH_MAX clients. Each gets the
 * container's output as frames `STREAM LEN32BE DATA` (STREAM 1 stdout, 2 stderr)
 * and may send frames `TYPE LEN32BE DATA` back: 0 input for the container's stdin,
 * 1 close that stdin, 2 a window size (rows, cols: two 16-bit big-endian). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim.h"

enum { IN_DATA = 0, IN_CLOSE = 1, IN_RESIZE = 2 };
enum { HEADER = 5 };

/* A client too slow to take output for this long is dropped: it must not stall
 * the container for good, but a normal reader gets everything (backpressure). */
static const struct timeval SEND_TIMEOUT = {.tv_sec = 5};

/* A path too long for sun_path is reached through an fd of its directory. */
static int socket_address(const char *path, struct sockaddr_un *addr) {
  if (strlen(path) < sizeof addr->sun_path) {
    strcpy(addr->sun_path, path);
    return 0;
  }
  const char *slash = strrchr(path, '/');
  char dir[PATH_MAX];
  if (slash == NULL || (size_t)(slash - path) >= sizeof dir) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(dir, path, (size_t)(slash - path));
  dir[slash - path] = '\0';
  int fd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int n = snprintf(addr->sun_path, sizeof addr->sun_path, "/proc/self/fd/%d/%s", fd, slash + 1);
  if (n < 0 || (size_t)n >= sizeof addr->sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

int attach_listen(struct proxy *io, const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (socket_address(path, &addr) != 0) return -1;
  io->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (io->listen_fd < 0) return -1;
  if (unlink(path) != 0 && errno != ENOENT) return -1;
  if (bind(io->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0) return -1;
  if (chmod(path, 0600) != 0) return -1;
  return listen(io->listen_fd, ATTACH_MAX);
}

static void drop(struct attach_client *c) {
  close(c->fd);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

static void accept_client(struct proxy *io) {
  int fd = accept4(io->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return;
  for (int i = 0; i < ATTACH_MAX; i++) {
    if (io->clients[i].fd >= 0) continue;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &SEND_TIMEOUT, sizeof SEND_TIMEOUT) != 0) break;
    io->clients[i] = (struct attach_client){.fd = fd};
    return;
  }
  close(fd); /* full: the client sees the socket close at once */
}

void attach_broadcast(struct proxy *io, int stream, const char *buf, size_t n) {
  unsigned char h[HEADER] = {(unsigned char)(stream + 1), (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
  for (int i = 0; i < ATTACH_MAX; i++) {
    struct attach_client *c = &io->clients[i];
    if (c->fd < 0) continue;
    if (write_all(c->fd, h, sizeof h) != 0 || write_all(c->fd, buf, n) != 0) drop(c);
  }
}

/* Writes all of BUF to a possibly non-blocking fd (the pty master), waiting for room. */
static int write_waiting(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      if (poll(&p, 1, 1000) <= 0) return -1;
      continue;
    }
    if (w < 0) return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

static void close_stdin(struct proxy *io) {
  if (io->stdin_w >= 0) close(io->stdin_w);
  io->stdin_w = -1;
  /* A pty has no end of input of its own: ^D is what a terminal sends. */
  if (io->master >= 0 && io->attach_input) write_waiting(io->master, "\004", 1);
  io->attach_input = false;
}

static void deliver(struct proxy *io, struct attach_client *c, const char *buf, size_t n) {
  if (c->type == IN_DATA && io->attach_input) {
    int target = io->stdin_w >= 0 ? io->stdin_w : io->master;
    if (target >= 0 && write_waiting(target, buf, n) != 0) close_stdin(io);
  } else if (c->type == IN_RESIZE && c->got + n <= sizeof c->small) {
    memcpy(c->small + c->got, buf, n);
  }
}

static void frame_done(struct proxy *io, struct attach_client *c) {
  if (c->type == IN_CLOSE) close_stdin(io);
  if (c->type == IN_RESIZE && c->got == 4 && io->master >= 0) {
    struct winsize ws = {.ws_row = (unsigned short)(c->small[0] << 8 | c->small[1]), .ws_col = (unsigned short)(c->small[2] << 8 | c->small[3])};
    ioctl(io->master, TIOCSWINSZ, &ws);
  }
  c->hdr_len = 0;
  c->got = 0;
}

static void read_client(struct proxy *io, struct attach_client *c) {
  char buf[4096];
  ssize_t n = read(c->fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    drop(c);
    return;
  }
  for (size_t off = 0; off < (size_t)n;) {
    if (c->hdr_len < HEADER) {
      c->hdr[c->hdr_len++] = (unsigned char)buf[off++];
      if (c->hdr_len < HEADER) continue;
      c->type = c->hdr[0];
      c->remaining = (uint32_t)c->hdr[1] << 24 | (uint32_t)c->hdr[2] << 16 | (uint32_t)c->hdr[3] << 8 | c->hdr[4];
      if (c->remaining == 0) frame_done(io, c);
      continue;
    }
    size_t take = (size_t)n - off < c->remaining ? (size_t)n - off : c->remaining;
    deliver(io, c, buf + off, take);
    c->got += take;
    c->remaining -= (uint32_t)take;
    off += take;
    if (c->remaining == 0) frame_done(io, c);
  }
}

void attach_pollfds(const struct proxy *io, struct pollfd fds[ATTACH_POLLFDS]) {
  fds[0] = (struct pollfd){.fd = io->listen_fd, .events = POLLIN};
  for (int i = 0; i < ATTACH_MAX; i++) fds[1 + i] = (struct pollfd){.fd = io->clients[i].fd, .events = POLLIN};
}

void attach_handle(struct proxy *io, const struct pollfd fds[ATTACH_POLLFDS]) {
  for (int i = 0; i < ATTACH_MAX; i++)
    if (fds[1 + i].revents && io->clients[i].fd >= 0) read_client(io, &io->clients[i]);
  if (fds[0].revents) accept_client(io);
}

void attach_close(struct proxy *io) {
  for (int i = 0; i < ATTACH_MAX; i++)
    if (io->clients[i].fd >= 0) drop(&io->clients[i]);
  if (io->listen_fd >= 0) close(io->listen_fd);
  io->listen_fd = -1;
  if (io->stdin_w >= 0) close(io->stdin_w);
  io->stdin_w = -1;
}
