/* mydocker-shim: executes a plan (docs/plan.md) and monitors the container.
 * Declarations shared by the files of the shim.
 *
 * The shim is single-threaded, by design and for good: setns(CLONE_NEWNS) and unshare of
 * a mount namespace are refused to a multithreaded process, clone() of a child that then
 * runs without exec is only safe from one thread (no lock another thread held is copied
 * locked), the signal mask and the signalfd cover the whole process only when it has one
 * thread, and credentials (setresuid, capset) change per thread in the kernel. That is why
 * this part is C and not Node. Never add a thread, nor a library that starts one. */
#ifndef MYDOCKER_SHIM_H
#define MYDOCKER_SHIM_H

#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#define SETUP_FAILED 125

/* ---- plan.c: the parsed plan ------------------------------------------- */

/* A lifecycle record is a step of a later runtime command (lifecycle.c), never of a container's plan. */
enum executor { RUN_BY_MONITOR, RUN_BY_CHILD, RUN_BY_LIFECYCLE };

struct record;
struct child_state;
struct sock_filter;
typedef int (*step_fn)(const struct record *r, struct child_state *st);

struct opdef {
  const char *name;
  enum executor executor;
  /* One letter per argument: 's' string, 'n' number, 'i' uid or gid; a final upper-case
   * letter repeats that type zero or more times. */
  const char *args;
  step_fn run; /* child records only */
};

struct record {
  int index;
  const struct opdef *def;
  int nargs;
  char **args;             /* nargs + 1 entries, NULL-terminated (exec uses it as argv) */
  unsigned long long *num; /* the value of each numeric argument */
  gid_t *gids;             /* `user`: the additional gids, parsed before clone */
  struct sock_filter *filter; /* `seccomp`: the BPF program, unpacked before clone */
};

struct plan {
  struct record *recs;
  int nrecs;
  /* monitor settings */
  const struct record *clone, *userns, *pidns, *clonecgroup, *log, *drain, *pidfile, *exitfile, *exitcmd, *attach, *restart, *restartcmd, *consolesocket, *health;
  const struct record *preservefds;
  const struct record *forwarding; /* the forwarder's limits; with publish records only */
  const struct record **publish; /* the published ports, npublish of them */
  int npublish;
  bool sync, tty, detach, stdinpipe, handoff;
  bool execfifo; /* the child waits on an exec FIFO (create) */
  sigset_t forward;
  /* child settings, prepared before clone so the child never allocates */
  char **envp;
  const struct record *exec;
};

/* Parses LEN bytes of plan; on failure reports the record and returns -1. */
int plan_parse(struct plan *p, char *buf, size_t len);
/* The records of LEN bytes, each checked against its definition only; on failure reports
 * the record and returns -1. */
int records_parse(struct record **recs, int *nrecs, char *buf, size_t len);

/* ---- lifecycle.c: `--lifecycle FILE`, a runtime command compiled beforehand ------- */

/* Exit status of a lifecycle plan whose step found the container not as the plan expects:
 * nothing was changed that the runtime's own command would not change again. */
#define LIFECYCLE_DECLINED 3
int run_lifecycle(char *buf, size_t len, bool check_only);

/* ---- report.c: the control socket and error messages ---------------------- */

/* Sets up fd 3 as the control socket; REQUIRED says a missing fd 3 is an error. */
int control_init(bool required);
bool control_present(void);
/* The child's copy of the control socket: closed at once, so that the caller sees the
 * socket's end when the monitor ends (handoff), not when the child execs. */
void control_close_in_child(void);
void control_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reads one line (without '\n') into BUF; returns its length, or -1 on EOF/error. */
ssize_t control_read_line(char *buf, size_t size);
/* Reads exactly LEN bytes from the control socket. */
int control_read_exact(char *buf, size_t len);
/* `mydocker-shim: STEP OP: strerror (errno N): detail` on stderr, `error ...` on fd 3. */
void report_error(int step, const char *op, int err, const char *detail);

/* ---- init.c: `mydocker-init -- CMD...`, PID 1 for run --init ----------------- */

int run_init(int argc, char **argv);

/* ---- monitor.c ------------------------------------------------------------ */

/* clone.c: the child's birth. Returns its pid (0 in the child) or -1; with CGROUP_FD (a
 * cgroup2 directory) it is born in that cgroup, unless clone3 is refused: then *MOVE says
 * the caller must move it (clone_move_into_cgroup) before it may go. */
pid_t clone_child(unsigned long long flags, int cgroup_fd, bool *move);
int clone_move_into_cgroup(int cgroup_fd, pid_t pid);

int run_monitor(struct plan *p);

/* handoff.c: connects to PATH and sends FD over it (SCM_RIGHTS) with a non-empty payload,
 * as runc's --console-socket contract has it. */
int send_to_console_socket(const char *path, int fd);

/* ---- child.c: the container's init before exec ----------------------------- */

/* The channel between monitor and child: a SOCK_SEQPACKET socketpair. */
enum child_msg_kind { MSG_READY = 1, MSG_ERROR, MSG_TTY, MSG_PAUSE };
struct child_msg {
  int kind;
  int step;
  int err;
  char detail[PATH_MAX + 256];
};

struct child_state {
  const struct plan *plan;
  int chan;
  int fifo_fd;
  int hostexec_fd; /* exec runs this file instead of searching ARGV0 (hostexec) */
  bool restarted;
  char detail[PATH_MAX + 256];
};

struct child_fds {
  int chan;
  int out_w, err_w; /* log pipes for stdout/stderr, or -1 */
  int in_r;         /* the stdin pipe (stdinpipe), or -1 */
};

extern sigset_t shim_original_mask;

/* RESTARTED: a later run of the same plan (restart): there is no exec FIFO to wait on. */
void child_main(const struct plan *p, const struct child_fds *fds, bool restarted) __attribute__((noreturn));
/* Sends a message (and optionally an fd by SCM_RIGHTS) on the channel. */
int chan_send(int chan, const struct child_msg *m, int fd);
/* Receives a message; *fd gets a passed fd or -1. Returns bytes, 0 on EOF, -1 on error. */
ssize_t chan_recv(int chan, struct child_msg *m, int *fd);
/* Sets PR_SET_PDEATHSIG and exits if the monitor is already gone. */
void child_bind_to_monitor(int chan);

/* child steps: each returns 0, or -1 with errno set and st->detail filled */
int step_setns(const struct record *r, struct child_state *st);
int step_cgroupjoin(const struct record *r, struct child_state *st);
int step_unshare(const struct record *r, struct child_state *st);
int step_mount(const struct record *r, struct child_state *st);
int step_bindfrom(const struct record *r, struct child_state *st);
/* overlay.c */
int step_overlay(const struct record *r, struct child_state *st);
int step_mknod(const struct record *r, struct child_state *st);
int step_symlink(const struct record *r, struct child_state *st);
int step_pivot_root(const struct record *r, struct child_state *st);
int step_chroot(const struct record *r, struct child_state *st);
int step_mask(const struct record *r, struct child_state *st);
int step_readonly(const struct record *r, struct child_state *st);
int step_loopback(const struct record *r, struct child_state *st);
int step_hostname(const struct record *r, struct child_state *st);
int step_domainname(const struct record *r, struct child_state *st);
int step_sysctl(const struct record *r, struct child_state *st);
int step_oomscoreadj(const struct record *r, struct child_state *st);
int step_rlimit(const struct record *r, struct child_state *st);
int step_setsid(const struct record *r, struct child_state *st);
int step_console(const struct record *r, struct child_state *st);
int step_execfifo(const struct record *r, struct child_state *st);
int step_bounding(const struct record *r, struct child_state *st);
int step_user(const struct record *r, struct child_state *st);
int step_caps(const struct record *r, struct child_state *st);
int step_nonewprivs(const struct record *r, struct child_state *st);
int step_keyring(const struct record *r, struct child_state *st);
int step_seccomp(const struct record *r, struct child_state *st);
/* seccomp.c: unpacks a `seccomp` record into r->filter (before clone); -1 if malformed. */
int seccomp_prepare(struct record *r);
int step_umask(const struct record *r, struct child_state *st);
int step_chdir(const struct record *r, struct child_state *st);
int step_env(const struct record *r, struct child_state *st);
int step_hostexec(const struct record *r, struct child_state *st);
int step_exec(const struct record *r, struct child_state *st);
/* consolesize.c */
int step_consolesize(const struct record *r, struct child_state *st);
/* timens.c */
int step_timens(const struct record *r, struct child_state *st);
int step_apparmor(const struct record *r, struct child_state *st);
/* hookpause.c */
int step_hookpause(const struct record *r, struct child_state *st);

/* ---- logwriter.c: CRI log files --------------------------------------------- */

/* The most files a log keeps (PATH and PATH.1 .. PATH.999). */
#define LOG_MAX_FILES 1000

struct logwriter {
  const char *path;
  char *from, *to; /* room for PATH.N, to rename PATH.N-1 to PATH.N */
  int fd;
  unsigned long long max;
  unsigned max_files; /* PATH and up to MAXFILES-1 rotated ones; 1: PATH starts over */
  unsigned long long size;
  bool failed;
  size_t line_max; /* a longer line is split into partial ones (the plan's LINEMAX) */
  char *record;    /* room for one record: a line and its header */
};

struct linebuf {
  const char *stream; /* "stdout" or "stderr" */
  size_t len;
  char *buf; /* line_max bytes */
};

int log_open(struct logwriter *lw, const char *path, unsigned long long max, unsigned max_files, size_t line_max);
int linebuf_init(struct linebuf *lb, const char *stream, size_t line_max);
/* Appends DATA to the stream's pending line, writing each full line as `F`
 * and a line that outgrows the buffer as `P`. */
void log_feed(struct logwriter *lw, struct linebuf *lb, const char *data, size_t n);
/* At the end of a stream: writes what is left of the last line as `P`. */
void log_finish(struct logwriter *lw, struct linebuf *lb);

/* ---- health.c: the health check the monitor runs on its timer ---------------- */

#define HEALTH_LOG 5           /* results kept, as docker's State.Health.Log */
#define HEALTH_OUTPUT_MAX 4096 /* bytes of a check's output kept, as docker */

struct health_result {
  long long start, end; /* Unix nanoseconds */
  int code;             /* the check's exit status; -1 when it ran out of time */
  size_t len;
  char output[HEALTH_OUTPUT_MAX];
};

struct health {
  const struct record *r; /* NULL: no check */
  int timer;              /* timerfd: the next check, or the running one's deadline */
  pid_t child;            /* the container's init, whose /proc entry the check starts in */
  pid_t checker;          /* the running check's own monitor; -1: none */
  int out;                /* its output; -1: none */
  bool timed_out;
  long long run_started, check_started;
  unsigned status, streak;
  size_t len;
  char output[HEALTH_OUTPUT_MAX];
  struct health_result results[HEALTH_LOG];
  unsigned first, nresults;
};

int health_init(struct health *h, const struct record *r);
/* A run of the container exec'd its process: status starting, the first check after the interval. */
void health_start(struct health *h, pid_t child, long long started_nanos);
/* The two pollfds the loop watches: the timer and the running check's output. */
void health_pollfds(const struct health *h, struct pollfd *fds);
void health_handle(struct health *h, const struct pollfd *fds);
void health_timer(struct health *h);
/* Whether PID was the check's (then its result is recorded). */
bool health_reaped(struct health *h, pid_t pid, int status);
/* The container ended: no more checks, a running one is killed. */
void health_stop(struct health *h);

/* ---- forward.c: published ports, forwarded to the container (docker-proxy's job) ------ */

/* One direction of a TCP connection: the bytes spliced from its source into the pipe and
 * not yet out of it to the other side. */
struct fwd_pipe {
  int r, w;
  size_t len;
  bool full; /* the pipe took no more (its slots hold less than its size in bytes) */
  bool eof;  /* the source said EOF */
  bool shut; /* ... and, everything passed on, the other side was shut down for writing */
};

struct fwd_conn {
  int fd[2]; /* the client's socket, the container's */
  bool connecting;
  struct fwd_pipe dir[2]; /* dir[0]: client to container, dir[1]: back */
};

struct fwd_flow {
  int fd; /* connected to the container's port */
  int listener;
  struct sockaddr_in peer;
  struct in_addr local;   /* the address the client sent to (IP_PKTINFO): the replies' source */
  long long last;         /* CLOCK_MONOTONIC ns of the last datagram either way */
  int older, newer;       /* the flows in order of use (-1 ends): the oldest is dropped first */
  int hnext;              /* the next flow in its hash bucket, plus 1; 0 ends */
};

/* The slots of a table in use and free, each found in O(1): order[0..n) are in use,
 * order[n..fresh) free, the slots from fresh on never used yet; pos[i] is slot i's place in order. */
struct fwd_set {
  int *order, *pos;
  int n, fresh;
  int limit; /* the table's size */
};

struct fwd_listener {
  int fd;
  bool udp;
  struct sockaddr_in to;
};

/* What each of the pollfds the forwarder adds is. */
struct fwd_slot {
  int kind; /* FWD_LISTENER, FWD_TIMER, FWD_CONN, FWD_FLOW */
  int index;
  int side; /* FWD_CONN: 0 the client, 1 the container */
};

struct forwarder {
  int nlisteners;
  struct fwd_listener *listeners;
  bool tcp, udp; /* some listener is */
  const struct record *forwarding;
  struct fwd_conn *conns;
  struct fwd_set connset;
  struct fwd_flow *flows;
  struct fwd_set flowset;
  int oldest, newest; /* the flows in order of use */
  int *buckets;       /* the flows by client address: bucket_mask + 1 chains, each its first flow plus 1 (0: empty) */
  unsigned bucket_mask;
  unsigned bucket_bits; /* bucket_mask + 1 == 1 << bucket_bits */
  uint64_t hash_key;
  long long idle_ns;
  long long fd_overhead; /* the fds that are not the forwarder's to use: RLIMIT_NOFILE less these is its budget */
  int timer;             /* timerfd: the next UDP flow to expire, or the listeners' retry; -1 without publish */
  long long armed;       /* when the timer is armed for (CLOCK_MONOTONIC ns); 0: not armed */
  bool timer_failed;     /* arming it failed once (said once) */
  long long retry_at;    /* out of fds: when the listeners try again; 0: no retry due */
  long long now;
  bool accept_paused;    /* no slot or no fd for another connection: the TCP listeners wait */
  bool suspended;        /* the poll set could not hold even the listeners: not polled until retry_at */
  bool shed_said;        /* a lowered RLIMIT_NOFILE was said (once) */
  struct fwd_slot *slots;
  unsigned char *datagram;
  /* The loop's poll set (forward_poll): the monitor's pollfds packed (fd -1 left out), then the forwarder's. */
  struct pollfd *packed;
  size_t *from; /* the monitor's pollfd each packed one is */
  struct pollfd *polled; /* the forwarder's part of packed, npolled of them */
  size_t npolled;
};

/* Binds and listens on every published port, before the container exists, and sizes the
 * tables to the plan's bounds and to the fds RLIMIT_NOFILE leaves (NFIXED: the monitor's
 * own pollfds, the most forward_poll is given). On failure returns -1 with errno set and
 * *FAILED the record (all allocation happens here). */
int forward_init(struct forwarder *f, const struct plan *p, size_t nfixed, const struct record **failed);
/* poll(2) of the NFIXED pollfds FIXED (fd -1: not watched; their revents set as poll sets
 * them) and the forwarder's own. The set passed to poll has no fd -1 and never outgrows
 * RLIMIT_NOFILE because of the forwarder: should the limit be lowered under it (EINVAL),
 * connections and flows are closed until it fits (or the forwarder waits). Returns poll's result. */
int forward_poll(struct forwarder *f, struct pollfd *fixed, size_t nfixed, int timeout);
/* Handles the forwarder's part of the last forward_poll. */
void forward_handle(struct forwarder *f);
/* The container ended for good: every listener, connection and flow closed. */
void forward_close(struct forwarder *f);

/* ---- restartcmd.c: the command that tells the engine of each restart ------------- */

#define RESTARTCMD_QUEUE 16

struct restart_note {
  bool started;             /* the next run began (at TIME); else a run ended with CODE at TIME, to be run again */
  int code;                 /* 128+N for signal N */
  long long time;           /* Unix ns */
};

struct restartcmd {
  const struct record *r; /* NULL: none */
  pid_t pid;              /* the running command; -1: none */
  int queued;
  struct restart_note queue[RESTARTCMD_QUEUE];
};

/* A run ended and will be run again, or the next run began: the command (`die CODE TIME` or
 * `start TIME` appended) runs now, or after the ones before it. */
void restartcmd_died(struct restartcmd *rc, int code, long long finished);
void restartcmd_started(struct restartcmd *rc, long long started);
/* Whether PID was the running command (the next queued one then starts). */
bool restartcmd_reaped(struct restartcmd *rc, pid_t pid);
/* The container ended: every queued command is run and waited for, in order. */
void restartcmd_finish(struct restartcmd *rc);

/* ---- proxy.c: the container's stdio through the monitor (pty, log pipes) -- */

struct attach_client {
  int fd; /* -1: a free slot */
  unsigned char hdr[5];
  size_t hdr_len;
  int type;
  uint32_t remaining; /* bytes of the current frame still to come */
  size_t got;
  unsigned char small[4]; /* a resize frame's payload */
  unsigned char in[4096]; /* read from the client, not yet handled (waiting for room in stdin) */
  size_t in_len, in_off;
  char *out; /* frames of output the client has not taken yet */
  size_t out_len, out_off, out_cap;
};

struct proxy {
  bool tee;      /* also copy the output to our own stdout/stderr */
  bool attached; /* the caller's terminal may be put in raw mode */
  int master;    /* pty master, -1 without tty */
  bool stdin_open;
  char in[4096];
  size_t in_len, in_off;
  int out_r[2]; /* log pipes for stdout/stderr, -1 when closed or unused */
  bool logging;
  struct logwriter log;
  struct linebuf lines[2];
  struct termios saved_tio;
  bool tio_saved;
  int drain_ms; /* after the exit, how long output may pause before the rest is given up */
  /* attach.c (the plan's `attach` record) */
  int listen_fd; /* the attach socket, -1 without */
  struct attach_client *clients;
  int max_clients;
  size_t backlog_max; /* a client further behind than this many bytes is dropped */
  int flush_ms;       /* at the end, how long the clients get to take what is queued */
  bool accept_paused; /* out of fds: the socket waits until a client leaves */
  int stdin_w;        /* the write end of the container's stdin pipe (stdinpipe), -1 without */
  bool attach_input;  /* attach clients may write to the container's stdin */
  bool input_blocked; /* a client's input waits for room in the container's stdin */
  bool eof_pending;   /* a close frame's ^D waits for room in the pty */
};

/* The pollfds proxy_pollfds fills: the pty, our stdin, two log pipes, the stdin pipe, attach. */
#define PROXY_OWN_POLLFDS 5
size_t proxy_npollfds(const struct proxy *io);
void proxy_init(struct proxy *io, bool attached, int drain_ms);
int proxy_open_log(struct proxy *io, const char *path, unsigned long long max, unsigned max_files, size_t line_max);
/* For each run: with PIPES, the pipes the child's stdout/stderr become (to the log). */
int proxy_open_pipes(struct proxy *io, bool pipes, struct child_fds *fds);
/* For each run with stdinpipe: the child's stdin for attach clients (with a tty, the pty). */
int proxy_open_stdin(struct proxy *io, bool tty, struct child_fds *fds);
/* In the child: drops the monitor's ends of the pipes. */
void proxy_close_monitor_ends(struct proxy *io);
/* In the monitor after clone: drops the child's ends. */
void proxy_close_child_ends(struct child_fds *fds);
/* Takes the pty master from the child: sizes it, and makes our terminal raw. */
void proxy_take_master(struct proxy *io, int fd);
/* Copies the window size of our stdin (if a terminal) to the pty. */
void proxy_winsize(const struct proxy *io);
/* Stops copying output to our stdout/stderr (a detached monitor lets go of them). */
void proxy_detach(struct proxy *io);
void proxy_pollfds(const struct proxy *io, struct pollfd *fds);
void proxy_handle(struct proxy *io, const struct pollfd *fds);
/* After the child exited: copies what is left, then closes everything. */
void proxy_drain(struct proxy *io);
void proxy_restore_terminal(struct proxy *io);

/* ---- attach.c: the attach socket ---------------------------------------------- */

int attach_listen(struct proxy *io, const char *path, int max_clients, size_t backlog_max, int flush_ms);
/* Queues a chunk of output for every client (a client too far behind is dropped). */
void attach_broadcast(struct proxy *io, int stream, const char *buf, size_t n);
/* 1 + max_clients pollfds: the socket and each client. */
size_t attach_npollfds(const struct proxy *io);
void attach_pollfds(const struct proxy *io, struct pollfd *fds);
void attach_handle(struct proxy *io, const struct pollfd *fds);
/* The container's stdin has room again: blocked input goes on. */
void attach_stdin_room(struct proxy *io);
/* At the end: what is queued goes out (for up to flush_ms), then the clients see EOF;
 * the socket and the stdin pipe are closed. */
void attach_close(struct proxy *io);

/* ---- main.c, serve.c: where a plan comes from ------------------------------- */

/* Reads the framed plan from the control socket and runs it. */
int run_from_control(void);

/* ---- preserve.c: the caller's fds a plan passes on (`preservefds`) ------------ */

#define PRESERVE_FDS_MAX 1024
/* The number of fds the plan preserves (at FIRST_PRESERVED_FD on). */
unsigned int preserved_fds(const struct plan *p);
#define FIRST_PRESERVED_FD 4
/* Closes every inherited fd from FIRST on but the preserved ones, which become CLOEXEC
 * (the monitor keeps them for the child only). */
int close_strays(const struct plan *p, unsigned int first);
/* In the child just before exec: the preserved fds become 3..3+N-1 (not CLOEXEC); the
 * child's own fds in that range move above it first. */
int place_preserved_fds(struct child_state *st);
/* The launcher (ARGV: shim --serve NAME): forks a shim for each connection from the caller to the abstract socket NAME. */
int serve(char **argv);

/* ---- util.c ----------------------------------------------------------------- */

/* write(2) all of BUF, retrying on EINTR and short writes. */
/* Joins the namespace of type nstype that path names (a /proc/PID/ns file or a bind of one). */
int setns_path(const char *path, int nstype);
int write_all(int fd, const void *buf, size_t len);
/* One sendmsg(2) of PAYLOAD on SOCK, with FD passed along (SCM_RIGHTS) unless it is -1. */
int send_fd(int sock, int fd, const void *payload, size_t len);
/* Writes DATA to PATH via PATH.tmp + rename. */
int write_file_atomic(const char *path, const char *data, size_t len);
/* The two halves of it: PATH.tmp created (the slow part on a journaling filesystem, so it
 * can be done ahead), then DATA written into FD and renamed to PATH. */
int atomic_open(const char *path);
int atomic_commit(int fd, const char *path, const char *data, size_t len);
/* Reads S as a plan number: decimal digits without sign or leading zero, at most MAX.
 * Returns 0, or -1 with errno EINVAL (not such a number) or ERANGE (above MAX). */
int parse_decimal(const char *s, unsigned long long max, unsigned long long *out);
/* glibc's posix_spawn (myrunc spawns the shim with it, src/util/fsat.ts) leaves the child
 * ignoring glibc's internal signals 32 and 33, out of POSIX_SPAWN_SETSIGDEF's reach, and an
 * ignored signal stays ignored across exec: every process of the container would inherit
 * that. Restores their default where they are ignored; -1 (reported) on failure. */
int unignore_libc_signals(void);
/* Copies SRC into DST (size SIZE), replacing newlines so it fits in one protocol line. */
void one_line(char *dst, size_t size, const char *src);

#endif
