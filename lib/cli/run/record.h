/* The records dldoctor run's recorder writes (recorder_preload.c, recorder_audit.c) and the
 * command reads (lib/cli/run.cpp). C, so that the recorder needs no C++ runtime in the program.
 *
 * A record is one write(2): a header, then `fields` strings, each a 32-bit length and its bytes
 * (no terminating NUL). The reader checks every length against what is left of the record, and
 * of the file: a record cut short (a process killed mid-write) or garbage is skipped, never
 * trusted. Native byte order: the writer and the reader run on one machine. */
#ifndef DLDOCTOR_RUN_RECORD_H
#define DLDOCTOR_RUN_RECORD_H

#include <stdint.h>

#define DLDOCTOR_RUN_MAGIC 0x52444c44u /* "DLDR" */

/* The environment variables the command sets for the program. */
#define DLDOCTOR_RUN_ENV_FD "DLDOCTOR_RUN_FD"     /* the records' descriptor */
#define DLDOCTOR_RUN_ENV_FILE "DLDOCTOR_RUN_FILE" /* the records' file, if the fd is gone */
#define DLDOCTOR_RUN_ENV_NO_FOLLOW "DLDOCTOR_RUN_NO_FOLLOW" /* "1": leave children alone */
/* What LD_PRELOAD and LD_AUDIT were before dldoctor added its recorder ("" and unset alike:
 * the loader treats an empty list as none), restored by --no-follow. */
#define DLDOCTOR_RUN_ENV_PRELOAD_WAS "DLDOCTOR_RUN_LD_PRELOAD_WAS"
#define DLDOCTOR_RUN_ENV_AUDIT_WAS "DLDOCTOR_RUN_LD_AUDIT_WAS"

/* How the preload shim reaches the audit module, which runs in another namespace with its own
 * libc (so no symbol of one is visible to the other): the command sets this variable to
 * DLDOCTOR_RUN_AUDIT_ROOM zeros, and the audit module writes "PID:ADDRESS:RANDOM;" (its flush
 * function, and the first 8 bytes of this exec's AT_RANDOM, in hex) over them, in place, in the
 * environment strings both namespaces read (la_version runs before the program's
 * constructors), padded with zeros to the same length so that a program that passes the
 * variable on (a shell) leaves room for the next image's module. The shim takes the address
 * only from its own exec: a value passed on from an earlier image (exec keeps the pid) whose
 * module is not in this one would name code that is gone. */
#define DLDOCTOR_RUN_ENV_AUDIT "DLDOCTOR_RUN_AUDIT"
#define DLDOCTOR_RUN_AUDIT_ROOM 64

enum dldoctor_run_kind {
  /* A process started with the recorder: exe, cwd, LD_LIBRARY_PATH set ("0"/"1"), its value,
   * uid, euid, argv[0]. */
  DLDOCTOR_RUN_START = 1,
  /* A dlopen or dlmopen returned NULL: name, name was NULL ("0"/"1"), mode (decimal), namespace
   * ("" for dlopen, the Lmid_t for dlmopen), the calling object's path ("" for the main
   * program), dlerror() text, cwd. */
  DLDOCTOR_RUN_DLOPEN_FAILED = 2,
  /* A dlsym or dlvsym on a handle returned NULL with an error: symbol, version ("" for dlsym),
   * the handle's object path ("" for the main program), the calling object's path, dlerror()
   * text. */
  DLDOCTOR_RUN_DLSYM_MISSED = 3,
  /* The audit module's record of the loader's searches since the last dlopen began, sent when
   * a dlopen failed: triples of LA_SER_* flag (decimal), the requesting object ("" for the main
   * program), the name tried; then "1" if the buffer filled up and later searches were lost. */
  DLDOCTOR_RUN_SEARCH = 4,
};

struct dldoctor_run_header {
  uint32_t magic;
  uint32_t size; /* the whole record, header included */
  uint32_t kind;
  uint32_t fields;
  int32_t pid;
  int32_t tid;
};

#endif
