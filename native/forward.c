/* Published ports, forwarded by the monitor as docker's userland proxy (docker-proxy) does:
 * a listener on the host's HOSTIP:HOSTPORT for each `publish` record, bound before the
 * container exists, and every TCP connection or UDP flow passed on to CONTAINERIP:PORT.
 * TCP goes through a pipe per direction with splice(2) (the bytes never reach user space),
 * half-closes are passed on, a reset or an error of one side resets the other. UDP: one
 * connected socket toward the container per client address, its replies sent back from the
 * listener, from the address the client sent to; a flow idle for the plan's time is dropped.
 * The tables are allocated here once, before clone, sized to the plan's bounds and to the
 * fds RLIMIT_NOFILE leaves: nothing is allocated while the container runs, and running out
 * of fds costs a connection or the oldest flow, never the container. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
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
/* The fds a TCP connection holds: its two sockets and a pipe per direction. */
#define CONN_FDS 6
/* fds the monitor may open later besides its pollfds: the exit file's temporary, the
 * cgroup directory, /dev/null, a run's socketpair and pipes before clone, a pid file's. */
#define FD_RESERVE 16
/* Out of fds, the listeners try again this much later: with no connection or flow of ours
 * open, no close of ours would wake them. */
#define RETRY_NS (100 * 1000000LL)

/* A failure of the forwarder's while the container runs on: said on the monitor's stderr
 * only, as report_error's line. On the control socket an `error` line would tell the
 * caller that a step failed, and the container is fine. */
static void notice(const struct forwarder *f, int err, const char *what) {
  dprintf(STDERR_FILENO, "mydocker-shim: %d forwarding: %s (errno %d): %s\n", f->forwarding ? f->forwarding->index : -1, strerror(err), err, what);
}

static long long monotonic_ns(struct forwarder *f) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
    /* Not with a valid clock and pointer; were it to fail, time stands still (a flow
     * expires late) rather than jump. */
    notice(f, errno, "clock_gettime(CLOCK_MONOTONIC)");
    return f->now;
  }
  return f->now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static bool out_of_fds(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* ---- the tables ------------------------------------------------------------------ */

/* The arrays are not written here: a large table's untouched pages cost no memory. */
static int set_init(struct fwd_set *s, int cap) {
  s->order = calloc((size_t)cap + 1, sizeof *s->order);
  s->pos = calloc((size_t)cap + 1, sizeof *s->pos);
  s->limit = cap;
  return s->order && s->pos ? 0 : -1;
}

/* A free slot, or -1 at the limit. Slots from `fresh` on were never used (nor placed in order). */
static int set_take(struct fwd_set *s) {
  if (s->n >= s->limit) return -1;
  if (s->n == s->fresh) s->order[s->n] = s->fresh, s->pos[s->fresh] = s->n, s->fresh++;
  return s->order[s->n++];
}

static void set_release(struct fwd_set *s, int i) {
  int last = s->order[--s->n], at = s->pos[i];
  s->order[at] = last;
  s->pos[last] = at;
  s->order[s->n] = i;
  s->pos[i] = s->n;
}

/* The fds open in the monitor now. */
static int count_open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return -1;
  int n = 0;
  const struct dirent *e;
  errno = 0;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  int err = errno;
  closedir(d);
  errno = err;
  /* Less the directory's own. */
  return err != 0 ? -1 : n - 1;
}

/* The fds the forwarder may hold: the soft RLIMIT_NOFILE less what is not its own. */
static int fd_budget(const struct forwarder *f, long long *budget) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  long long max = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX ? INT_MAX : (long long)rl.rlim_cur;
  *budget = max - f->fd_overhead;
  return 0;
}

/* The fds the forwarder's connections and flows hold. */
static long long fds_held(const struct forwarder *f) {
  return (long long)CONN_FDS * f->connset.n + f->flowset.n;
}

/* Whether COST more fds fit in what RLIMIT_NOFILE leaves now (it may be changed under a
 * running monitor, either way). The first of a kind may always try: running out is then
 * handled as it comes. */
static bool fds_allow(const struct forwarder *f, const struct fwd_set *s, int cost) {
  long long budget;
  return s->n == 0 || (fd_budget(f, &budget) == 0 && fds_held(f) + cost <= budget);
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
   * which would let two bind one port. A UDP one learns the address each datagram was sent
   * to (IP_PKTINFO): on 0.0.0.0 the reply must come from it, not from what routing picks. */
  int one = 1;
  if (setsockopt(l->fd, l->udp ? IPPROTO_IP : SOL_SOCKET, l->udp ? IP_PKTINFO : SO_REUSEADDR, &one, sizeof one) != 0) return -1;
  if (bind(l->fd, (struct sockaddr *)&host, sizeof host) != 0) return -1;
  if (!l->udp && listen(l->fd, SOMAXCONN) != 0) return -1;
  return 0;
}

static int open_listeners(struct forwarder *f, const struct plan *p, const struct record **failed) {
  if ((f->listeners = calloc((size_t)p->npublish, sizeof *f->listeners)) == NULL) {
    errno = ENOMEM;
    return -1;
  }
  for (int i = 0; i < p->npublish; i++) {
    *failed = p->publish[i];
    f->listeners[i].fd = -1;
    f->nlisteners = i + 1;
    if (bind_one(&f->listeners[i], p->publish[i]) != 0) return -1;
    f->udp |= f->listeners[i].udp;
    f->tcp |= !f->listeners[i].udp;
  }
  *failed = p->forwarding;
  /* The UDP flows' expiry and the listeners' retry when out of fds. */
  f->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  return f->timer < 0 ? -1 : 0;
}

/* The tables, as large as the plan allows and the fds left at start can serve: UDP flows
 * (an fd each) get at most the plan's FLOWSHARE percent of them when TCP is published too,
 * each TCP connection takes CONN_FDS; at least one slot of each kind published. */
static int make_tables(struct forwarder *f, const struct plan *p, size_t nfixed) {
  int open = count_open_fds();
  long long budget;
  if (open < 0) return -1;
  f->fd_overhead = open + (long long)nfixed + FD_RESERVE;
  if (fd_budget(f, &budget) != 0) return -1;
  if (budget < 0) budget = 0;
  long long flows = f->udp ? (f->tcp ? budget * (long long)p->forwarding->num[3] / 100 : budget) : 0;
  flows = flows < (long long)p->forwarding->num[1] ? flows : (long long)p->forwarding->num[1];
  long long conns = f->tcp ? (budget - flows) / CONN_FDS : 0;
  conns = conns < (long long)p->forwarding->num[0] ? conns : (long long)p->forwarding->num[0];
  int maxconns = f->tcp && conns < 1 ? 1 : (int)conns;
  int maxflows = f->udp && flows < 1 ? 1 : (int)flows;
  unsigned buckets = 1;
  f->bucket_bits = 0;
  while (buckets < 2 * (unsigned)maxflows) buckets *= 2, f->bucket_bits++;
  f->bucket_mask = buckets - 1;
  f->conns = calloc((size_t)maxconns + 1, sizeof *f->conns);
  f->flows = calloc((size_t)maxflows + 1, sizeof *f->flows);
  f->buckets = calloc(buckets, sizeof *f->buckets);
  f->datagram = malloc(DATAGRAM_MAX);
  if (!f->conns || !f->flows || !f->buckets || !f->datagram || set_init(&f->connset, maxconns) != 0 || set_init(&f->flowset, maxflows) != 0) {
    errno = ENOMEM;
    return -1;
  }
  f->oldest = f->newest = -1;
  f->idle_ns = (long long)p->forwarding->num[2] * 1000000LL;
  /* A key the clients cannot guess, so that no choice of their ports fills one chain. */
  if (getrandom(&f->hash_key, sizeof f->hash_key, GRND_NONBLOCK) != (ssize_t)sizeof f->hash_key) f->hash_key = (uint64_t)monotonic_ns(f);
  f->hash_key |= 1;
  return 0;
}

int forward_init(struct forwarder *f, const struct plan *p, size_t nfixed, const struct record **failed) {
  memset(f, 0, sizeof *f);
  f->timer = -1;
  f->oldest = f->newest = -1;
  f->forwarding = p->forwarding;
  *failed = p->forwarding;
  if (p->npublish > 0 && (open_listeners(f, p, failed) != 0 || make_tables(f, p, nfixed) != 0)) return -1;
  size_t most = (size_t)f->nlisteners + 1 + 2 * (size_t)f->connset.limit + (size_t)f->flowset.limit;
  f->slots = calloc(most, sizeof *f->slots);
  f->packed = calloc(nfixed + most, sizeof *f->packed);
  f->from = calloc(nfixed + 1, sizeof *f->from);
  if (!f->slots || !f->packed || !f->from) {
    errno = ENOMEM;
    return -1;
  }
  *failed = NULL;
  return 0;
}

/* ---- TCP ---------------------------------------------------------------------- */

/* Closes a connection; RESET (0 or 1, else -1) is the side that gets a reset rather than a
 * FIN: the other side of one that failed, as a direct connection would have seen. */
static void conn_close(struct forwarder *f, struct fwd_conn *c, int reset) {
  struct linger rst = {.l_onoff = 1, .l_linger = 0};
  /* Refused (never, to a TCP socket), the close below still ends it, with a FIN. */
  if (reset >= 0 && c->fd[reset] >= 0) (void)setsockopt(c->fd[reset], SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
  for (int i = 0; i < 2; i++) {
    close_fd(&c->fd[i]);
    close_fd(&c->dir[i].r);
    close_fd(&c->dir[i].w);
  }
  set_release(&f->connset, (int)(c - f->conns));
  f->accept_paused = false;
}

static void pause_accepting(struct forwarder *f, bool retry) {
  f->accept_paused = true;
  if (retry && f->retry_at == 0) f->retry_at = monotonic_ns(f) + RETRY_NS;
}

/* A client's connection, passed on to the container's port; refused (reset) when the
 * monitor is out of fds for it, or when the container's port refuses at once. */
static void conn_open(struct forwarder *f, int slot, int client, const struct sockaddr_in *to) {
  struct fwd_conn *c = &f->conns[slot];
  *c = (struct fwd_conn){.fd = {client, -1}, .dir = {{.r = -1, .w = -1}, {.r = -1, .w = -1}}};
  int pipes[2][2], one = 1;
  bool ok = true;
  for (int i = 0; i < 2 && ok; i++) {
    ok = pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC) == 0;
    if (ok) c->dir[i].r = pipes[i][0], c->dir[i].w = pipes[i][1];
  }
  if (ok) ok = (c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) >= 0;
  /* Small requests and replies go out at once, as docker-proxy's (Go's) sockets do; an
   * urgent byte is kept in the stream and passed on as data (past_mark). */
  for (int i = 0; i < 2 && ok; i++) {
    ok = setsockopt(c->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
    if (ok) ok = setsockopt(c->fd[i], SOL_SOCKET, SO_OOBINLINE, &one, sizeof one) == 0;
  }
  if (ok) {
    int rc = connect(c->fd[1], (const struct sockaddr *)to, sizeof *to);
    if (rc == 0 || errno == EINPROGRESS) {
      c->connecting = rc != 0;
      return;
    }
  }
  if (out_of_fds(errno)) pause_accepting(f, true);
  conn_close(f, c, 0);
}

static void accept_all(struct forwarder *f, const struct fwd_listener *l) {
  while (!f->accept_paused) {
    /* Every slot taken: the end of a connection frees one; the client waits in the backlog.
     * Over the fd budget (RLIMIT_NOFILE lowered): that, or a retry after it was raised. */
    bool fds = fds_allow(f, &f->connset, CONN_FDS);
    int slot = fds ? set_take(&f->connset) : -1;
    if (slot < 0) {
      pause_accepting(f, !fds);
      return;
    }
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      conn_open(f, slot, fd, &l->to);
      continue;
    }
    int err = errno;
    set_release(&f->connset, slot);
    if (out_of_fds(err)) pause_accepting(f, true);
    /* EAGAIN: none left; ECONNABORTED and the like: that client is gone. */
    if (err != EINTR && err != ECONNABORTED && err != EPROTO) return;
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

/* When splice(2) from a socket moves nothing (0, or EAGAIN): the end, nothing yet, the pipe
 * full, or a TCP urgent mark, which splice does not cross (it says 0 or EAGAIN there while
 * poll goes on saying POLLIN: a false end, or a spin). A peek tells them apart; past a mark,
 * one read through user space into the empty pipe (with SO_OOBINLINE the urgent byte is
 * passed on as the data it is). Returns 1 moved (or the end), 0 nothing now, -1 failed. */
static int past_mark(int src, struct fwd_pipe *p) {
  char buf[PIPE_BUF];
  ssize_t n = recv(src, buf, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) p->eof = true;
  if (n <= 0) return n == 0 ? 1 : errno == EAGAIN || errno == EINTR ? 0 : -1;
  if (p->len > 0) {
    /* With bytes in the pipe, it is the pipe's: read again once some leave. */
    p->full = true;
    return 0;
  }
  if ((n = recv(src, buf, sizeof buf, MSG_DONTWAIT)) <= 0) return n == 0 || errno == EAGAIN || errno == EINTR ? 0 : -1;
  /* At most PIPE_BUF bytes into an empty pipe: written whole. */
  if (write(p->w, buf, (size_t)n) != n) return -1;
  p->len += (size_t)n;
  return 1;
}

/* Moves what it can of direction D; returns -1, or the side whose socket failed (reset, error). */
static int pump(struct fwd_conn *c, int d, bool readable) {
  struct fwd_pipe *p = &c->dir[d];
  int src = c->fd[d], dst = c->fd[1 - d];
  for (int round = 0; round < SPLICE_ROUNDS; round++) {
    bool moved = false;
    if (readable && wants_read(p)) {
      ssize_t n = splice(src, NULL, p->w, NULL, 1 << 20, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) p->len += (size_t)n, moved = true;
      else if (n == 0 || errno == EAGAIN) {
        int r = past_mark(src, p);
        if (r < 0) return d;
        moved = r > 0 && !p->eof;
        readable = moved;
      } else if (errno != EINTR) return d;
    }
    if (p->len > 0) {
      ssize_t n = splice(p->r, NULL, dst, NULL, p->len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) p->len -= (size_t)n, p->full = false, moved = true;
      else if (n < 0 && errno != EAGAIN && errno != EINTR) return 1 - d;
    }
    if (!moved) break;
  }
  if (p->eof && p->len == 0 && !p->shut) {
    p->shut = true;
    if (shutdown(dst, SHUT_WR) != 0 && errno != ENOTCONN) return 1 - d;
  }
  return -1;
}

static void conn_handle(struct forwarder *f, struct fwd_conn *c, const short revents[2]) {
  if (c->connecting) {
    if (revents[1] == 0) return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      conn_close(f, c, 0);
      return;
    }
    c->connecting = false;
    /* The client may have sent already: its bytes are read in the next round. */
    return;
  }
  for (int side = 0; side < 2; side++)
    if (revents[side] & (POLLERR | POLLNVAL)) {
      conn_close(f, c, 1 - side);
      return;
    }
  for (int d = 0; d < 2; d++) {
    int failed = pump(c, d, (revents[d] & (POLLIN | POLLHUP)) != 0);
    if (failed >= 0) {
      conn_close(f, c, 1 - failed);
      return;
    }
  }
  if (c->dir[0].shut && c->dir[1].shut) conn_close(f, c, -1);
}

/* ---- UDP ---------------------------------------------------------------------- */

/* Multiply-shift on the whole (address, port, listener), the bucket from the product's high
 * bits: with the key unknown, no choice of addresses and ports lands in one bucket (the low
 * bits of a product depend on the low bits of its factors alone). */
static unsigned flow_hash(const struct forwarder *f, int l, const struct sockaddr_in *peer) {
  uint64_t x = ((uint64_t)peer->sin_addr.s_addr << 32) ^ ((uint64_t)peer->sin_port << 16) ^ (uint64_t)(uint32_t)l;
  return f->bucket_bits == 0 ? 0 : (unsigned)((x * f->hash_key) >> (64 - f->bucket_bits));
}

static void lru_unlink(struct forwarder *f, const struct fwd_flow *x) {
  if (x->older >= 0) f->flows[x->older].newer = x->newer;
  else f->oldest = x->newer;
  if (x->newer >= 0) f->flows[x->newer].older = x->older;
  else f->newest = x->older;
}

static void lru_push(struct forwarder *f, int i) {
  f->flows[i].older = f->newest;
  f->flows[i].newer = -1;
  if (f->newest >= 0) f->flows[f->newest].newer = i;
  else f->oldest = i;
  f->newest = i;
}

static void flow_touch(struct forwarder *f, struct fwd_flow *x) {
  x->last = monotonic_ns(f);
  int i = (int)(x - f->flows);
  if (f->newest == i) return;
  lru_unlink(f, x);
  lru_push(f, i);
}

static void flow_close(struct forwarder *f, struct fwd_flow *x) {
  int i = (int)(x - f->flows);
  int *link = &f->buckets[flow_hash(f, x->listener, &x->peer)];
  while (*link != i + 1) link = &f->flows[*link - 1].hnext;
  *link = x->hnext;
  lru_unlink(f, x);
  close_fd(&x->fd);
  set_release(&f->flowset, i);
  /* An fd is free again: the TCP listeners may try again. */
  f->accept_paused = false;
}

static int flow_socket(const struct forwarder *f, int l) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (const struct sockaddr *)&f->listeners[l].to, sizeof f->listeners[l].to) == 0) return fd;
  close(fd);
  return -1;
}

/* The flow of a client of listener L; a new one takes the place of the longest idle one
 * when the table is full, or when the monitor is out of fds. NULL: none could be made. */
static struct fwd_flow *flow_for(struct forwarder *f, int l, const struct sockaddr_in *peer) {
  unsigned h = flow_hash(f, l, peer);
  for (int i = f->buckets[h] - 1; i >= 0; i = f->flows[i].hnext - 1)
    if (f->flows[i].listener == l && f->flows[i].peer.sin_addr.s_addr == peer->sin_addr.s_addr && f->flows[i].peer.sin_port == peer->sin_port) return &f->flows[i];
  if ((f->flowset.n >= f->flowset.limit || !fds_allow(f, &f->flowset, 1)) && f->oldest >= 0) flow_close(f, &f->flows[f->oldest]);
  int fd = flow_socket(f, l);
  if (fd < 0 && out_of_fds(errno) && f->oldest >= 0) {
    flow_close(f, &f->flows[f->oldest]);
    fd = flow_socket(f, l);
  }
  int i = fd < 0 ? -1 : set_take(&f->flowset);
  if (i < 0) {
    if (fd >= 0) close(fd);
    return NULL;
  }
  f->flows[i] = (struct fwd_flow){.fd = fd, .listener = l, .peer = *peer, .hnext = f->buckets[h]};
  f->buckets[h] = i + 1;
  lru_push(f, i);
  return &f->flows[i];
}

/* The reply source: what the client sent to (the header's destination, or for a broadcast
 * the local address routing gives it), as IP_PKTINFO's ipi_spec_dst says. */
union pktinfo_cmsg {
  char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
  struct cmsghdr align;
};

static void udp_from_clients(struct forwarder *f, int l) {
  for (int round = 0; round < DATAGRAM_ROUNDS; round++) {
    struct sockaddr_in peer;
    union pktinfo_cmsg ctl;
    struct iovec iov = {.iov_base = f->datagram, .iov_len = DATAGRAM_MAX};
    struct msghdr msg = {.msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t n = recvmsg(f->listeners[l].fd, &msg, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    struct fwd_flow *flow = flow_for(f, l, &peer);
    /* No socket for it now (out of fds, nothing to give up): dropped, as a full network would. */
    if (flow == NULL) continue;
    struct in_pktinfo pi = {0};
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) memcpy(&pi, CMSG_DATA(c), sizeof pi);
    flow->local = pi.ipi_spec_dst;
    flow_touch(f, flow);
    /* A datagram the container's side cannot take now (its buffer full, an ICMP error
     * pending) is dropped, as the network would: UDP promises no delivery. */
    if (send(flow->fd, f->datagram, (size_t)n, MSG_DONTWAIT) < 0) continue;
  }
}

static void udp_to_client(struct forwarder *f, struct fwd_flow *flow) {
  for (int round = 0; round < DATAGRAM_ROUNDS; round++) {
    ssize_t n = recv(flow->fd, f->datagram, DATAGRAM_MAX, MSG_DONTWAIT);
    /* ECONNREFUSED: an ICMP port unreachable for an earlier datagram (nothing listened yet). */
    if (n < 0 && (errno == EINTR || errno == ECONNREFUSED)) continue;
    if (n < 0) return;
    flow_touch(f, flow);
    union pktinfo_cmsg ctl = {0};
    struct iovec iov = {.iov_base = f->datagram, .iov_len = (size_t)n};
    struct msghdr msg = {.msg_name = &flow->peer, .msg_namelen = sizeof flow->peer, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    *c = (struct cmsghdr){.cmsg_level = IPPROTO_IP, .cmsg_type = IP_PKTINFO, .cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo))};
    const struct in_pktinfo pi = {.ipi_spec_dst = flow->local};
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    /* A reply the client's side cannot take now is dropped, as the network would. */
    if (sendmsg(f->listeners[flow->listener].fd, &msg, MSG_DONTWAIT) < 0) continue;
  }
}

/* ---- the timer: the flows' expiry, the listeners' retry --------------------------- */

static void timer_update(struct forwarder *f) {
  long long want = f->retry_at;
  if (f->oldest >= 0 && (want == 0 || f->flows[f->oldest].last + f->idle_ns < want)) want = f->flows[f->oldest].last + f->idle_ns;
  /* Armed for no later already: it fires, finds what is due, and is armed again then. */
  if (want == 0 || (f->armed != 0 && f->armed <= want)) return;
  struct itimerspec its = {.it_value = {.tv_sec = want / 1000000000LL, .tv_nsec = want % 1000000000LL}};
  if (timerfd_settime(f->timer, TFD_TIMER_ABSTIME, &its, NULL) == 0) {
    f->armed = want;
    return;
  }
  /* The timer stays as it was (armed is still true of it): tried again next round. */
  if (!f->timer_failed) notice(f, errno, "arming the forwarder's timer");
  f->timer_failed = true;
}

static void timer_fired(struct forwarder *f) {
  uint64_t ticks;
  /* EAGAIN: it fired for a time armed before this one. */
  if (read(f->timer, &ticks, sizeof ticks) < 0 && errno != EAGAIN && errno != EINTR) notice(f, errno, "reading the forwarder's timer");
  f->armed = 0;
  long long now = monotonic_ns(f);
  while (f->oldest >= 0 && now - f->flows[f->oldest].last >= f->idle_ns) flow_close(f, &f->flows[f->oldest]);
  if (f->retry_at != 0 && now >= f->retry_at) {
    f->retry_at = 0;
    f->accept_paused = false;
  }
}

/* ---- the loop's part ------------------------------------------------------------ */

static size_t forward_pollfds(struct forwarder *f, struct pollfd *fds) {
  size_t n = 0;
  if (f->suspended) return 0;
  for (int i = 0; i < f->nlisteners; i++) {
    const struct fwd_listener *l = &f->listeners[i];
    if (l->fd < 0 || (!l->udp && f->accept_paused)) continue;
    fds[n] = (struct pollfd){.fd = l->fd, .events = POLLIN};
    f->slots[n++] = (struct fwd_slot){FWD_LISTENER, i, 0};
  }
  if (f->armed != 0) {
    fds[n] = (struct pollfd){.fd = f->timer, .events = POLLIN};
    f->slots[n++] = (struct fwd_slot){FWD_TIMER, 0, 0};
  }
  for (int k = 0; k < f->connset.n; k++) {
    int i = f->connset.order[k];
    for (int side = 0; side < 2; side++) {
      short ev = conn_events(&f->conns[i], side);
      /* Nothing wanted of this side now: not polled, or a hangup it has no part in would spin the loop. */
      if (ev == 0) continue;
      fds[n] = (struct pollfd){.fd = f->conns[i].fd[side], .events = ev};
      f->slots[n++] = (struct fwd_slot){FWD_CONN, i, side};
    }
  }
  for (int k = 0; k < f->flowset.n; k++) {
    int i = f->flowset.order[k];
    fds[n] = (struct pollfd){.fd = f->flows[i].fd, .events = POLLIN};
    f->slots[n++] = (struct fwd_slot){FWD_FLOW, i, 0};
  }
  return n;
}

/* poll said EINVAL: the set outgrew RLIMIT_NOFILE, lowered under a running monitor. The
 * oldest flows and the newest connections past the budget it leaves are closed (said once);
 * with none to close, the forwarder is not polled for RETRY_NS (the container runs on). */
static void shed(struct forwarder *f) {
  long long budget = 0;
  if (fd_budget(f, &budget) != 0) budget = 0;
  int had = f->connset.n + f->flowset.n;
  while (f->flowset.n > 0 && fds_held(f) > budget) flow_close(f, &f->flows[f->oldest]);
  while (f->connset.n > 0 && fds_held(f) > budget) conn_close(f, &f->conns[f->connset.order[f->connset.n - 1]], 0);
  if (had == f->connset.n + f->flowset.n) {
    f->suspended = true;
    f->retry_at = monotonic_ns(f) + RETRY_NS;
  }
  if (!f->shed_said)
    notice(f, EINVAL, f->suspended ? "poll: RLIMIT_NOFILE leaves no room for the published ports: they wait until it does" : "poll: RLIMIT_NOFILE was lowered: connections and flows past it are closed");
  f->shed_said = true;
}

int forward_poll(struct forwarder *f, struct pollfd *fixed, size_t nfixed, int timeout) {
  size_t n = 0;
  for (size_t i = 0; i < nfixed; i++) {
    fixed[i].revents = 0;
    if (fixed[i].fd < 0) continue;
    f->packed[n] = fixed[i];
    f->from[n++] = i;
  }
  int rc;
  if (f->suspended && monotonic_ns(f) >= f->retry_at) f->suspended = false;
  /* Each round either closes something or suspends the forwarder: it ends. */
  for (;;) {
    f->npolled = forward_pollfds(f, f->packed + n);
    int retry_ms = (int)(RETRY_NS / 1000000LL);
    rc = poll(f->packed, n + f->npolled, f->suspended && (timeout < 0 || timeout > retry_ms) ? retry_ms : timeout);
    if (rc >= 0 || errno != EINVAL || f->npolled == 0) break;
    shed(f);
  }
  f->polled = f->packed + n;
  for (size_t i = 0; i < n; i++) fixed[f->from[i]].revents = f->packed[i].revents;
  return rc;
}

void forward_handle(struct forwarder *f) {
  const struct pollfd *fds = f->polled;
  size_t n = f->npolled;
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
    else if (s->kind == FWD_TIMER) timer_fired(f);
    else if (s->kind == FWD_FLOW && f->flows[s->index].fd >= 0) udp_to_client(f, &f->flows[s->index]);
  }
  if (f->timer >= 0) timer_update(f);
}

void forward_close(struct forwarder *f) {
  for (int i = 0; i < f->nlisteners; i++) close_fd(&f->listeners[i].fd);
  while (f->connset.n > 0) conn_close(f, &f->conns[f->connset.order[0]], -1);
  while (f->oldest >= 0) flow_close(f, &f->flows[f->oldest]);
  close_fd(&f->timer);
  f->armed = 0;
}
