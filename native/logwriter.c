/* Container logs in the CRI format: `RFC3339NANO STREAM P|F TEXT\n`.
 * When PATH would outgrow its limit, PATH.N-1 becomes PATH.N (.. PATH becomes
 * PATH.1), keeping MAXFILES files in all; with MAXFILES 1, PATH starts over. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

static int open_log(struct logwriter *lw) {
  struct stat st;
  lw->fd = open(lw->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (lw->fd < 0 || fstat(lw->fd, &st) != 0) return -1;
  lw->size = (unsigned long long)st.st_size;
  return 0;
}

/* The header before a line: `RFC3339NANO STREAM P|F ` and the newline after it. */
#define RECORD_OVERHEAD 128

/* Room for `.N` after PATH: a dot, up to three digits, the NUL. */
#define SUFFIX_ROOM 5

int log_open(struct logwriter *lw, const char *path, unsigned long long max, unsigned max_files, size_t line_max) {
  size_t len = strlen(path);
  lw->path = path;
  lw->max = max;
  lw->max_files = max_files;
  lw->failed = false;
  lw->line_max = line_max;
  lw->record = malloc(line_max + RECORD_OVERHEAD);
  lw->from = malloc(len + SUFFIX_ROOM);
  lw->to = malloc(len + SUFFIX_ROOM);
  if (lw->from == NULL || lw->to == NULL || lw->record == NULL) return -1;
  return open_log(lw);
}

static void log_failed(struct logwriter *lw, const char *what) {
  /* Reported once: the container keeps running without its log. */
  if (!lw->failed) dprintf(STDERR_FILENO, "mydocker-shim: log: %s %s: %s\n", what, lw->path, strerror(errno));
  lw->failed = true;
}

static void rotated_name(const struct logwriter *lw, char *buf, unsigned n) {
  size_t len = strlen(lw->path);
  if (n == 0) memcpy(buf, lw->path, len + 1);
  else snprintf(buf, len + SUFFIX_ROOM, "%s.%u", lw->path, n);
}

static void rotate(struct logwriter *lw) {
  if (lw->max_files <= 1) {
    /* Nothing kept: the same file starts over (O_APPEND writes go to its new end). */
    if (ftruncate(lw->fd, 0) != 0) log_failed(lw, "truncating");
    lw->size = 0;
    return;
  }
  close(lw->fd);
  lw->fd = -1;
  for (unsigned n = lw->max_files - 1; n > 0; n--) {
    rotated_name(lw, lw->from, n - 1);
    rotated_name(lw, lw->to, n);
    if (rename(lw->from, lw->to) != 0 && errno != ENOENT) log_failed(lw, "renaming");
  }
  if (open_log(lw) != 0) log_failed(lw, "opening");
}

/* Writes one CRI record: the header and TEXT as one write, so a reader never
 * sees half a record. */
static void write_record(struct logwriter *lw, const char *stream, char tag, const char *text, size_t len) {
  char *line = lw->record;
  size_t size = lw->line_max + RECORD_OVERHEAD;
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(line, size, "%Y-%m-%dT%H:%M:%S", &tm);
  n += (size_t)snprintf(line + n, size - n, ".%09ldZ %s %c ", ts.tv_nsec, stream, tag);
  memcpy(line + n, text, len);
  n += len;
  line[n++] = '\n';
  if (lw->max > 0 && lw->size > 0 && lw->size + n > lw->max) rotate(lw);
  if (lw->fd < 0) return;
  if (write_all(lw->fd, line, n) != 0) {
    log_failed(lw, "writing");
    return;
  }
  lw->size += n;
}

int linebuf_init(struct linebuf *lb, const char *stream, size_t line_max) {
  lb->stream = stream;
  lb->len = 0;
  lb->buf = malloc(line_max);
  return lb->buf == NULL ? -1 : 0;
}

void log_feed(struct logwriter *lw, struct linebuf *lb, const char *data, size_t n) {
  while (n > 0) {
    const char *nl = memchr(data, '\n', n);
    size_t take = nl ? (size_t)(nl - data) : n;
    size_t room = lw->line_max - lb->len;
    if (take >= room) {
      /* The line outgrows the buffer: what fits goes out as a partial line. */
      memcpy(lb->buf + lb->len, data, room);
      write_record(lw, lb->stream, 'P', lb->buf, lw->line_max);
      lb->len = 0;
      data += room;
      n -= room;
      continue;
    }
    memcpy(lb->buf + lb->len, data, take);
    lb->len += take;
    data += take;
    n -= take;
    if (nl) {
      write_record(lw, lb->stream, 'F', lb->buf, lb->len);
      lb->len = 0;
      data++;
      n--;
    }
  }
}

void log_finish(struct logwriter *lw, struct linebuf *lb) {
  if (lb->len > 0) write_record(lw, lb->stream, 'P', lb->buf, lb->len);
  lb->len = 0;
}
