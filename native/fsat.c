/*
 * fsat.node: the few *at syscalls Node has no API for, as an N-API addon, so that
 * TypeScript can work inside an untrusted tree through directory fds (image extraction,
 * the commit/export walk). Primitive syscalls only: TypeScript decides what to do.
 * Failures throw errors shaped like Node's own (code, errno, syscall, path), so callers
 * test them the same way as fs errors. Also one malloc setting Node has no API for either
 * (mallopt M_MMAP_THRESHOLD, for streams of large buffers: src/util/stream-memory.ts), and
 * a flock that does not wait (the host's netavark lock taken shared: src/network/netavark.ts),
 * and many small files read at once by a few threads (stats and ps of a thousand containers
 * read thousands of cgroupfs, /proc and state files: src/util/fsat.ts readFiles), and for
 * myrunc's command line, run several times per container: an _exit once it is through
 * (src/oci-cli/snapshot.ts) and the shim spawned without a fork (src/runtime/shim.ts), as
 * netavark is by a daemon (src/network/netavark.ts); and
 * the "top of a hierarchy" inode flag (src/util/spread-dirs.ts).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <malloc.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_STR 4096
/* The kernel's own limits (XATTR_SIZE_MAX, XATTR_LIST_MAX). */
#define XATTR_VALUE_MAX 65536
#define XATTR_NAMES_MAX 65536

/* Throws a Node-style error for errno err; always returns NULL for the caller to return. */
static napi_value throw_errno(napi_env env, int err, const char *syscall_name, const char *path) {
  const char *code = strerrorname_np(err);
  char msg[MAX_STR + 256];
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", code ? code : "EUNKNOWN", strerror(err), syscall_name, path ? path : "");
  napi_value jmsg, jcode, error, jerrno, jsys, jpath;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg) != napi_ok ||
      napi_create_string_utf8(env, code ? code : "EUNKNOWN", NAPI_AUTO_LENGTH, &jcode) != napi_ok ||
      napi_create_error(env, jcode, jmsg, &error) != napi_ok)
    return NULL;
  /* Node reports errno negated (libuv's convention); do the same. */
  if (napi_create_int32(env, -err, &jerrno) == napi_ok) napi_set_named_property(env, error, "errno", jerrno);
  if (napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &jsys) == napi_ok)
    napi_set_named_property(env, error, "syscall", jsys);
  if (path && napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &jpath) == napi_ok)
    napi_set_named_property(env, error, "path", jpath);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  if (argc < want) {
    throw_type(env, "missing arguments");
    return -1;
  }
  return 0;
}

static int get_i32(napi_env env, napi_value v, int32_t *out, const char *what) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a number", what);
    throw_type(env, msg);
    return -1;
  }
  return 0;
}

static int get_i64(napi_env env, napi_value v, int64_t *out, const char *what) {
  if (napi_get_value_int64(env, v, out) != napi_ok || *out < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a non-negative number", what);
    throw_type(env, msg);
    return -1;
  }
  return 0;
}

/* Copies a JS string into buf; refuses one longer than buf or holding a NUL byte. */
static int get_str(napi_env env, napi_value v, char *buf, size_t size, const char *what) {
  size_t len;
  char msg[128];
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) {
    snprintf(msg, sizeof msg, "%s must be a string", what);
    throw_type(env, msg);
    return -1;
  }
  if (len + 1 >= size || strlen(buf) != len) {
    snprintf(msg, sizeof msg, "%s is too long or holds a NUL byte", what);
    throw_type(env, msg);
    return -1;
  }
  return 0;
}

/* A name is one path component: "" (the directory itself) is the caller's to allow. */
static int one_component(napi_env env, const char *name, const char *syscall_name) {
  if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return throw_errno(env, EINVAL, syscall_name, name), -1;
  return 0;
}

/* The path that reaches name in dirfd without following name itself if it is a symlink. */
static int fd_path(napi_env env, int32_t dirfd, const char *name, char *out, size_t size, const char *syscall_name) {
  if (one_component(env, name, syscall_name) < 0) return -1;
  int n = snprintf(out, size, "/proc/self/fd/%d/%s", dirfd, name);
  if (n < 0 || (size_t)n >= size) return throw_errno(env, ENAMETOOLONG, syscall_name, name), -1;
  return 0;
}

static napi_value fs_openat2(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t dirfd, flags;
  int64_t mode, resolve;
  char path[MAX_STR];
  if (get_args(env, info, 5, argv) < 0 || get_i32(env, argv[0], &dirfd, "dirfd") < 0 ||
      get_str(env, argv[1], path, sizeof path, "path") < 0 || get_i32(env, argv[2], &flags, "flags") < 0 ||
      get_i64(env, argv[3], &mode, "mode") < 0 || get_i64(env, argv[4], &resolve, "resolve") < 0)
    return NULL;
  struct open_how how = {.flags = (uint64_t)(uint32_t)flags | O_CLOEXEC, .mode = (uint64_t)mode, .resolve = (uint64_t)resolve};
  /* openat2 has no O_CREAT-less mode: the kernel refuses a mode without O_CREAT/O_TMPFILE. */
  if (!(flags & O_CREAT) && (flags & O_TMPFILE) != O_TMPFILE) how.mode = 0;
  long fd;
  do fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return throw_errno(env, errno, "openat2", path);
  napi_value out;
  napi_create_int32(env, (int32_t)fd, &out);
  return out;
}

static napi_value fs_mknodat(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t dirfd;
  int64_t mode, major, minor;
  char name[MAX_STR];
  if (get_args(env, info, 5, argv) < 0 || get_i32(env, argv[0], &dirfd, "dirfd") < 0 ||
      get_str(env, argv[1], name, sizeof name, "name") < 0 || get_i64(env, argv[2], &mode, "mode") < 0 ||
      get_i64(env, argv[3], &major, "major") < 0 || get_i64(env, argv[4], &minor, "minor") < 0)
    return NULL;
  if (name[0] == '\0') return throw_errno(env, EINVAL, "mknodat", name);
  if (one_component(env, name, "mknodat") < 0) return NULL;
  if (mknodat(dirfd, name, (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) < 0)
    return throw_errno(env, errno, "mknodat", name);
  return NULL;
}

static napi_value fs_lsetxattrat(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t dirfd;
  char name[MAX_STR], xname[MAX_STR], path[MAX_STR + 64];
  void *value;
  size_t len;
  bool is_buffer;
  if (get_args(env, info, 4, argv) < 0 || get_i32(env, argv[0], &dirfd, "dirfd") < 0 ||
      get_str(env, argv[1], name, sizeof name, "name") < 0 || get_str(env, argv[2], xname, sizeof xname, "xattr name") < 0)
    return NULL;
  if (napi_is_buffer(env, argv[3], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[3], &value, &len) != napi_ok)
    return throw_type(env, "value must be a Buffer");
  int r;
  if (name[0] == '\0') {
    r = fsetxattr(dirfd, xname, value, len, 0);
  } else {
    if (fd_path(env, dirfd, name, path, sizeof path, "lsetxattr") < 0) return NULL;
    r = lsetxattr(path, xname, value, len, 0);
  }
  if (r < 0) return throw_errno(env, errno, name[0] ? "lsetxattr" : "fsetxattr", name);
  return NULL;
}

static napi_value fs_llistxattrat(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t dirfd;
  char name[MAX_STR], path[MAX_STR + 64];
  if (get_args(env, info, 2, argv) < 0 || get_i32(env, argv[0], &dirfd, "dirfd") < 0 ||
      get_str(env, argv[1], name, sizeof name, "name") < 0)
    return NULL;
  if (name[0] != '\0' && fd_path(env, dirfd, name, path, sizeof path, "llistxattr") < 0) return NULL;
  char *list = malloc(XATTR_NAMES_MAX);
  if (!list) return throw_errno(env, ENOMEM, "llistxattr", name);
  ssize_t n = name[0] ? llistxattr(path, list, XATTR_NAMES_MAX) : flistxattr(dirfd, list, XATTR_NAMES_MAX);
  if (n < 0) {
    int err = errno;
    free(list);
    return throw_errno(env, err, name[0] ? "llistxattr" : "flistxattr", name);
  }
  napi_value out;
  napi_create_array(env, &out);
  uint32_t i = 0;
  for (ssize_t off = 0; off < n;) {
    size_t len = strnlen(list + off, (size_t)(n - off));
    napi_value s;
    if (len > 0 && napi_create_string_utf8(env, list + off, len, &s) == napi_ok) napi_set_element(env, out, i++, s);
    off += (ssize_t)len + 1;
  }
  free(list);
  return out;
}

static napi_value fs_lgetxattrat(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t dirfd;
  char name[MAX_STR], xname[MAX_STR], path[MAX_STR + 64];
  if (get_args(env, info, 3, argv) < 0 || get_i32(env, argv[0], &dirfd, "dirfd") < 0 ||
      get_str(env, argv[1], name, sizeof name, "name") < 0 || get_str(env, argv[2], xname, sizeof xname, "xattr name") < 0)
    return NULL;
  if (name[0] != '\0' && fd_path(env, dirfd, name, path, sizeof path, "lgetxattr") < 0) return NULL;
  char *value = malloc(XATTR_VALUE_MAX);
  if (!value) return throw_errno(env, ENOMEM, "lgetxattr", name);
  ssize_t n = name[0] ? lgetxattr(path, xname, value, XATTR_VALUE_MAX) : fgetxattr(dirfd, xname, value, XATTR_VALUE_MAX);
  if (n < 0) {
    int err = errno;
    free(value);
    return throw_errno(env, err, name[0] ? "lgetxattr" : "fgetxattr", name);
  }
  napi_value out;
  void *data;
  napi_status st = napi_create_buffer_copy(env, (size_t)n, value, &data, &out);
  free(value);
  if (st != napi_ok) return throw_errno(env, ENOMEM, "lgetxattr", name);
  return out;
}

/*
 * flockShared(fd): flock(fd, LOCK_SH | LOCK_NB); true when taken, false when someone holds
 * the lock alone (EWOULDBLOCK: the caller waits some other way, never on Node's thread).
 */
static napi_value fs_flock_shared(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (get_args(env, info, 1, argv) < 0 || get_i32(env, argv[0], &fd, "fd") < 0) return NULL;
  int rc;
  while ((rc = flock(fd, LOCK_SH | LOCK_NB)) < 0 && errno == EINTR) {
  }
  if (rc < 0 && errno != EWOULDBLOCK) return throw_errno(env, errno, "flock", "");
  napi_value out;
  napi_get_boolean(env, rc == 0, &out);
  return out;
}

/*
 * spreadSubdirs(fd): sets FS_TOPDIR_FL on the directory fd (chattr +T) unless it is set;
 * false when its file system has no such flag (ENOTTY, EOPNOTSUPP, EINVAL).
 */
static napi_value fs_spread_subdirs(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (get_args(env, info, 1, argv) < 0 || get_i32(env, argv[0], &fd, "fd") < 0) return NULL;
  int flags = 0;
  bool ok = true;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) {
    if (errno != ENOTTY && errno != EOPNOTSUPP && errno != EINVAL) return throw_errno(env, errno, "ioctl FS_IOC_GETFLAGS", "");
    ok = false;
  } else if (!(flags & FS_TOPDIR_FL)) {
    flags |= FS_TOPDIR_FL;
    if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0) {
      if (errno != ENOTTY && errno != EOPNOTSUPP && errno != EINVAL) return throw_errno(env, errno, "ioctl FS_IOC_SETFLAGS", "");
      ok = false;
    }
  }
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

/*
 * mmapThreshold(bytes): mallopt M_MMAP_THRESHOLD (which also ends glibc's raising of it)
 * and M_TRIM_THRESHOLD (raised along with it so far) to bytes.
 */
static napi_value mem_mmap_threshold(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t bytes;
  if (get_args(env, info, 1, argv) != 0) return NULL;
  if (napi_get_value_int64(env, argv[0], &bytes) != napi_ok || bytes <= 0 || bytes > INT32_MAX)
    return throw_type(env, "mmapThreshold(bytes): bytes must be a positive int32");
  /* mallopt sets no errno: it returns 0 for a value it refuses. */
  if (mallopt(M_MMAP_THRESHOLD, (int)bytes) != 1) return throw_errno(env, EINVAL, "mallopt", "M_MMAP_THRESHOLD");
  if (mallopt(M_TRIM_THRESHOLD, (int)bytes) != 1) return throw_errno(env, EINVAL, "mallopt", "M_TRIM_THRESHOLD");
  return NULL;
}

/* A file read whole is at most this long: the files read this way are a few kB. */
#define READ_FILE_MAX (4 << 20)
/* Fewer files than this are read by the calling thread alone: a thread costs more than it saves. */
#define READ_THREADS_FROM 64
#define READ_THREADS_MAX 4

struct read_job {
  char **paths;
  char **bufs;
  size_t *lens;
  int *errs;
  size_t n;
  size_t next;
};

static void read_one(const char *path, char **out, size_t *len, int *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *err = errno;
    return;
  }
  size_t cap = 4096, used = 0;
  char *buf = malloc(cap);
  if (!buf) *err = ENOMEM;
  while (*err == 0) {
    if (used == cap) {
      char *bigger = cap >= READ_FILE_MAX ? NULL : realloc(buf, cap * 2);
      if (!bigger) {
        *err = cap >= READ_FILE_MAX ? EFBIG : ENOMEM;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + used, cap - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) *err = errno;
    if (n <= 0) break;
    used += (size_t)n;
  }
  if (close(fd) != 0 && *err == 0) *err = errno;
  if (*err != 0) {
    free(buf);
    return;
  }
  *out = buf;
  *len = used;
}

static void *read_worker(void *arg) {
  struct read_job *job = arg;
  for (;;) {
    size_t i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
    if (i >= job->n) return NULL;
    read_one(job->paths[i], &job->bufs[i], &job->lens[i], &job->errs[i]);
  }
}

static void read_job_free(struct read_job *job) {
  for (size_t i = 0; i < job->n; i++) {
    if (job->paths) free(job->paths[i]);
    if (job->bufs) free(job->bufs[i]);
  }
  free(job->paths);
  free(job->bufs);
  free(job->lens);
  free(job->errs);
}

/* readFiles(paths): each file's content as a string, or its errno negated where it could not be read. */
static napi_value fs_read_files(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool is_array = false;
  uint32_t n = 0;
  if (get_args(env, info, 1, argv) < 0) return NULL;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &n) != napi_ok)
    return throw_type(env, "readFiles(paths): paths must be an array of strings");
  struct read_job job = {.n = n};
  size_t slots = n > 0 ? n : 1;
  job.paths = calloc(slots, sizeof *job.paths);
  job.bufs = calloc(slots, sizeof *job.bufs);
  job.lens = calloc(slots, sizeof *job.lens);
  job.errs = calloc(slots, sizeof *job.errs);
  if (!job.paths || !job.bufs || !job.lens || !job.errs) {
    read_job_free(&job);
    return throw_errno(env, ENOMEM, "calloc", "readFiles");
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
      read_job_free(&job);
      return throw_type(env, "readFiles(paths): paths must be an array of strings");
    }
    job.paths[i] = malloc(len + 1);
    if (!job.paths[i]) {
      read_job_free(&job);
      return throw_errno(env, ENOMEM, "malloc", "readFiles");
    }
    if (napi_get_value_string_utf8(env, v, job.paths[i], len + 1, &len) != napi_ok || strlen(job.paths[i]) != len) {
      read_job_free(&job);
      return throw_type(env, "readFiles(paths): a path holds a NUL byte");
    }
  }
  pthread_t threads[READ_THREADS_MAX - 1];
  int started = 0;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int extra = n < READ_THREADS_FROM ? 0 : (int)((cpus > READ_THREADS_MAX ? READ_THREADS_MAX : cpus > 1 ? cpus : 1) - 1);
  /* A thread that cannot start leaves its share to the others: the calling thread reads too. */
  while (started < extra && pthread_create(&threads[started], NULL, read_worker, &job) == 0) started++;
  read_worker(&job);
  for (int t = 0; t < started; t++) pthread_join(threads[t], NULL);
  napi_value out;
  if (napi_create_array_with_length(env, n, &out) != napi_ok) {
    read_job_free(&job);
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_status st = job.errs[i] ? napi_create_int32(env, -job.errs[i], &v) : napi_create_string_utf8(env, job.bufs[i], job.lens[i], &v);
    if (st != napi_ok || napi_set_element(env, out, i, v) != napi_ok) {
      read_job_free(&job);
      return NULL;
    }
  }
  read_job_free(&job);
  return out;
}

/*
 * _exit(2) with the given status: the process ends here, without Node's teardown (its
 * threads woken and joined, its heap freed, its handles closed), which costs a short
 * command line (myrunc, run many times per container) milliseconds. Only for a caller
 * whose writes are all synchronous and that has nothing left to do.
 */
static napi_value proc_exit_now(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  int32_t status;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, arg, &status) != napi_ok)
    return throw_type(env, "exitNow(status): status must be a number");
  _exit(status & 0xff);
}

/* A spawned child's signals: none blocked, every one at its default (Node blocks and handles
 * some); flags: the caller's own. On failure attr is left destroyed. */
static int init_spawn_attr(posix_spawnattr_t *attr, short flags) {
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  int err = posix_spawnattr_init(attr);
  if (err) return err;
  if (!(err = posix_spawnattr_setsigmask(attr, &none)) && !(err = posix_spawnattr_setsigdefault(attr, &all)))
    err = posix_spawnattr_setflags(attr, flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (err) posix_spawnattr_destroy(attr);
  return err;
}

/*
 * spawnShim(path, stdin, output): the shim started as child_process.spawn starts it (its own
 * session, in "/", the caller's stdout and stderr or /dev/null, its stdin or /dev/null, no
 * signal blocked or handled) with one end of a socket pair at its fd 3, but without a fork: Node
 * forks itself for a spawn (the page tables of its heap copied, then copy-on-write faults
 * in both), where glibc's posix_spawn shares the memory until the exec. Returns
 * [pid, fd], fd our end of the socket (close-on-exec); reap() collects the child.
 */
static napi_value proc_spawn_shim(napi_env env, napi_callback_info info) {
  napi_value argv[3], out = NULL, jpid, jfd;
  char path[MAX_STR];
  bool with_stdin, with_output;
  if (get_args(env, info, 3, argv) < 0 || get_str(env, argv[0], path, sizeof path, "path") < 0) return NULL;
  if (napi_get_value_bool(env, argv[1], &with_stdin) != napi_ok) return throw_type(env, "stdin must be a boolean");
  if (napi_get_value_bool(env, argv[2], &with_output) != napi_ok) return throw_type(env, "output must be a boolean");
  /* Node keeps its own stdio close-on-exec: the child gets copies, dup2'd into place (which
     clears the flag), as the socket's end is (never fd 3 itself: a dup2 onto itself would not). */
  int sv[2] = {-1, -1}, fds[3] = {-1, -1, -1}, child = -1;
  const char *step = "socketpair";
  int err = 0;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  bool fa_made = false, attr_made = false;
  pid_t pid = -1;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    err = errno;
    goto done;
  }
  step = "fcntl";
  if ((child = fcntl(sv[1], F_DUPFD_CLOEXEC, 4)) < 0) {
    err = errno;
    goto done;
  }
  for (int i = 0; i < 3; i++) {
    if ((i == 0 && !with_stdin) || (i > 0 && !with_output)) continue;
    if ((fds[i] = fcntl(i, F_DUPFD_CLOEXEC, 4)) < 0) {
      err = errno;
      goto done;
    }
  }
  step = "posix_spawn";
  if ((err = posix_spawn_file_actions_init(&fa))) goto done;
  fa_made = true;
  if ((err = init_spawn_attr(&attr, POSIX_SPAWN_SETSID))) goto done;
  attr_made = true;
  for (int i = 0; i < 3 && !err; i++)
    err = fds[i] >= 0 ? posix_spawn_file_actions_adddup2(&fa, fds[i], i) : posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
  if (!err) err = posix_spawn_file_actions_adddup2(&fa, child, 3);
  if (!err) err = posix_spawn_file_actions_addchdir_np(&fa, "/");
  char *const args[] = {path, NULL};
  if (!err) err = posix_spawn(&pid, path, &fa, &attr, args, environ);
done:
  if (attr_made) posix_spawnattr_destroy(&attr);
  if (fa_made) posix_spawn_file_actions_destroy(&fa);
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0) close(fds[i]);
  if (child >= 0) close(child);
  if (sv[1] >= 0) close(sv[1]);
  if (err) {
    if (sv[0] >= 0) close(sv[0]);
    return throw_errno(env, err, step, path);
  }
  if (napi_create_array_with_length(env, 2, &out) != napi_ok || napi_create_int32(env, pid, &jpid) != napi_ok ||
      napi_create_int32(env, sv[0], &jfd) != napi_ok || napi_set_element(env, out, 0, jpid) != napi_ok ||
      napi_set_element(env, out, 1, jfd) != napi_ok)
    return NULL;
  return out;
}

/*
 * spawnPiped(file, argv, stdinFd): file run (posix_spawnp: looked up in PATH) with argv, no
 * fork of this process, in its session, signals unblocked and at their defaults; its stdin
 * is stdinFd, its stdout and stderr two pipes whose read ends (close-on-exec) come back:
 * [pid, stdoutFd, stderrFd]. Nothing reaps it but reap().
 */
static napi_value proc_spawn_piped(napi_env env, napi_callback_info info) {
  napi_value argv[3], out = NULL, v;
  char file[MAX_STR];
  int32_t in_fd;
  uint32_t argc;
  bool is_array;
  if (get_args(env, info, 3, argv) < 0 || get_str(env, argv[0], file, sizeof file, "file") < 0 || get_i32(env, argv[2], &in_fd, "stdinFd") < 0) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &argc) != napi_ok || argc == 0 || argc > 256)
    return throw_type(env, "argv must be an array of 1 to 256 strings");
  char **args = calloc(argc + 1, sizeof *args);
  if (!args) return throw_errno(env, ENOMEM, "calloc", file);
  int op[2] = {-1, -1}, ep[2] = {-1, -1}, err = 0;
  const char *step = "argv";
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  bool fa_made = false, attr_made = false, bad_arg = false;
  pid_t pid = -1;
  for (uint32_t i = 0; i < argc; i++) {
    size_t len;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || !(args[i] = malloc(len + 1)) ||
        napi_get_value_string_utf8(env, v, args[i], len + 1, &len) != napi_ok || strlen(args[i]) != len) {
      bad_arg = true;
      goto done;
    }
  }
  step = "pipe2";
  if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
    err = errno;
    goto done;
  }
  step = "posix_spawnp";
  if ((err = posix_spawn_file_actions_init(&fa))) goto done;
  fa_made = true;
  if ((err = init_spawn_attr(&attr, 0))) goto done;
  attr_made = true;
  /* dup2 clears close-on-exec on the copies; the originals close at exec. */
  err = posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
  if (!err) err = posix_spawn_file_actions_adddup2(&fa, op[1], 1);
  if (!err) err = posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
  if (!err) err = posix_spawnp(&pid, file, &fa, &attr, args, environ);
done:
  if (attr_made) posix_spawnattr_destroy(&attr);
  if (fa_made) posix_spawn_file_actions_destroy(&fa);
  for (uint32_t i = 0; i < argc; i++) free(args[i]);
  free(args);
  if (op[1] >= 0) close(op[1]);
  if (ep[1] >= 0) close(ep[1]);
  if (bad_arg || err) {
    if (op[0] >= 0) close(op[0]);
    if (ep[0] >= 0) close(ep[0]);
    return bad_arg ? throw_type(env, "argv must be an array of strings without NUL") : throw_errno(env, err, step, file);
  }
  napi_value jpid, jout, jerr;
  if (napi_create_array_with_length(env, 3, &out) != napi_ok || napi_create_int32(env, pid, &jpid) != napi_ok || napi_create_int32(env, op[0], &jout) != napi_ok ||
      napi_create_int32(env, ep[0], &jerr) != napi_ok || napi_set_element(env, out, 0, jpid) != napi_ok || napi_set_element(env, out, 1, jout) != napi_ok ||
      napi_set_element(env, out, 2, jerr) != napi_ok)
    return NULL;
  return out;
}

/* reap(pid): waitpid without waiting: [exit code (128+N if killed by N), signal], or null while it runs. */
static napi_value proc_reap(napi_env env, napi_callback_info info) {
  napi_value argv[1], out, jcode, jsig;
  int32_t pid;
  if (get_args(env, info, 1, argv) < 0 || get_i32(env, argv[0], &pid, "pid") < 0) return NULL;
  if (pid <= 0) return throw_type(env, "pid must be a positive number");
  int status;
  pid_t got = waitpid(pid, &status, WNOHANG);
  if (got < 0) return throw_errno(env, errno, "waitpid", NULL);
  if (got == 0) {
    napi_get_null(env, &out);
    return out;
  }
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  int code = sig ? 128 + sig : WEXITSTATUS(status);
  if (napi_create_array_with_length(env, 2, &out) != napi_ok || napi_create_int32(env, code, &jcode) != napi_ok ||
      napi_create_int32(env, sig, &jsig) != napi_ok || napi_set_element(env, out, 0, jcode) != napi_ok ||
      napi_set_element(env, out, 1, jsig) != napi_ok)
    return NULL;
  return out;
}

static void set_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok)
    napi_set_named_property(env, exports, name, fn);
}

static void set_const(napi_env env, napi_value exports, const char *name, int64_t value) {
  napi_value v;
  if (napi_create_int64(env, value, &v) == napi_ok) napi_set_named_property(env, exports, name, v);
}

static napi_value init(napi_env env, napi_value exports) {
  set_fn(env, exports, "openat2", fs_openat2);
  set_fn(env, exports, "mknodat", fs_mknodat);
  set_fn(env, exports, "lsetxattrat", fs_lsetxattrat);
  set_fn(env, exports, "llistxattrat", fs_llistxattrat);
  set_fn(env, exports, "lgetxattrat", fs_lgetxattrat);
  set_fn(env, exports, "mmapThreshold", mem_mmap_threshold);
  set_fn(env, exports, "flockShared", fs_flock_shared);
  set_fn(env, exports, "spreadSubdirs", fs_spread_subdirs);
  set_fn(env, exports, "readFiles", fs_read_files);
  set_fn(env, exports, "exitNow", proc_exit_now);
  set_fn(env, exports, "spawnShim", proc_spawn_shim);
  set_fn(env, exports, "reap", proc_reap);
  set_fn(env, exports, "spawnPiped", proc_spawn_piped);
  set_const(env, exports, "RESOLVE_NO_XDEV", RESOLVE_NO_XDEV);
  set_const(env, exports, "RESOLVE_NO_MAGICLINKS", RESOLVE_NO_MAGICLINKS);
  set_const(env, exports, "RESOLVE_NO_SYMLINKS", RESOLVE_NO_SYMLINKS);
  set_const(env, exports, "RESOLVE_BENEATH", RESOLVE_BENEATH);
  set_const(env, exports, "RESOLVE_IN_ROOT", RESOLVE_IN_ROOT);
  set_const(env, exports, "O_PATH", O_PATH);
  set_const(env, exports, "O_TMPFILE", O_TMPFILE);
  return exports;
}

NAPI_MODULE(fsat, init)
