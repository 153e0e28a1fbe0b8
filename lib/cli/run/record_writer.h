/* Building and writing records (record.h) inside the program: no allocation, no stdio, no lock,
 * only write(2) and a few other system calls, so that a record can be written from any point of
 * the program, a signal handler included. A field too long for the record is cut, never the
 * program's own data. Shared by the two recorders (each a separate object in the program). */
#ifndef DLDOCTOR_RUN_RECORD_WRITER_H
#define DLDOCTOR_RUN_RECORD_WRITER_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "record.h"

/* What the loader and the program must find: the recorders are built -fvisibility=hidden, so
 * that nothing else of theirs can interpose on the program's own names. */
#define DLDOCTOR_RUN_EXPORT __attribute__((visibility("default")))

/* This exec's identity for DLDOCTOR_RUN_AUDIT (record.h): the first 8 bytes of AT_RANDOM. */
static uint64_t dldoctor_run_exec_token(void) {
  const unsigned char* random = (const unsigned char*)getauxval(AT_RANDOM);
  uint64_t token = 0;
  if (random != NULL)
    for (int i = 0; i < 8; ++i) token = token << 8 | random[i];
  return token;
}

/* The descriptor the records go to, -1 when there is none (the variables are missing). */
static int dldoctor_run_fd = -1;

/* Where the descriptor goes when the program's own descriptors are moved out of its way: a
 * number the program is unlikely to pick, so that its own open() keeps returning what it would
 * without the recorder (the lowest free number). */
#define DLDOCTOR_RUN_FD_FLOOR 900

struct dldoctor_run_record {
  char* data;
  size_t capacity;
  size_t used;
  uint32_t fields;
};

static size_t dldoctor_run_strlen(const char* text) {
  size_t n = 0;
  if (text != NULL)
    while (text[n] != '\0') ++n;
  return n;
}

static void dldoctor_run_copy(char* to, const void* from, size_t n) {
  const char* source = (const char*)from;
  for (size_t i = 0; i < n; ++i) to[i] = source[i];
}

static void dldoctor_run_begin(struct dldoctor_run_record* record, char* buffer, size_t capacity) {
  record->data = buffer;
  record->capacity = capacity;
  record->used = sizeof(struct dldoctor_run_header);
  record->fields = 0;
}

/* Appends a field of n bytes, cut to what fits (a field that does not fit at all is empty). */
static void dldoctor_run_bytes(struct dldoctor_run_record* record, const char* text, size_t n) {
  if (record->used + sizeof(uint32_t) > record->capacity) return;
  const size_t room = record->capacity - record->used - sizeof(uint32_t);
  if (n > room) n = room;
  const uint32_t length = (uint32_t)n;
  dldoctor_run_copy(record->data + record->used, &length, sizeof length);
  dldoctor_run_copy(record->data + record->used + sizeof length, text, n);
  record->used += sizeof length + n;
  ++record->fields;
}

static void dldoctor_run_text(struct dldoctor_run_record* record, const char* text) {
  dldoctor_run_bytes(record, text == NULL ? "" : text, dldoctor_run_strlen(text));
}

/* A decimal number, without snprintf (not async-signal-safe). */
static void dldoctor_run_number(struct dldoctor_run_record* record, long long value) {
  char digits[24];
  size_t n = sizeof digits;
  unsigned long long magnitude =
      value < 0 ? 0ull - (unsigned long long)value : (unsigned long long)value;
  do {
    digits[--n] = (char)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0 && n > 1);
  if (value < 0) digits[--n] = '-';
  dldoctor_run_bytes(record, digits + n, sizeof digits - n);
}

/* One write(2) of the whole record: concurrent writers (threads, processes) append whole
 * records to the O_APPEND file. errno is kept: the program never sees the recorder's. */
static void dldoctor_run_send(struct dldoctor_run_record* record, uint32_t kind) {
  if (dldoctor_run_fd < 0) return;
  const int saved_errno = errno;
  /* One length for the header and the write: a header that claimed more than was written would
   * swallow the records after it. */
  const size_t used = record->used;
  struct dldoctor_run_header header;
  header.magic = DLDOCTOR_RUN_MAGIC;
  header.size = (uint32_t)used;
  header.kind = kind;
  header.fields = record->fields;
  header.pid = (int32_t)getpid();
  header.tid = (int32_t)syscall(SYS_gettid);
  dldoctor_run_copy(record->data, &header, sizeof header);
  size_t done = 0;
  while (done < used) {
    const ssize_t n = write(dldoctor_run_fd, record->data + done, used - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += (size_t)n;
  }
  errno = saved_errno;
}

/* The channel, from the environment dldoctor run set: the inherited descriptor when it is still
 * the records' file (a program that closed its descriptors, or reused the number, has lost it),
 * else the file opened again. Kept out of the program's way, close-on-exec when reopened (a
 * child opens its own). Run from a constructor (or la_version), before the program's code. */
static void dldoctor_run_open_channel(void) {
  const int saved_errno = errno;
  const char* fd_text = getenv(DLDOCTOR_RUN_ENV_FD);
  const char* file = getenv(DLDOCTOR_RUN_ENV_FILE);
  if (file == NULL || *file == '\0') return;
  struct stat wanted;
  if (stat(file, &wanted) != 0) {
    errno = saved_errno;
    return;
  }
  if (fd_text != NULL) {
    int fd = 0;
    for (const char* p = fd_text; *p >= '0' && *p <= '9' && fd < 1000000; ++p)
      fd = fd * 10 + (*p - '0');
    struct stat status;
    if (fd > 2 && fstat(fd, &status) == 0 && status.st_dev == wanted.st_dev &&
        status.st_ino == wanted.st_ino) {
      dldoctor_run_fd = fd;
      errno = saved_errno;
      return;
    }
  }
  const int fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0) {
    /* Below the floor only when the descriptor limit is lower than it. */
    dldoctor_run_fd = fcntl(fd, F_DUPFD_CLOEXEC, DLDOCTOR_RUN_FD_FLOOR);
    if (dldoctor_run_fd < 0)
      dldoctor_run_fd = fd;
    else
      close(fd);
  }
  errno = saved_errno;
}

#endif
