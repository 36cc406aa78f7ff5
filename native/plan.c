/* Parsing the plan: records of `OPNAME \0 NARGS \0 ARG... \0` (docs/plan.md).
 * Everything the child needs is parsed and allocated here, before clone. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

static const struct opdef opdefs[] = {
    {"clone", RUN_BY_MONITOR, "n", NULL},
    {"userns", RUN_BY_MONITOR, "s", NULL},
    {"pidns", RUN_BY_MONITOR, "s", NULL},
    {"clonecgroup", RUN_BY_MONITOR, "s", NULL},
    {"sync", RUN_BY_MONITOR, "", NULL},
    {"tty", RUN_BY_MONITOR, "", NULL},
    {"log", RUN_BY_MONITOR, "snnn", NULL},
    {"drain", RUN_BY_MONITOR, "n", NULL},
    {"pidfile", RUN_BY_MONITOR, "s", NULL},
    {"exitfile", RUN_BY_MONITOR, "s", NULL},
    {"sigforward", RUN_BY_MONITOR, "N", NULL},
    {"exitcmd", RUN_BY_MONITOR, "sS", NULL},
    {"detach", RUN_BY_MONITOR, "", NULL},
    {"attach", RUN_BY_MONITOR, "snnn", NULL},
    {"stdinpipe", RUN_BY_MONITOR, "", NULL},
    {"restart", RUN_BY_MONITOR, "nnnns", NULL},
    {"restartcmd", RUN_BY_MONITOR, "sS", NULL},
    {"handoff", RUN_BY_MONITOR, "", NULL},
    {"consolesocket", RUN_BY_MONITOR, "s", NULL},
    {"health", RUN_BY_MONITOR, "nnnnsssS", NULL},
    {"preservefds", RUN_BY_MONITOR, "n", NULL},
    {"forwarding", RUN_BY_MONITOR, "nnnn", NULL},
    {"publish", RUN_BY_MONITOR, "ssnsn", NULL},
    {"setns", RUN_BY_CHILD, "ns", step_setns},
    {"cgroupjoin", RUN_BY_CHILD, "s", step_cgroupjoin},
    {"unshare", RUN_BY_CHILD, "n", step_unshare},
    {"mount", RUN_BY_CHILD, "ssssnss", step_mount},
    {"bindfrom", RUN_BY_CHILD, "ssssns", step_bindfrom},
    {"overlay", RUN_BY_CHILD, "ssssS", step_overlay},
    {"mknod", RUN_BY_CHILD, "ssnnnii", step_mknod},
    {"symlink", RUN_BY_CHILD, "sss", step_symlink},
    {"pivot_root", RUN_BY_CHILD, "s", step_pivot_root},
    {"chroot", RUN_BY_CHILD, "s", step_chroot},
    {"mask", RUN_BY_CHILD, "sssnssn", step_mask},
    {"readonly", RUN_BY_CHILD, "s", step_readonly},
    {"loopback", RUN_BY_CHILD, "", step_loopback},
    {"hostname", RUN_BY_CHILD, "s", step_hostname},
    {"domainname", RUN_BY_CHILD, "s", step_domainname},
    {"sysctl", RUN_BY_CHILD, "ss", step_sysctl},
    {"oomscoreadj", RUN_BY_CHILD, "s", step_oomscoreadj},
    {"rlimit", RUN_BY_CHILD, "nnn", step_rlimit},
    {"setsid", RUN_BY_CHILD, "", step_setsid},
    {"console", RUN_BY_CHILD, "s", step_console},
    {"execfifo", RUN_BY_CHILD, "s", step_execfifo},
    {"bounding", RUN_BY_CHILD, "nn", step_bounding},
    {"user", RUN_BY_CHILD, "iiI", step_user},
    {"caps", RUN_BY_CHILD, "nnnn", step_caps},
    {"nonewprivs", RUN_BY_CHILD, "", step_nonewprivs},
    {"keyring", RUN_BY_CHILD, "", step_keyring},
    {"seccomp", RUN_BY_CHILD, "nN", step_seccomp},
    {"umask", RUN_BY_CHILD, "n", step_umask},
    {"chdir", RUN_BY_CHILD, "s", step_chdir},
    {"env", RUN_BY_CHILD, "s", step_env},
    {"hostexec", RUN_BY_CHILD, "s", step_hostexec},
    {"hookpause", RUN_BY_CHILD, "", step_hookpause},
    {"timens", RUN_BY_CHILD, "ssss", step_timens},
    {"apparmor", RUN_BY_CHILD, "s", step_apparmor},
    {"consolesize", RUN_BY_CHILD, "nn", step_consolesize},
    {"exec", RUN_BY_CHILD, "ssS", step_exec},
    {"awaitstart", RUN_BY_LIFECYCLE, "snn", NULL},
    {"gone", RUN_BY_LIFECYCLE, "nn", NULL},
    {"rmdir", RUN_BY_LIFECYCLE, "s", NULL},
    {"cleardir", RUN_BY_LIFECYCLE, "s", NULL},
};

static const struct opdef *find_op(const char *name) {
  for (size_t i = 0; i < sizeof opdefs / sizeof opdefs[0]; i++)
    if (strcmp(opdefs[i].name, name) == 0) return &opdefs[i];
  return NULL;
}

/* Returns the next NUL-terminated field at *pos, or NULL if the buffer ends first. */
static char *next_field(char *buf, size_t len, size_t *pos) {
  if (*pos >= len) return NULL;
  char *start = buf + *pos;
  char *nul = memchr(start, '\0', len - *pos);
  if (nul == NULL) return NULL;
  *pos = (size_t)(nul - buf) + 1;
  return start;
}

/* The largest value of an argument of type T: 'n' any 64-bit number, 'i' a uid or gid
 * (32 bits, and not (uid_t)-1, which setresuid takes as "leave it as it is"). */
static unsigned long long type_max(char t) {
  return t == 'i' ? 0xfffffffeULL : ~0ULL;
}

static char arg_type(const char *spec, int i) {
  size_t n = strlen(spec);
  if ((size_t)i < n) return (char)(spec[i] | 0x20);
  if (n > 0 && spec[n - 1] >= 'A' && spec[n - 1] <= 'Z') return (char)(spec[n - 1] | 0x20);
  return '\0';
}

static int check_arity(const struct opdef *d, int nargs) {
  size_t n = strlen(d->args);
  bool repeats = n > 0 && d->args[n - 1] >= 'A' && d->args[n - 1] <= 'Z';
  size_t min = repeats ? n - 1 : n;
  if ((size_t)nargs < min) return -1;
  if (!repeats && (size_t)nargs > n) return -1;
  return 0;
}

static int fail(int step, const char *op, int err, const char *what) {
  report_error(step, op, err, what);
  return -1;
}

static int parse_record(struct record *r, char *buf, size_t len, size_t *pos) {
  char *name = next_field(buf, len, pos);
  char *count = next_field(buf, len, pos);
  unsigned long long nargs;
  if (name == NULL || count == NULL) return fail(r->index, name ? name : "?", EINVAL, "truncated record");
  if (parse_decimal(count, 1000000, &nargs) != 0) return fail(r->index, name, EINVAL, "the argument count is not a decimal number");
  r->def = find_op(name);
  if (r->def == NULL) return fail(r->index, name, EINVAL, "unknown record");
  if (check_arity(r->def, (int)nargs) != 0)
    return fail(r->index, name, EINVAL, "wrong number of arguments");
  r->nargs = (int)nargs;
  r->args = calloc(nargs + 1, sizeof *r->args);
  r->num = calloc(nargs + 1, sizeof *r->num);
  if (r->args == NULL || r->num == NULL) return fail(r->index, name, ENOMEM, "parsing the plan");
  for (int i = 0; i < r->nargs; i++) {
    r->args[i] = next_field(buf, len, pos);
    if (r->args[i] == NULL) return fail(r->index, name, EINVAL, "truncated record");
    char t = arg_type(r->def->args, i);
    if (t != 's' && parse_decimal(r->args[i], type_max(t), &r->num[i]) != 0) {
      int err = errno;
      char what[128];
      snprintf(what, sizeof what, "argument %d (%.40s) is %s", i + 1, r->args[i], err == ERANGE ? "out of range" : "not a decimal number");
      return fail(r->index, name, err, what);
    }
  }
  return 0;
}

static int once(const struct record **slot, const struct record *r) {
  if (*slot != NULL) return fail(r->index, r->def->name, EINVAL, "record appears twice");
  *slot = r;
  return 0;
}

/* A monitor that hands its child off is gone before the child ends: nothing may need it
 * after that (no output to copy, no exit to record, no restart, no health check), and a pty master goes to
 * the console socket, since nobody would copy it. */
static int check_handoff(const struct plan *p) {
  if (p->consolesocket && !p->tty) return fail(p->consolesocket->index, "consolesocket", EINVAL, "consolesocket needs tty");
  if (!p->handoff) return 0;
  const struct record *conflicts[] = {p->log, p->exitfile, p->exitcmd, p->attach, p->restart, p->health, p->forwarding};
  for (size_t i = 0; i < sizeof conflicts / sizeof conflicts[0]; i++)
    if (conflicts[i]) return fail(conflicts[i]->index, conflicts[i]->def->name, EINVAL, "not with handoff: the monitor is gone before the child ends");
  if (p->stdinpipe || !sigisemptyset(&p->forward)) return fail(-1, "handoff", EINVAL, "stdinpipe and sigforward need a monitor, which handoff lets go");
  if (p->tty && !p->consolesocket) return fail(-1, "handoff", EINVAL, "tty with handoff needs consolesocket: nobody would copy the pty");
  return 0;
}

/* A `publish` record: tcp or udp, two IPv4 addresses, ports 1 to 65535. CONTAINERIP is one
 * host to connect to: not 0.0.0.0/8 (a connect to 0.0.0.0 reaches the host's own
 * loopback), nor broadcast or multicast. A loopback CONTAINERIP stays allowed: a container
 * on the host's network (and the shim's own tests) is reached there, and the plan comes
 * from the runtime, which picks the container's address, not from the container. */
static int check_publish(const struct record *r) {
  struct in_addr a;
  if (strcmp(r->args[0], "tcp") != 0 && strcmp(r->args[0], "udp") != 0) return fail(r->index, "publish", EINVAL, "PROTO must be tcp or udp");
  if (inet_pton(AF_INET, r->args[1], &a) != 1 || inet_pton(AF_INET, r->args[3], &a) != 1) return fail(r->index, "publish", EINVAL, "HOSTIP and CONTAINERIP must be IPv4 addresses");
  uint32_t to = ntohl(a.s_addr);
  if (to >> 24 == 0 || to == INADDR_BROADCAST || IN_MULTICAST(to)) return fail(r->index, "publish", EINVAL, "CONTAINERIP must be one host's address: not 0.0.0.0/8, broadcast or multicast");
  if (r->num[2] < 1 || r->num[2] > 65535 || r->num[4] < 1 || r->num[4] > 65535) return fail(r->index, "publish", ERANGE, "HOSTPORT and CONTAINERPORT must be 1 to 65535");
  return 0;
}

/* Fills the monitor settings and the child's preallocated arrays. */
static int collect(struct plan *p) {
  int nenv = 0, nenv_used = 0, npublish = 0;
  for (int i = 0; i < p->nrecs; i++) {
    if (strcmp(p->recs[i].def->name, "env") == 0) nenv++;
    if (strcmp(p->recs[i].def->name, "publish") == 0) npublish++;
  }
  p->envp = calloc((size_t)nenv + 1, sizeof *p->envp);
  p->publish = calloc((size_t)npublish + 1, sizeof *p->publish);
  if (p->envp == NULL || p->publish == NULL) return fail(-1, "plan", ENOMEM, "parsing the plan");
  sigemptyset(&p->forward);

  for (int i = 0; i < p->nrecs; i++) {
    struct record *r = &p->recs[i];
    const char *n = r->def->name;
    if (p->exec != NULL && r->def->executor == RUN_BY_CHILD)
      return fail(i, n, EINVAL, "child record after exec");
    if (strcmp(n, "clone") == 0) {
      if (once(&p->clone, r)) return -1;
    } else if (strcmp(n, "userns") == 0) {
      if (once(&p->userns, r)) return -1;
    } else if (strcmp(n, "pidns") == 0) {
      if (once(&p->pidns, r)) return -1;
    } else if (strcmp(n, "clonecgroup") == 0) {
      if (once(&p->clonecgroup, r)) return -1;
    } else if (strcmp(n, "log") == 0) {
      if (once(&p->log, r)) return -1;
      if (r->num[2] < 1 || r->num[2] > LOG_MAX_FILES) return fail(i, n, ERANGE, "MAXFILES must be 1 to 1000");
      if (r->num[3] < 1 || r->num[3] > (1u << 30)) return fail(i, n, ERANGE, "LINEMAX must be 1 to 2^30 bytes");
    } else if (strcmp(n, "drain") == 0) {
      if (once(&p->drain, r)) return -1;
      if (r->num[0] > INT_MAX) return fail(i, n, ERANGE, "MS is too large");
    } else if (strcmp(n, "pidfile") == 0) {
      if (once(&p->pidfile, r)) return -1;
    } else if (strcmp(n, "exitfile") == 0) {
      if (once(&p->exitfile, r)) return -1;
    } else if (strcmp(n, "exitcmd") == 0) {
      if (once(&p->exitcmd, r)) return -1;
    } else if (strcmp(n, "attach") == 0) {
      if (once(&p->attach, r)) return -1;
      if (r->num[1] < 1 || r->num[1] > 1024) return fail(i, n, ERANGE, "MAXCLIENTS must be 1 to 1024");
      if (r->num[2] > SIZE_MAX / 2 || r->num[3] > INT_MAX) return fail(i, n, ERANGE, "BACKLOG or FLUSHMS is too large");
    } else if (strcmp(n, "restart") == 0) {
      if (once(&p->restart, r)) return -1;
    } else if (strcmp(n, "restartcmd") == 0) {
      if (once(&p->restartcmd, r)) return -1;
    } else if (strcmp(n, "consolesocket") == 0) {
      if (once(&p->consolesocket, r)) return -1;
    } else if (strcmp(n, "handoff") == 0) {
      p->handoff = true;
    } else if (strcmp(n, "execfifo") == 0) {
      p->execfifo = true;
    } else if (strcmp(n, "health") == 0) {
      if (once(&p->health, r)) return -1;
      if (r->num[0] < 1 || r->num[1] < 1 || r->num[0] > INT_MAX || r->num[1] > INT_MAX || r->num[2] > INT_MAX)
        return fail(i, n, ERANGE, "INTERVALMS and TIMEOUTMS must be 1 to 2^31-1, STARTPERIODMS at most 2^31-1");
      if (r->num[3] < 1 || r->num[3] > INT_MAX) return fail(i, n, ERANGE, "RETRIES must be 1 to 2^31-1");
    } else if (strcmp(n, "consolesize") == 0) {
      if (r->num[0] > 0xffff || r->num[1] > 0xffff) return fail(i, n, ERANGE, "ROWS and COLS must be at most 65535");
    } else if (strcmp(n, "preservefds") == 0) {
      if (once(&p->preservefds, r)) return -1;
      if (r->num[0] > PRESERVE_FDS_MAX) return fail(i, n, ERANGE, "N must be at most 1024");
    } else if (strcmp(n, "forwarding") == 0) {
      if (once(&p->forwarding, r)) return -1;
      if (r->num[0] < 1 || r->num[0] > 65536 || r->num[1] < 1 || r->num[1] > 65536) return fail(i, n, ERANGE, "MAXCONNS and MAXFLOWS must be 1 to 65536");
      if (r->num[2] < 1 || r->num[2] > INT_MAX) return fail(i, n, ERANGE, "UDPIDLEMS must be 1 to 2^31-1");
      if (r->num[3] < 1 || r->num[3] > 100) return fail(i, n, ERANGE, "FLOWSHARE must be 1 to 100 (percent)");
    } else if (strcmp(n, "publish") == 0) {
      if (check_publish(r) != 0) return -1;
      p->publish[p->npublish++] = r;
    } else if (strcmp(n, "stdinpipe") == 0) {
      p->stdinpipe = true;
    } else if (strcmp(n, "sync") == 0) {
      p->sync = true;
    } else if (strcmp(n, "tty") == 0) {
      p->tty = true;
    } else if (strcmp(n, "detach") == 0) {
      p->detach = true;
    } else if (strcmp(n, "sigforward") == 0) {
      for (int a = 0; a < r->nargs; a++) {
        if (r->num[a] < 1 || r->num[a] > (unsigned long long)SIGRTMAX)
          return fail(i, n, EINVAL, r->args[a]);
        sigaddset(&p->forward, (int)r->num[a]);
      }
    } else if (strcmp(n, "mount") == 0 || strcmp(n, "bindfrom") == 0) {
      const char *mk = r->args[r->nargs - 1];
      if (strcmp(mk, "dir") != 0 && strcmp(mk, "file") != 0 && strcmp(mk, "none") != 0)
        return fail(i, n, EINVAL, "MKDIR must be dir, file or none");
    } else if (strcmp(n, "user") == 0) {
      r->gids = calloc((size_t)r->nargs, sizeof *r->gids);
      if (r->gids == NULL) return fail(i, n, ENOMEM, "parsing the plan");
      for (int a = 2; a < r->nargs; a++) r->gids[a - 2] = (gid_t)r->num[a];
    } else if (strcmp(n, "seccomp") == 0) {
      if (seccomp_prepare(r) != 0)
        return fail(i, n, errno == ENOMEM ? ENOMEM : EINVAL, "the filter must be 1 to 4096 instructions of two 32-bit numbers each");
    } else if (strcmp(n, "env") == 0) {
      p->envp[nenv_used++] = r->args[0];
    } else if (strcmp(n, "exec") == 0) {
      p->exec = r;
    }
  }
  if (p->clone == NULL) return fail(p->nrecs, "clone", EINVAL, "the plan has no clone record");
  if (p->exec == NULL) return fail(p->nrecs, "exec", EINVAL, "the plan has no exec record");
  if (p->restartcmd && !p->restart) return fail(p->restartcmd->index, "restartcmd", EINVAL, "restartcmd needs restart");
  if (p->npublish > 0 && !p->forwarding) return fail(p->publish[0]->index, "publish", EINVAL, "publish needs forwarding");
  return check_handoff(p);
}

int records_parse(struct record **recs, int *nrecs, char *buf, size_t len) {
  size_t cap = 16, pos = 0;
  *nrecs = 0;
  *recs = calloc(cap, sizeof **recs);
  if (*recs == NULL) return fail(-1, "plan", ENOMEM, "parsing the plan");
  while (pos < len) {
    if ((size_t)*nrecs == cap) {
      cap *= 2;
      struct record *bigger = realloc(*recs, cap * sizeof *bigger);
      if (bigger == NULL) return fail(*nrecs, "plan", ENOMEM, "parsing the plan");
      *recs = bigger;
    }
    struct record *r = &(*recs)[*nrecs];
    memset(r, 0, sizeof *r);
    r->index = *nrecs;
    if (parse_record(r, buf, len, &pos) != 0) return -1;
    (*nrecs)++;
  }
  return 0;
}

int plan_parse(struct plan *p, char *buf, size_t len) {
  memset(p, 0, sizeof *p);
  if (records_parse(&p->recs, &p->nrecs, buf, len) != 0) return -1;
  for (int i = 0; i < p->nrecs; i++)
    if (p->recs[i].def->executor == RUN_BY_LIFECYCLE) return fail(i, p->recs[i].def->name, EINVAL, "a lifecycle record, not for a container's plan");
  return collect(p);
}
