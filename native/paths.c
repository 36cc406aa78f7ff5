/* Filesystem steps: mount, mknod, symlink, pivot_root, chroot, mask, readonly.
 * A ROOT+PATH pair is resolved with openat2(RESOLVE_IN_ROOT), so that a
 * symlink inside the rootfs cannot lead outside it; the mount then goes onto
 * /proc/self/fd/N of the resolved O_PATH fd. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "shim.h"

enum mkdir_mode { MK_NONE, MK_DIR, MK_FILE };

/* Where a ROOT+PATH is looked up: ROOT's fd with RESOLVE_IN_ROOT, or the
 * current root and directory when ROOT is empty. */
struct where {
  int dirfd;
  unsigned long long resolve;
};

/* The last ROOT opened, kept for the steps after it: every mount, device and link of a
 * container is under the same rootfs. A mount may cover it (one onto the rootfs itself,
 * or a spec's mount on /), and pivot_root or chroot change what paths mean: those drop it. */
static struct {
  char path[PATH_MAX];
  int fd;
} root_cache = {.fd = -1};

static void root_cache_drop(void) {
  if (root_cache.fd >= 0) close(root_cache.fd);
  root_cache.fd = -1;
}

static int where_open(struct where *w, const char *root) {
  if (root[0] == '\0') {
    *w = (struct where){.dirfd = AT_FDCWD, .resolve = 0};
    return 0;
  }
  w->resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (root_cache.fd >= 0 && strcmp(root_cache.path, root) == 0) {
    w->dirfd = root_cache.fd;
    return 0;
  }
  w->dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (w->dirfd < 0) return -1;
  if (strlen(root) < sizeof root_cache.path) {
    root_cache_drop();
    strcpy(root_cache.path, root);
    root_cache.fd = w->dirfd;
  }
  return 0;
}

static void where_close(struct where *w) {
  if (w->dirfd >= 0 && w->dirfd != root_cache.fd) close(w->dirfd);
}

static int open_at(const struct where *w, const char *path, unsigned long long flags) {
  struct open_how how = {.flags = flags | O_PATH | O_CLOEXEC, .resolve = w->resolve};
  return (int)syscall(SYS_openat2, w->dirfd, path, &how, sizeof how);
}

/* Splits PATH (copied into BUF) into its parent and last component. */
static int split(const char *path, char *buf, size_t size, const char **parent, const char **name) {
  if ((size_t)snprintf(buf, size, "%s", path) >= size) {
    errno = ENAMETOOLONG;
    return -1;
  }
  size_t len = strlen(buf);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash == NULL) {
    *parent = ".";
    *name = buf;
  } else if (slash == buf) {
    *parent = "/";
    *name = buf + 1;
  } else {
    *slash = '\0';
    *parent = buf;
    *name = slash + 1;
  }
  if (**name == '\0' || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

static int create_one(const struct where *w, const char *prefix, bool as_file) {
  char buf[PATH_MAX];
  const char *parent, *name;
  if (split(prefix, buf, sizeof buf, &parent, &name) != 0) return -1;
  int pfd = open_at(w, parent, O_DIRECTORY);
  if (pfd < 0) return -1;
  int rc;
  if (as_file) {
    rc = mknodat(pfd, name, S_IFREG | 0644, 0);
  } else {
    rc = mkdirat(pfd, name, 0755);
  }
  int saved = errno;
  close(pfd);
  if (rc != 0 && saved == EEXIST) return 0;
  errno = saved;
  return rc;
}

/* Creates each missing component of PATH: directories, and the last one as
 * MODE says. */
static int create_missing(const struct where *w, const char *path, enum mkdir_mode mode) {
  char prefix[PATH_MAX];
  if ((size_t)snprintf(prefix, sizeof prefix, "%s", path) >= sizeof prefix) {
    errno = ENAMETOOLONG;
    return -1;
  }
  size_t len = strlen(prefix);
  while (len > 1 && prefix[len - 1] == '/') prefix[--len] = '\0';
  for (size_t i = 1; i <= len; i++) {
    if ((prefix[i] != '/' && prefix[i] != '\0') || prefix[i - 1] == '/') continue;
    char saved = prefix[i];
    prefix[i] = '\0';
    int fd = open_at(w, prefix, 0);
    if (fd >= 0) {
      close(fd);
    } else if (errno != ENOENT || create_one(w, prefix, i == len && mode == MK_FILE) != 0) {
      return -1;
    }
    prefix[i] = saved;
  }
  return 0;
}

static enum mkdir_mode mkdir_mode(const char *s) {
  if (strcmp(s, "dir") == 0) return MK_DIR;
  if (strcmp(s, "file") == 0) return MK_FILE;
  return MK_NONE;
}

static const char *nullable(const char *s) { return s[0] == '\0' ? NULL : s; }

int step_mount(const struct record *r, struct child_state *st) {
  const char *src = r->args[0], *root = r->args[1], *path = r->args[2], *fstype = r->args[3], *data = r->args[5];
  unsigned long flags = (unsigned long)r->num[4];
  enum mkdir_mode mk = mkdir_mode(r->args[6]);
  snprintf(st->detail, sizeof st->detail, "%s on %s%s%s (%s)", src[0] ? src : "none", root, root[0] && path[0] != '/' ? "/" : "", path, fstype[0] ? fstype : "no type");

  struct where w;
  if (where_open(&w, root) != 0) return -1;
  int rc = mk == MK_NONE ? 0 : create_missing(&w, path, mk);
  if (rc == 0 && root[0] == '\0') {
    rc = mount(nullable(src), path, nullable(fstype), flags, nullable(data));
  } else if (rc == 0) {
    int fd = open_at(&w, path, 0);
    char target[64];
    snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
    rc = fd < 0 ? -1 : mount(nullable(src), target, nullable(fstype), flags, nullable(data));
    int saved = errno;
    if (fd >= 0) close(fd);
    errno = saved;
  }
  int saved = errno;
  where_close(&w);
  root_cache_drop();
  errno = saved;
  return rc;
}

/* SRC as the mount namespace NSPATH sees it, from that namespace's root and without
 * following a symlink (another container's files decide nothing), cloned as a detached
 * tree: mount(2) refuses a source in another mount namespace, open_tree there does not.
 * The caller's own namespace (OWN) is joined again whatever happened. */
static int tree_in(const char *nspath, const char *src, bool recursive, int own) {
  if (setns_path(nspath, CLONE_NEWNS) != 0) return -1;
  int saved;
  int tree = -1;
  int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd >= 0) {
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS};
    int fd = (int)syscall(SYS_openat2, rootfd, src, &how, sizeof how);
    if (fd >= 0) {
      tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
      saved = errno;
      close(fd);
    } else {
      saved = errno;
    }
    close(rootfd);
  } else {
    saved = errno;
  }
  if (setns(own, CLONE_NEWNS) != 0) {
    /* Still in the other container's namespace: nothing more may run here. */
    saved = errno;
    if (tree >= 0) close(tree);
    tree = -1;
  }
  errno = saved;
  return tree;
}

int step_bindfrom(const struct record *r, struct child_state *st) {
  const char *nspath = r->args[0], *src = r->args[1], *root = r->args[2], *path = r->args[3];
  enum mkdir_mode mk = mkdir_mode(r->args[5]);
  snprintf(st->detail, sizeof st->detail, "%s of %s on %s%s%s", src, nspath, root, root[0] && path[0] != '/' ? "/" : "", path);
  /* The root fds kept so far stay valid, but nothing opened from now on is cached across the namespaces. */
  root_cache_drop();
  int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (own < 0) return -1;
  int tree = tree_in(nspath, src, r->num[4] != 0, own);
  int saved = errno;
  close(own);
  if (tree < 0) {
    errno = saved;
    return -1;
  }
  struct where w;
  int rc = where_open(&w, root);
  if (rc == 0) {
    rc = mk == MK_NONE ? 0 : create_missing(&w, path, mk);
    int fd = rc == 0 ? open_at(&w, path, 0) : -1;
    rc = fd < 0 ? -1 : move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    saved = errno;
    if (fd >= 0) close(fd);
    where_close(&w);
    root_cache_drop();
  } else {
    saved = errno;
  }
  close(tree);
  errno = saved;
  return rc;
}

/* Runs FN on the parent directory of ROOT+PATH; MAKE_PARENT: a missing parent is made
 * first (a device in a directory of its own, /dev/net/tun). */
static int in_parent(const char *root, const char *path, int (*fn)(int pfd, const char *name, const struct record *r),
                     const struct record *r, bool make_parent) {
  char buf[PATH_MAX];
  const char *parent, *name;
  struct where w;
  if (split(path, buf, sizeof buf, &parent, &name) != 0) return -1;
  if (where_open(&w, root) != 0) return -1;
  int pfd = open_at(&w, parent, O_DIRECTORY);
  if (pfd < 0 && errno == ENOENT && make_parent && create_missing(&w, parent, MK_DIR) == 0) pfd = open_at(&w, parent, O_DIRECTORY);
  int rc = pfd < 0 ? -1 : fn(pfd, name, r);
  int saved = errno;
  if (pfd >= 0) close(pfd);
  where_close(&w);
  errno = saved;
  return rc;
}

static int do_mknod(int pfd, const char *name, const struct record *r) {
  /* The MODE in the plan is exact: the umask must not narrow it. */
  mode_t old = umask(0);
  int rc = mknodat(pfd, name, (mode_t)r->num[2], makedev((unsigned)r->num[3], (unsigned)r->num[4]));
  umask(old);
  if (rc != 0) return errno == EEXIST ? 0 : -1;
  return fchownat(pfd, name, (uid_t)r->num[5], (gid_t)r->num[6], AT_SYMLINK_NOFOLLOW);
}

int step_mknod(const struct record *r, struct child_state *st) {
  snprintf(st->detail, sizeof st->detail, "%s%s%s", r->args[0], r->args[0][0] && r->args[1][0] != '/' ? "/" : "", r->args[1]);
  return in_parent(r->args[0], r->args[1], do_mknod, r, true);
}

static int do_symlink(int pfd, const char *name, const struct record *r) {
  if (symlinkat(r->args[0], pfd, name) != 0) return errno == EEXIST ? 0 : -1;
  return 0;
}

int step_symlink(const struct record *r, struct child_state *st) {
  snprintf(st->detail, sizeof st->detail, "%s%s%s -> %s", r->args[1], r->args[1][0] && r->args[2][0] != '/' ? "/" : "", r->args[2], r->args[0]);
  return in_parent(r->args[1], r->args[2], do_symlink, r, false);
}

int step_pivot_root(const struct record *r, struct child_state *st) {
  (void)st;
  root_cache_drop();
  if (chdir(r->args[0]) != 0) return -1;
  /* The old root ends up stacked under the new one; detaching "." removes it. */
  if (syscall(SYS_pivot_root, ".", ".") != 0) return -1;
  if (umount2(".", MNT_DETACH) != 0) return -1;
  return chdir("/");
}

int step_chroot(const struct record *r, struct child_state *st) {
  (void)st;
  root_cache_drop();
  if (chdir(r->args[0]) != 0) return -1;
  if (mount(r->args[0], "/", NULL, MS_MOVE, NULL) != 0) return -1;
  if (chroot(".") != 0) return -1;
  return chdir("/");
}

int step_mask(const struct record *r, struct child_state *st) {
  (void)st;
  struct stat sb;
  if (stat(r->args[0], &sb) != 0) return errno == ENOENT ? 0 : -1;
  /* The plan says how: the first mount for a directory, the second for anything else. */
  int at = S_ISDIR(sb.st_mode) ? 1 : 4;
  return mount(nullable(r->args[at]), r->args[0], nullable(r->args[at + 1]), (unsigned long)r->num[at + 2], NULL);
}

int step_readonly(const struct record *r, struct child_state *st) {
  (void)st;
  const char *path = r->args[0];
  struct statvfs vfs;
  if (statvfs(path, &vfs) != 0) return errno == ENOENT ? 0 : -1;
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0) return -1;
  /* A remount sets every flag: keep nosuid/nodev/noexec the mount already had. */
  unsigned long flags = MS_BIND | MS_REC | MS_RDONLY | MS_REMOUNT;
  if (vfs.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (vfs.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (vfs.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  return mount(path, path, NULL, flags, NULL);
}
