/* The process's own keyring and its seccomp filter. The filter is a BPF program the plan
 * compiler built (src/runtime/seccomp-compile.ts); plan.c unpacked it before clone, so
 * installing it is one system call. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

int step_keyring(const struct record *r, struct child_state *st) {
  (void)r;
  snprintf(st->detail, sizeof st->detail, "joining a new session keyring");
  /* A new anonymous session keyring: keys added in the container stay out of the
   * keyring every other process of this login session shares. A kernel built
   * without keys (ENOSYS) has no keyring to share. */
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS) return -1;
  return 0;
}

/* Packs the `seccomp` record's numbers (CODE*65536+JT*256+JF, K per instruction) into
 * struct sock_filter; called by plan.c before clone. */
int seccomp_prepare(struct record *r) {
  size_t n = (size_t)(r->nargs - 1) / 2;
  if ((r->nargs - 1) % 2 != 0 || n == 0 || n > BPF_MAXINSNS) {
    errno = EINVAL;
    return -1;
  }
  struct sock_filter *f = calloc(n, sizeof *f);
  if (f == NULL) return -1;
  for (size_t i = 0; i < n; i++) {
    unsigned long long head = r->num[1 + 2 * i], k = r->num[2 + 2 * i];
    if (head > 0xffffffffULL || k > 0xffffffffULL) {
      free(f);
      errno = EINVAL;
      return -1;
    }
    f[i].code = (__u16)(head >> 16);
    f[i].jt = (__u8)(head >> 8);
    f[i].jf = (__u8)head;
    f[i].k = (__u32)k;
  }
  r->filter = f;
  return 0;
}

int step_seccomp(const struct record *r, struct child_state *st) {
  struct sock_fprog prog = {.len = (unsigned short)((r->nargs - 1) / 2), .filter = r->filter};
  snprintf(st->detail, sizeof st->detail, "installing the seccomp filter (%u instructions, flags %s)", prog.len, r->args[0]);
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned int)r->num[0], &prog) < 0 ? -1 : 0;
}
