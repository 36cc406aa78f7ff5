/* The attach socket (docker attach, start -a): a unix stream socket in the state
 * directory on which the monitor serves up to max_clients clients. Each gets the
 * container's output as frames `STREAM LEN32BE DATA` (STREAM 1 stdout, 2 stderr)
 * (and first an empty frame of STREAM 0: it was taken in, and gets every output from then on)
 * and may send frames `TYPE LEN32BE DATA` back: 0 input for the container's stdin,
 * 1 close that stdin, 2 a window size (rows, cols: two 16-bit big-endian).
 *
 * Nothing here blocks the monitor: client sockets are non-blocking, output a client has
 * not taken waits in its own queue (a client more than backlog_max bytes behind is
 * dropped), and input waits for room in the container's stdin however long that takes
 * (the client is not read meanwhile, so it feels the backpressure, not the container). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

enum { IN_DATA = 0, IN_CLOSE = 1, IN_RESIZE = 2 };
enum { HEADER = 5 };

/* A path too long for sun_path is reached through an fd of its directory (*DIRFD, to be
 * closed once bound; -1 when not needed). */
static int socket_address(const char *path, struct sockaddr_un *addr, int *dirfd) {
  *dirfd = -1;
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
  *dirfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*dirfd < 0) return -1;
  int n = snprintf(addr->sun_path, sizeof addr->sun_path, "/proc/self/fd/%d/%s", *dirfd, slash + 1);
  if (n < 0 || (size_t)n >= sizeof addr->sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

static int bind_listen(struct proxy *io, const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int dirfd;
  int rc = socket_address(path, &addr, &dirfd);
  if (rc == 0 && unlink(path) != 0 && errno != ENOENT) rc = -1;
  if (rc == 0) rc = bind(io->listen_fd, (struct sockaddr *)&addr, sizeof addr);
  int saved = errno;
  if (dirfd >= 0) close(dirfd);
  errno = saved;
  if (rc != 0 || chmod(path, 0600) != 0) return -1;
  return listen(io->listen_fd, io->max_clients);
}

int attach_listen(struct proxy *io, const char *path, int max_clients, size_t backlog_max, int flush_ms) {
  io->clients = calloc((size_t)max_clients, sizeof *io->clients);
  if (io->clients == NULL) return -1;
  for (int i = 0; i < max_clients; i++) io->clients[i].fd = -1;
  io->max_clients = max_clients;
  io->backlog_max = backlog_max;
  io->flush_ms = flush_ms;
  io->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (io->listen_fd < 0) return -1;
  return bind_listen(io, path);
}

static void drop(struct proxy *io, struct attach_client *c) {
  close(c->fd);
  free(c->out);
  memset(c, 0, sizeof *c);
  c->fd = -1;
  io->accept_paused = false;
}

static int enqueue(struct attach_client *c, const void *data, size_t n);
static int flush_client(struct attach_client *c);

static void accept_client(struct proxy *io) {
  int fd = accept4(io->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) {
    /* Out of fds or memory: polling the socket again would only spin. It waits until a
     * client leaves; until then a new client waits in the backlog. */
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) io->accept_paused = true;
    return;
  }
  for (int i = 0; i < io->max_clients; i++) {
    if (io->clients[i].fd >= 0) continue;
    io->clients[i] = (struct attach_client){.fd = fd};
    /* The welcome: a client that starts the container once it has this misses no output. */
    static const unsigned char welcome[HEADER] = {0, 0, 0, 0, 0};
    if (enqueue(&io->clients[i], welcome, sizeof welcome) != 0 || flush_client(&io->clients[i]) != 0) drop(io, &io->clients[i]);
    return;
  }
  close(fd); /* full: the client sees the socket close at once */
}

/* Writes what the client's queue holds, as far as its socket takes it. -1: the client is gone. */
static int flush_client(struct attach_client *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (n < 0) return -1;
    c->out_off += (size_t)n;
  }
  c->out_off = c->out_len = 0;
  return 0;
}

static int enqueue(struct attach_client *c, const void *data, size_t n) {
  if (c->out_off > 0) {
    memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
    c->out_len -= c->out_off;
    c->out_off = 0;
  }
  if (c->out_len + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + n) cap *= 2;
    char *bigger = realloc(c->out, cap);
    if (bigger == NULL) return -1;
    c->out = bigger;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data, n);
  c->out_len += n;
  return 0;
}

void attach_broadcast(struct proxy *io, int stream, const char *buf, size_t n) {
  unsigned char h[HEADER] = {(unsigned char)(stream + 1), (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
  for (int i = 0; i < io->max_clients; i++) {
    struct attach_client *c = &io->clients[i];
    if (c->fd < 0) continue;
    bool ok = c->out_len - c->out_off + sizeof h + n <= io->backlog_max;
    ok = ok && enqueue(c, h, sizeof h) == 0 && enqueue(c, buf, n) == 0;
    /* Straight out when the socket has room: the queue only holds what it had not. */
    if (!ok || flush_client(c) != 0) drop(io, c);
  }
}

/* The container's stdin: the pipe (stdinpipe) or, with a tty, the pty. */
static int stdin_target(const struct proxy *io) {
  return io->stdin_w >= 0 ? io->stdin_w : io->master;
}

static void close_stdin(struct proxy *io) {
  if (io->stdin_w >= 0) close(io->stdin_w);
  io->stdin_w = -1;
  /* A pty has no end of input of its own: ^D is what a terminal sends. */
  if (io->master >= 0 && io->attach_input) io->eof_pending = true;
  io->attach_input = false;
  io->input_blocked = false;
}

static void send_eof(struct proxy *io) {
  if (io->master < 0) {
    io->eof_pending = false;
    return;
  }
  ssize_t n = write(io->master, "\004", 1);
  if (n == 1 || (n < 0 && errno != EAGAIN && errno != EINTR)) io->eof_pending = false;
}

/* Hands N bytes of a data frame to the container's stdin; returns how many it took (less
 * than N: no room now, the rest waits for POLLOUT). Without input, data is dropped. */
static size_t deliver(struct proxy *io, const unsigned char *buf, size_t n) {
  int target = stdin_target(io);
  if (!io->attach_input || target < 0) return n;
  ssize_t w = write(target, buf, n);
  if (w >= 0) return (size_t)w;
  if (errno == EAGAIN || errno == EINTR) {
    io->input_blocked = true;
    return 0;
  }
  close_stdin(io); /* the container closed its stdin (EPIPE): nothing more goes in */
  return n;
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

/* Works through what was read from the client, until it is all handled or stdin is full. */
static void handle_input(struct proxy *io, struct attach_client *c) {
  while (c->in_off < c->in_len && !io->input_blocked) {
    if (c->hdr_len < HEADER) {
      c->hdr[c->hdr_len++] = c->in[c->in_off++];
      if (c->hdr_len < HEADER) continue;
      c->type = c->hdr[0];
      c->remaining = (uint32_t)c->hdr[1] << 24 | (uint32_t)c->hdr[2] << 16 | (uint32_t)c->hdr[3] << 8 | c->hdr[4];
      if (c->remaining == 0) frame_done(io, c);
      continue;
    }
    size_t avail = c->in_len - c->in_off;
    size_t take = avail < c->remaining ? avail : c->remaining;
    if (c->type == IN_DATA) {
      take = deliver(io, c->in + c->in_off, take);
    } else if (c->type == IN_RESIZE && c->got + take <= sizeof c->small) {
      memcpy(c->small + c->got, c->in + c->in_off, take);
    }
    c->got += take;
    c->remaining -= (uint32_t)take;
    c->in_off += take;
    if (c->remaining == 0) frame_done(io, c);
  }
  if (c->in_off == c->in_len) c->in_off = c->in_len = 0;
}

static void read_client(struct proxy *io, struct attach_client *c) {
  ssize_t n = read(c->fd, c->in, sizeof c->in);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    drop(io, c);
    return;
  }
  c->in_len = (size_t)n;
  c->in_off = 0;
  handle_input(io, c);
}

/* Input read from the clients but not handled yet goes on, unless stdin is full again
 * (then POLLOUT on it brings us back here). */
static void resume_input(struct proxy *io) {
  for (int i = 0; i < io->max_clients && !io->input_blocked; i++) {
    struct attach_client *c = &io->clients[i];
    if (c->fd >= 0 && c->in_off < c->in_len) handle_input(io, c);
  }
}

void attach_stdin_room(struct proxy *io) {
  if (io->eof_pending) send_eof(io);
  io->input_blocked = false;
  resume_input(io);
}

size_t attach_npollfds(const struct proxy *io) { return 1 + (size_t)io->max_clients; }

void attach_pollfds(const struct proxy *io, struct pollfd *fds) {
  fds[0] = (struct pollfd){.fd = io->accept_paused ? -1 : io->listen_fd, .events = POLLIN};
  for (int i = 0; i < io->max_clients; i++) {
    const struct attach_client *c = &io->clients[i];
    short events = (short)((c->in_off < c->in_len ? 0 : POLLIN) | (c->out_off < c->out_len ? POLLOUT : 0));
    /* A client whose input waits and who has nothing to take is left out: its hangup
     * alone would wake the loop again and again. */
    fds[1 + i] = (struct pollfd){.fd = events ? c->fd : -1, .events = events};
  }
}

void attach_handle(struct proxy *io, const struct pollfd *fds) {
  for (int i = 0; i < io->max_clients; i++) {
    struct attach_client *c = &io->clients[i];
    short re = fds[1 + i].revents;
    if (c->fd < 0 || re == 0) continue;
    if ((re & (POLLOUT | POLLERR | POLLHUP)) && c->out_off < c->out_len && flush_client(c) != 0) {
      drop(io, c);
      continue;
    }
    if ((re & (POLLIN | POLLHUP | POLLERR)) && c->in_off == c->in_len) read_client(io, c);
  }
  /* A close frame may have ended stdin while others' input waited for room in it. */
  resume_input(io);
  if (fds[0].revents) accept_client(io);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the clients have not taken yet goes out while they take it, up to flush_ms in all. */
static void flush_all(struct proxy *io) {
  long long end = now_ms() + io->flush_ms;
  struct pollfd *fds = calloc((size_t)io->max_clients, sizeof *fds);
  if (fds == NULL) return;
  for (long long left; (left = end - now_ms()) > 0;) {
    int waiting = 0;
    for (int i = 0; i < io->max_clients; i++) {
      struct attach_client *c = &io->clients[i];
      bool queued = c->fd >= 0 && c->out_off < c->out_len;
      /* One that has everything sees its EOF now, whatever the others are doing. */
      if (c->fd >= 0 && !queued) drop(io, c);
      fds[i] = (struct pollfd){.fd = queued ? c->fd : -1, .events = POLLOUT};
      waiting += queued;
    }
    if (waiting == 0) break;
    int n = poll(fds, (nfds_t)io->max_clients, (int)left);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; n > 0 && i < io->max_clients; i++)
      if (fds[i].revents && flush_client(&io->clients[i]) != 0) drop(io, &io->clients[i]);
  }
  free(fds);
}

void attach_close(struct proxy *io) {
  if (io->listen_fd >= 0) close(io->listen_fd);
  io->listen_fd = -1;
  flush_all(io);
  for (int i = 0; i < io->max_clients; i++)
    if (io->clients[i].fd >= 0) drop(io, &io->clients[i]);
  if (io->stdin_w >= 0) close(io->stdin_w);
  io->stdin_w = -1;
}
