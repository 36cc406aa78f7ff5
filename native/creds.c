/* Credential steps: bounding set, user and groups, capabilities, no_new_privs. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

int step_bounding(const struct record *r, struct child_state *st) {
  unsigned long long keep = r->num[0];
  for (unsigned long long cap = 0; cap <= r->num[1] && cap < 64; cap++) {
    if (keep & (1ULL << cap)) continue;
    /* EINVAL: a capability this kernel does not know, nothing to drop. */
    if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) != 0 && errno != EINVAL) {
      snprintf(st->detail, sizeof st->detail, "dropping capability %llu", cap);
      return -1;
    }
  }
  return 0;
}

int step_user(const struct record *r, struct child_state *st) {
  snprintf(st->detail, sizeof st->detail, "uid %s gid %s", r->args[0], r->args[1]);
  /* Keep the permitted set across the uid change: `caps` sets it next. */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return -1;
  if (setgroups((size_t)(r->nargs - 2), r->gids) != 0) return -1;
  gid_t gid = (gid_t)r->num[1];
  uid_t uid = (uid_t)r->num[0];
  if (setresgid(gid, gid, gid) != 0) return -1;
  return setresuid(uid, uid, uid);
}

int step_caps(const struct record *r, struct child_state *st) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    data[i].effective = (__u32)(r->num[0] >> (32 * i));
    data[i].permitted = (__u32)(r->num[1] >> (32 * i));
    data[i].inheritable = (__u32)(r->num[2] >> (32 * i));
  }
  snprintf(st->detail, sizeof st->detail, "capset effective %s permitted %s inheritable %s", r->args[0], r->args[1], r->args[2]);
  if (syscall(SYS_capset, &hdr, data) != 0) return -1;
  for (unsigned long cap = 0; cap < 64; cap++) {
    if (!(r->num[3] & (1ULL << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      snprintf(st->detail, sizeof st->detail, "raising ambient capability %lu", cap);
      return -1;
    }
  }
  return 0;
}

int step_nonewprivs(const struct record *r, struct child_state *st) {
  (void)r;
  (void)st;
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int step_umask(const struct record *r, struct child_state *st) {
  (void)st;
  umask((mode_t)r->num[0]);
  return 0;
}
