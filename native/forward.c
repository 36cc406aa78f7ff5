/* Published ports, forwarded by the monitor as docker's userland proxy (docker-proxy) does:
 * a listener on the host's HOSTIP:HOSTPORT for each `publish` record, bound before the
 * container exists, and every TCP connection or UDP flow passed on to CONTAINERIP:PORT.
 * TCP goes through a pipe per direction with splice(2) (the bytes never reach user space),
 * half-closes are passed on, an error or a refused connection closes both sides. UDP: one
 * connected socket toward the container per client address, its replies sent back from the
 * listener; a flow idle for the plan's time is dropped. The tables are allocated here once,
 * before clone: nothing is allocated while the container runs. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

enum { FWD_LISTENER, FWD_TIMER, FWD_CONN, FWD_FLOW };

/* Rounds of splicing one direction of a connection gets per wakeup, so one busy connection cannot starve the others. */
#define SPLICE_ROUNDS 8
#define DATAGRAM_MAX 65536
/* Datagrams taken from one socket per wakeup. */
#define DATAGRAM_ROUNDS 32

static long long monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static int address(struct sockaddr_in *sa, const char *ip, unsigned long long port) {
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

static int bind_one(struct fwd_listener *l, const struct record *r) {
  struct sockaddr_in host;
  l->udp = strcmp(r->args[0], "udp") == 0;
  if (address(&host, r->args[1], r->num[2]) != 0 || address(&l->to, r->args[3], r->num[4]) != 0) return -1;
  l->fd = socket(AF_INET, (l->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l->fd < 0) return -1;
  /* A TCP port still in TIME_WAIT from an earlier run of it is free for the next listener
   * (no two listeners share a port either way); a UDP socket must not take this option,
   * which would let two bind one port. */
  int one = 1;
  if (!l->udp && setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return -1;
  if (bind(l->fd, (struct sockaddr *)&host, sizeof host) != 0) return -1;
  if (!l->udp && listen(l->fd, SOMAXCONN) != 0) return -1;
  return 0;
}

int forward_init(struct forwarder *f, const struct plan *p, const struct record **failed) {
  memset(f, 0, sizeof *f);
  f->timer = -1;
  *failed = NULL;
  if (p->npublish == 0) return 0;
  *failed = p->forwarding;
  f->maxconns = (int)p->forwarding->num[0];
  f->maxflows = (int)p->forwarding->num[1];
  f->idle_ns = (long long)p->forwarding->num[2] * 1000000LL;
  f->listeners = calloc((size_t)p->npublish, sizeof *f->listeners);
  f->conns = calloc((size_t)f->maxconns, sizeof *f->conns);
  f->flows = calloc((size_t)f->maxflows, sizeof *f->flows);
  f->slots = calloc((size_t)p->npublish + 1 + 2 * (size_t)f->maxconns + (size_t)f->maxflows, sizeof *f->slots);
  f->datagram = malloc(DATAGRAM_MAX);
  if (!f->listeners || !f->conns || !f->flows || !f->slots || !f->datagram) {
    errno = ENOMEM;
    return -1;
  }
  for (int i = 0; i < f->maxconns; i++) f->conns[i].fd[0] = f->conns[i].fd[1] = -1;
  for (int i = 0; i < f->maxflows; i++) f->flows[i].fd = -1;
  bool udp = false;
  for (int i = 0; i < p->npublish; i++) {
    *failed = p->publish[i];
    f->listeners[i].fd = -1;
    f->nlisteners = i + 1;
    if (bind_one(&f->listeners[i], p->publish[i]) != 0) return -1;
    udp |= f->listeners[i].udp;
  }
  *failed = p->forwarding;
  if (udp && (f->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0) return -1;
  *failed = NULL;
  return 0;
}

size_t forward_max_pollfds(const struct forwarder *f) {
  return (size_t)f->nlisteners + 1 + 2 * (size_t)f->maxconns + (size_t)f->maxflows;
}

/* ---- TCP ---------------------------------------------------------------------- */

static void conn_close(struct forwarder *f, struct fwd_conn *c) {
  for (int i = 0; i < 2; i++) {
    close_fd(&c->fd[i]);
    close_fd(&c->dir[i].r);
    close_fd(&c->dir[i].w);
  }
  f->nconns--;
  f->accept_paused = false;
}

/* A client's connection, passed on to the container's port. false: out of fds (or memory). */
static bool conn_open(struct forwarder *f, struct fwd_conn *c, int client, const struct sockaddr_in *to) {
  *c = (struct fwd_conn){.fd = {client, -1}, .dir = {{.r = -1, .w = -1}, {.r = -1, .w = -1}}};
  f->nconns++;
  int pipes[2][2];
  bool ok = true;
  for (int i = 0; i < 2 && ok; i++) {
    ok = pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC) == 0;
    if (ok) c->dir[i].r = pipes[i][0], c->dir[i].w = pipes[i][1];
  }
  if (ok) ok = (c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) >= 0;
  if (!ok) {
    bool exhausted = errno == EMFILE || errno == ENFILE || errno == ENOMEM;
    conn_close(f, c);
    return !exhausted;
  }
  /* Small requests and replies go out at once, as docker-proxy's (Go's) sockets do. */
  int one = 1;
  setsockopt(c->fd[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->fd[1], (const struct sockaddr *)to, sizeof *to) == 0) return true;
  if (errno == EINPROGRESS) {
    c->connecting = true;
    return true;
  }
  /* Refused at once: the client sees its connection closed, as with docker-proxy. */
  conn_close(f, c);
  return true;
}

static void accept_all(struct forwarder *f, const struct fwd_listener *l) {
  while (!f->accept_paused) {
    struct fwd_conn *c = NULL;
    for (int i = 0; i < f->maxconns && c == NULL; i++)
      if (f->conns[i].fd[0] < 0) c = &f->conns[i];
    if (c == NULL) {
      f->accept_paused = true;
      return;
    }
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) f->accept_paused = true;
      /* EAGAIN: none left; ECONNABORTED and the like: that client is gone. */
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      return;
    }
    if (!conn_open(f, c, fd, &l->to)) f->accept_paused = true;
  }
}

static bool wants_read(const struct fwd_pipe *p) {
  return !p->eof && !p->full;
}

static short conn_events(const struct fwd_conn *c, int side) {
  if (c->connecting) return side == 1 ? POLLOUT : 0;
  short ev = 0;
  if (wants_read(&c->dir[side])) ev |= POLLIN;
  if (c->dir[1 - side].len > 0) ev |= POLLOUT;
  return ev;
}

/* Moves what it can of one direction; false: the connection failed (reset, error). */
static bool pump(struct fwd_conn *c, int d, bool readable) {
  struct fwd_pipe *p = &c->dir[d];
  int src = c->fd[d], dst = c->fd[1 - d];
  for (int round = 0; round < SPLICE_ROUNDS; round++) {
    bool moved = false;
    if (readable && wants_read(p)) {
      ssize_t n = splice(src, NULL, p->w, NULL, 1 << 20, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) p->len += (size_t)n, moved = true;
      else if (n == 0) p->eof = true;
      else if (errno == EAGAIN) {
        /* With bytes in the pipe, EAGAIN may be the pipe's: it is read again once some leave. */
        if (p->len > 0) p->full = true;
        readable = false;
      } else if (errno != EINTR) return false;
    }
    if (p->len > 0) {
      ssize_t n = splice(p->r, NULL, dst, NULL, p->len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) p->len -= (size_t)n, p->full = false, moved = true;
      else if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    }
    if (!moved) break;
  }
  if (p->eof && p->len == 0 && !p->shut) {
    p->shut = true;
    if (shutdown(dst, SHUT_WR) != 0 && errno != ENOTCONN) return false;
  }
  return true;
}

static void conn_handle(struct forwarder *f, struct fwd_conn *c, const short revents[2]) {
  if (c->connecting) {
    if (revents[1] == 0) return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      conn_close(f, c);
      return;
    }
    c->connecting = false;
    /* The client may have sent already: its bytes are read in the next round. */
    return;
  }
  if ((revents[0] | revents[1]) & (POLLERR | POLLNVAL)) {
    conn_close(f, c);
    return;
  }
  for (int d = 0; d < 2; d++) {
    if (!pump(c, d, (revents[d] & (POLLIN | POLLHUP)) != 0)) {
      conn_close(f, c);
      return;
    }
  }
  if (c->dir[0].shut && c->dir[1].shut) conn_close(f, c);
}

/* ---- UDP ---------------------------------------------------------------------- */

static void arm_timer(struct forwarder *f) {
  long long next = 0;
  for (int i = 0; i < f->maxflows; i++)
    if (f->flows[i].fd >= 0 && (next == 0 || f->flows[i].last + f->idle_ns < next)) next = f->flows[i].last + f->idle_ns;
  struct itimerspec its = {.it_value = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL}};
  /* it_value 0 disarms it: no flow left. */
  if (timerfd_settime(f->timer, TFD_TIMER_ABSTIME, &its, NULL) != 0) report_error(-1, "forward", errno, "arming the UDP flows' timer");
  f->timer_armed = next != 0;
}

static void expire_flows(struct forwarder *f) {
  uint64_t ticks;
  while (read(f->timer, &ticks, sizeof ticks) < 0 && errno == EINTR) {
  }
  long long now = monotonic_ns();
  for (int i = 0; i < f->maxflows; i++)
    if (f->flows[i].fd >= 0 && now - f->flows[i].last >= f->idle_ns) {
      close_fd(&f->flows[i].fd);
      f->nflows--;
    }
  arm_timer(f);
}

static bool same_peer(const struct sockaddr_in *a, const struct sockaddr_in *b) {
  return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* The flow of a client of listener L, made (the longest idle one given up, when all are taken) if it is new. */
static struct fwd_flow *flow_for(struct forwarder *f, int l, const struct sockaddr_in *peer) {
  struct fwd_flow *free_slot = NULL, *oldest = NULL;
  for (int i = 0; i < f->maxflows; i++) {
    struct fwd_flow *x = &f->flows[i];
    if (x->fd < 0) {
      if (!free_slot) free_slot = x;
      continue;
    }
    if (x->listener == l && same_peer(&x->peer, peer)) return x;
    if (!oldest || x->last < oldest->last) oldest = x;
  }
  if (!free_slot) {
    close_fd(&oldest->fd);
    f->nflows--;
    free_slot = oldest;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return NULL;
  if (connect(fd, (const struct sockaddr *)&f->listeners[l].to, sizeof f->listeners[l].to) != 0) {
    close(fd);
    return NULL;
  }
  *free_slot = (struct fwd_flow){.fd = fd, .listener = l, .peer = *peer};
  f->nflows++;
  return free_slot;
}

static void udp_from_clients(struct forwarder *f, int l) {
  for (int round = 0; round < DATAGRAM_ROUNDS; round++) {
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    ssize_t n = recvfrom(f->listeners[l].fd, f->datagram, DATAGRAM_MAX, MSG_DONTWAIT, (struct sockaddr *)&peer, &plen);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    struct fwd_flow *flow = flow_for(f, l, &peer);
    if (flow == NULL) continue;
    flow->last = monotonic_ns();
    if (!f->timer_armed) arm_timer(f);
    /* A datagram the container's side cannot take is dropped, as the network would. */
    send(flow->fd, f->datagram, (size_t)n, MSG_DONTWAIT);
  }
}

static void udp_to_client(struct forwarder *f, struct fwd_flow *flow) {
  for (int round = 0; round < DATAGRAM_ROUNDS; round++) {
    ssize_t n = recv(flow->fd, f->datagram, DATAGRAM_MAX, MSG_DONTWAIT);
    /* ECONNREFUSED: an ICMP port unreachable for an earlier datagram (nothing listened yet). */
    if (n < 0 && (errno == EINTR || errno == ECONNREFUSED)) continue;
    if (n < 0) return;
    flow->last = monotonic_ns();
    sendto(f->listeners[flow->listener].fd, f->datagram, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)&flow->peer, sizeof flow->peer);
  }
}

/* ---- the loop's part ------------------------------------------------------------ */

size_t forward_pollfds(struct forwarder *f, struct pollfd *fds) {
  size_t n = 0;
  for (int i = 0; i < f->nlisteners; i++) {
    const struct fwd_listener *l = &f->listeners[i];
    if (l->fd < 0 || (!l->udp && f->accept_paused)) continue;
    fds[n] = (struct pollfd){.fd = l->fd, .events = POLLIN};
    f->slots[n++] = (struct fwd_slot){FWD_LISTENER, i, 0};
  }
  if (f->timer >= 0 && f->timer_armed) {
    fds[n] = (struct pollfd){.fd = f->timer, .events = POLLIN};
    f->slots[n++] = (struct fwd_slot){FWD_TIMER, 0, 0};
  }
  for (int i = 0, seen = 0; i < f->maxconns && seen < f->nconns; i++) {
    const struct fwd_conn *c = &f->conns[i];
    if (c->fd[0] < 0) continue;
    seen++;
    for (int side = 0; side < 2; side++) {
      short ev = conn_events(c, side);
      /* Nothing wanted of this side now: not polled, or a hangup it has no part in would spin the loop. */
      if (ev == 0) continue;
      fds[n] = (struct pollfd){.fd = c->fd[side], .events = ev};
      f->slots[n++] = (struct fwd_slot){FWD_CONN, i, side};
    }
  }
  for (int i = 0, seen = 0; i < f->maxflows && seen < f->nflows; i++) {
    if (f->flows[i].fd < 0) continue;
    seen++;
    fds[n] = (struct pollfd){.fd = f->flows[i].fd, .events = POLLIN};
    f->slots[n++] = (struct fwd_slot){FWD_FLOW, i, 0};
  }
  return n;
}

void forward_handle(struct forwarder *f, const struct pollfd *fds, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const struct fwd_slot *s = &f->slots[i];
    if (s->kind == FWD_CONN) {
      /* Both sides of a connection are handled together, once. */
      short revents[2] = {0, 0};
      size_t j = i;
      for (; j < n && f->slots[j].kind == FWD_CONN && f->slots[j].index == s->index; j++) revents[f->slots[j].side] = fds[j].revents;
      i = j - 1;
      struct fwd_conn *c = &f->conns[s->index];
      if ((revents[0] | revents[1]) != 0 && c->fd[0] >= 0) conn_handle(f, c, revents);
      continue;
    }
    if (fds[i].revents == 0) continue;
    if (s->kind == FWD_LISTENER && f->listeners[s->index].udp) udp_from_clients(f, s->index);
    else if (s->kind == FWD_LISTENER) accept_all(f, &f->listeners[s->index]);
    else if (s->kind == FWD_TIMER) expire_flows(f);
    else if (s->kind == FWD_FLOW && f->flows[s->index].fd >= 0) udp_to_client(f, &f->flows[s->index]);
  }
}

void forward_close(struct forwarder *f) {
  for (int i = 0; i < f->nlisteners; i++) close_fd(&f->listeners[i].fd);
  for (int i = 0; i < f->maxconns; i++)
    if (f->conns[i].fd[0] >= 0) conn_close(f, &f->conns[i]);
  for (int i = 0; i < f->maxflows; i++) close_fd(&f->flows[i].fd);
  f->nflows = 0;
  close_fd(&f->timer);
  f->timer_armed = false;
}
