/* dldoctor run's preload shim (LD_PRELOAD): dlopen, dlmopen and dlsym, interposed to
 * see what the audit interface cannot, the result: the dlerror() text of each failure, the mode,
 * and the object that called. On success it adds no write and no allocation.
 *
 * The caller must stay the caller. glibc takes it from the return address (dlfcn/dlopen.c:
 * RETURN_ADDRESS (0)), and it decides the RUNPATH and RPATH searched and the $ORIGIN expanded
 * (elf/dl-open.c, dl_open_worker_begin: call_map), the namespace, RTLD_NEXT's "next" and
 * RTLD_DEFAULT's scope, and which object gets the dependency that keeps a dlsym'd object mapped
 * (elf/dl-sym.c, do_sym: DL_LOOKUP_ADD_DEPENDENCY). A wrapper that calls the real dlopen would
 * be the caller of all that. So the real function is entered with a return address inside the
 * calling object: a `ret` byte of that object's code, which returns into this shim again
 * (call_as below). Only x86-64 has that trampoline; elsewhere the shim is the caller.
 *
 * dlerror: reading the error to record it marks it read in glibc, so the shim keeps glibc's
 * string, per thread, and its dlerror returns it once: glibc's next dlerror frees it and says
 * NULL, as it would have. The shim makes no dl call between (dladdr is not one: no
 * _dlerror_run), and every interposed call clears it first, as glibc's _dlerror_run clears an
 * error not yet read (dlvsym, not interposed, does not). */
#define _GNU_SOURCE
/* dlsym hands out functions as void*, which POSIX makes convertible to function pointers
 * (XSH 2.12.3) and ISO C does not: this file converts both ways by design. */
#pragma GCC diagnostic ignored "-Wpedantic"
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "record_writer.h"

typedef void* (*dlopen_fn)(const char*, int);
typedef void* (*dlmopen_fn)(Lmid_t, const char*, int);
typedef void* (*dlsym_fn)(void*, const char*);
typedef char* (*dlerror_fn)(void);
typedef int (*dlclose_fn)(void*);
typedef int (*dlinfo_fn)(void*, int, void*);

static dlopen_fn real_dlopen;
static dlmopen_fn real_dlmopen;
static dlsym_fn real_dlsym;
static dlerror_fn real_dlerror;
static dlclose_fn real_dlclose;
static dlinfo_fn real_dlinfo;

/* The error this shim read from glibc and owes the program's next dlerror(). initial-exec:
 * the shim is loaded at start, its TLS is static and reaching it never allocates; one pointer,
 * because with LD_AUDIT the static TLS is laid out before the preloaded objects are loaded and
 * they get only its surplus (glibc.rtld.optional_static_tls). */
static __thread const char* pending_error __attribute__((tls_model("initial-exec")));

/* The audit module's flush (recorder_audit.c), NULL without it. */
static void (*audit_flush)(void);

/* A `ret` of the main program, for a caller in no object at all (generated code): glibc takes
 * the main program as the caller then (_dl_find_dso_for_object finds nothing). */
static const void* main_gadget;

/* ---- the caller, kept ---- */

#if defined(__x86_64__)
/* call_as(gadget, fn, a, b, c, d): fn(a, b, c, d), entered with `gadget` as its return address.
 * fn returns to the gadget, a `ret` byte in the caller's code, which pops the address of the
 * `ret` at 1: and so comes back here. The stack is aligned for fn as after a call. */
void* dldoctor_run_call_as(const void* gadget, const void* fn, const void* a, const void* b,
                           const void* c, const void* d);
__asm__(
    ".text\n"
    ".globl dldoctor_run_call_as\n"
    ".hidden dldoctor_run_call_as\n"
    ".type dldoctor_run_call_as, @function\n"
    "dldoctor_run_call_as:\n"
    "  .cfi_startproc\n"
    "  movq %rdi, %rax\n"
    "  movq %rsi, %r11\n"
    "  movq %rdx, %rdi\n"
    "  movq %rcx, %rsi\n"
    "  movq %r8, %rdx\n"
    "  movq %r9, %rcx\n"
    "  leaq 1f(%rip), %r10\n"
    "  pushq %r10\n"
    "  .cfi_adjust_cfa_offset 8\n"
    "  pushq %rax\n"
    "  .cfi_adjust_cfa_offset 8\n"
    "  jmp *%r11\n"
    "1:\n"
    "  .cfi_adjust_cfa_offset -16\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size dldoctor_run_call_as, .-dldoctor_run_call_as\n");
#define DLDOCTOR_RUN_KEEPS_CALLER 1
#else
#define DLDOCTOR_RUN_KEEPS_CALLER 0
#endif

/* A `ret` (0xc3) in an executable, readable PT_LOAD segment of the object mapped at base:
 * glibc's _dl_addr_inside_object then finds that object for it. NULL if none. */
static const void* ret_in_object(const ElfW(Addr) load_bias, const ElfW(Phdr) * phdr,
                                 size_t phnum) {
  for (size_t i = 0; i < phnum; ++i) {
    if (phdr[i].p_type != PT_LOAD || (phdr[i].p_flags & (PF_X | PF_R)) != (PF_X | PF_R)) continue;
    const unsigned char* code = (const unsigned char*)(load_bias + phdr[i].p_vaddr);
    const void* found = memchr(code, 0xc3, phdr[i].p_filesz);
    if (found != NULL) return found;
  }
  return NULL;
}

/* The gadget for a return address: a `ret` of the object that holds it. */
__attribute__((unused)) static const void* gadget_for(const void* caller) {
#if DLDOCTOR_RUN_KEEPS_CALLER
  const void* start = NULL;
  const struct link_map* map = NULL;
#if __GLIBC_PREREQ(2, 35)
  /* Lock-free, unlike dladdr: the success path of every dlopen goes through here. */
  struct dl_find_object found;
  if (_dl_find_object((void*)caller, &found) == 0) {
    start = found.dlfo_map_start;
    map = found.dlfo_link_map;
  }
#else
  Dl_info info;
  struct link_map* info_map = NULL;
  if (dladdr1(caller, &info, (void**)&info_map, RTLD_DL_LINKMAP) != 0) {
    start = info.dli_fbase;
    map = info_map;
  }
#endif
  if (start != NULL && map != NULL) {
    /* The ELF header and program headers are mapped at the start of the object's first
     * segment (glibc reads l_phdr from there too, _dl_map_object_from_fd). */
    const ElfW(Ehdr)* header = (const ElfW(Ehdr)*)start;
    if (memcmp(header->e_ident, ELFMAG, SELFMAG) == 0) {
      const ElfW(Phdr)* phdr = (const ElfW(Phdr)*)((const char*)start + header->e_phoff);
      const void* gadget = ret_in_object(map->l_addr, phdr, header->e_phnum);
      if (gadget != NULL) return gadget;
    }
  }
  return main_gadget;
#else
  (void)caller;
  return NULL;
#endif
}

static void* call2(const void* caller, const void* fn, const void* a, const void* b) {
#if DLDOCTOR_RUN_KEEPS_CALLER
  const void* gadget = gadget_for(caller);
  if (gadget != NULL) return dldoctor_run_call_as(gadget, fn, a, b, NULL, NULL);
#endif
  (void)caller;
  return ((void* (*)(const void*, const void*))fn)(a, b);
}

static void* call3(const void* caller, const void* fn, const void* a, const void* b,
                   const void* c) {
#if DLDOCTOR_RUN_KEEPS_CALLER
  const void* gadget = gadget_for(caller);
  if (gadget != NULL) return dldoctor_run_call_as(gadget, fn, a, b, c, NULL);
#endif
  (void)caller;
  return ((void* (*)(const void*, const void*, const void*))fn)(a, b, c);
}

/* The next object's definitions (libc's). Called by the constructor, and by a wrapper that
 * runs before it (another preloaded object's constructor calling dlopen). */
static void find_real(void) {
  /* dlvsym is the one lookup not interposed: the shim's own call to it must reach libc's (a
   * definition here would answer the shim's reference, versioned or not: glibc check_match
   * accepts an unversioned definition for a versioned reference). */
  real_dlsym = (dlsym_fn)dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
  if (real_dlsym == NULL) real_dlsym = (dlsym_fn)dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
  if (real_dlsym != NULL) {
    real_dlopen = (dlopen_fn)real_dlsym(RTLD_NEXT, "dlopen");
    real_dlmopen = (dlmopen_fn)real_dlsym(RTLD_NEXT, "dlmopen");
    real_dlerror = (dlerror_fn)real_dlsym(RTLD_NEXT, "dlerror");
    real_dlclose = (dlclose_fn)real_dlsym(RTLD_NEXT, "dlclose");
    real_dlinfo = (dlinfo_fn)real_dlsym(RTLD_NEXT, "dlinfo");
  }
}

/* ---- what is recorded ---- */

/* The path of the object that holds an address: "" for the main program (its l_name), as the
 * records spell it. */
static const char* object_of(const void* address) {
  Dl_info info;
  struct link_map* map = NULL;
  if (dladdr1(address, &info, (void**)&map, RTLD_DL_LINKMAP) == 0 || map == NULL) return "";
  return map->l_name != NULL ? map->l_name : "";
}

/* Reads the error glibc holds for this failure, for the record and for the program's next
 * dlerror(): NULL when there is none. */
static const char* take_error(void) {
  const char* error = real_dlerror != NULL ? real_dlerror() : NULL;
  pending_error = error;
  return error;
}

static void record_failed_open(const char* file, int mode, long long lmid, int is_dlmopen,
                               const void* caller, const char* error) {
  /* The audit module's searches of this dlopen first. */
  if (audit_flush != NULL) audit_flush();
  char buffer[8192];
  char cwd[4096];
  struct dldoctor_run_record record;
  dldoctor_run_begin(&record, buffer, sizeof buffer);
  dldoctor_run_text(&record, file);
  dldoctor_run_number(&record, file == NULL);
  dldoctor_run_number(&record, mode);
  if (is_dlmopen)
    dldoctor_run_number(&record, lmid);
  else
    dldoctor_run_text(&record, "");
  dldoctor_run_text(&record, object_of(caller));
  dldoctor_run_text(&record, error);
  dldoctor_run_text(&record, getcwd(cwd, sizeof cwd) != NULL ? cwd : "");
  dldoctor_run_send(&record, DLDOCTOR_RUN_DLOPEN_FAILED);
}

static void record_missed_symbol(void* handle, const char* symbol, const char* version,
                                 const void* caller, const char* error) {
  /* The handle is the program's, which glibc's dlsym has just used; in glibc it is the
   * object's link map (what dlinfo RTLD_DI_LINKMAP returns), read directly because dlinfo is a
   * dl call and would free the error the program is owed. */
  const struct link_map* map = (const struct link_map*)handle;
  char buffer[8192];
  struct dldoctor_run_record record;
  dldoctor_run_begin(&record, buffer, sizeof buffer);
  dldoctor_run_text(&record, symbol);
  dldoctor_run_text(&record, version);
  dldoctor_run_text(&record, map != NULL && map->l_name != NULL ? map->l_name : "");
  dldoctor_run_text(&record, object_of(caller));
  dldoctor_run_text(&record, error);
  dldoctor_run_send(&record, DLDOCTOR_RUN_DLSYM_MISSED);
}

/* ---- the interposed functions ---- */

DLDOCTOR_RUN_EXPORT void* dlopen(const char* file, int mode) {
  const void* caller = __builtin_return_address(0);
  pending_error = NULL;
  if (real_dlopen == NULL) find_real();
  if (real_dlopen == NULL) return NULL;
  void* handle = call2(caller, (const void*)real_dlopen, file, (const void*)(intptr_t)mode);
  if (handle != NULL) return handle;
  const int saved_errno = errno;
  const char* error = take_error();
  if (error != NULL) record_failed_open(file, mode, 0, 0, caller, error);
  errno = saved_errno;
  return NULL;
}

DLDOCTOR_RUN_EXPORT void* dlmopen(Lmid_t lmid, const char* file, int mode) {
  const void* caller = __builtin_return_address(0);
  pending_error = NULL;
  if (real_dlmopen == NULL) find_real();
  if (real_dlmopen == NULL) return NULL;
  void* handle = call3(caller, (const void*)real_dlmopen, (const void*)(intptr_t)lmid, file,
                       (const void*)(intptr_t)mode);
  if (handle != NULL) return handle;
  const int saved_errno = errno;
  const char* error = take_error();
  if (error != NULL) record_failed_open(file, mode, (long long)lmid, 1, caller, error);
  errno = saved_errno;
  return NULL;
}

/* A NULL with no error is a symbol whose value is NULL (an ifunc, an absolute 0): no miss. Only
 * lookups in a handle are recorded: RTLD_DEFAULT and RTLD_NEXT name no object to check. */
DLDOCTOR_RUN_EXPORT void* dlsym(void* handle, const char* symbol) {
  const void* caller = __builtin_return_address(0);
  pending_error = NULL;
  if (real_dlsym == NULL) find_real();
  if (real_dlsym == NULL) return NULL;
  void* value = call2(caller, (const void*)real_dlsym, handle, symbol);
  if (value != NULL || handle == RTLD_DEFAULT || handle == RTLD_NEXT) return value;
  const int saved_errno = errno;
  const char* error = take_error();
  if (error != NULL) record_missed_symbol(handle, symbol, "", caller, error);
  errno = saved_errno;
  return NULL;
}

DLDOCTOR_RUN_EXPORT char* dlerror(void) {
  if (pending_error != NULL) {
    const char* error = pending_error;
    pending_error = NULL;
    return (char*)error;
  }
  return real_dlerror != NULL ? real_dlerror() : NULL;
}

/* dlclose and dlinfo clear an unread error in glibc (_dlerror_run), so they clear ours. */
DLDOCTOR_RUN_EXPORT int dlclose(void* handle) {
  pending_error = NULL;
  return real_dlclose != NULL ? real_dlclose(handle) : -1;
}

DLDOCTOR_RUN_EXPORT int dlinfo(void* handle, int request, void* argument) {
  pending_error = NULL;
  return real_dlinfo != NULL ? real_dlinfo(handle, request, argument) : -1;
}

/* ---- start ---- */

static void find_main_gadget(void) {
  const ElfW(Phdr)* phdr = (const ElfW(Phdr)*)getauxval(AT_PHDR);
  const size_t phnum = (size_t)getauxval(AT_PHNUM);
  if (phdr == NULL) return;
  ElfW(Addr) bias = 0;
  for (size_t i = 0; i < phnum; ++i)
    if (phdr[i].p_type == PT_PHDR) bias = (ElfW(Addr))phdr - phdr[i].p_vaddr;
  main_gadget = ret_in_object(bias, phdr, phnum);
}

static int parse_hex(const char** text, uint64_t* value) {
  int digits = 0;
  *value = 0;
  for (;; ++*text, ++digits) {
    const char c = **text;
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return digits == 16;
    *value = *value << 4 | (uint64_t)digit;
  }
}

/* "PID:ADDRESS:RANDOM;" from the audit module of this very exec (record.h); a value passed on
 * from an earlier image is refused. */
static void find_audit_flush(void) {
  const char* text = getenv(DLDOCTOR_RUN_ENV_AUDIT);
  if (text == NULL) return;
  unsigned long pid = 0;
  for (; *text >= '0' && *text <= '9'; ++text) pid = pid * 10 + (unsigned long)(*text - '0');
  if (*text++ != ':' || pid != (unsigned long)getpid()) return;
  uint64_t address = 0, token = 0;
  if (!parse_hex(&text, &address) || *text++ != ':') return;
  if (!parse_hex(&text, &token) || *text != ';') return;
  if (token != dldoctor_run_exec_token() || address == 0) return;
  audit_flush = (void (*)(void))(uintptr_t)address;
}

/* Puts back what dldoctor changed in the environment: the program's children start without the
 * recorder (--no-follow). The descriptor is closed at their exec too. */
static void restore_environment(void) {
  static const char* const names[][2] = {
      {"LD_PRELOAD", DLDOCTOR_RUN_ENV_PRELOAD_WAS},
      {"LD_AUDIT", DLDOCTOR_RUN_ENV_AUDIT_WAS},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
    const char* was = getenv(names[i][1]);
    if (was != NULL && *was != '\0')
      setenv(names[i][0], was, 1);
    else
      unsetenv(names[i][0]);
    unsetenv(names[i][1]);
  }
  unsetenv(DLDOCTOR_RUN_ENV_FD);
  unsetenv(DLDOCTOR_RUN_ENV_FILE);
  unsetenv(DLDOCTOR_RUN_ENV_NO_FOLLOW);
  unsetenv(DLDOCTOR_RUN_ENV_AUDIT);
  if (dldoctor_run_fd >= 0) fcntl(dldoctor_run_fd, F_SETFD, FD_CLOEXEC);
}

/* glibc calls constructors with the program's argc, argv and envp (elf/dl-init.c, call_init). */
__attribute__((constructor)) static void start(int argc, char** argv, char** envp) {
  (void)envp;
  const int saved_errno = errno;
  find_real();
  find_main_gadget();
  dldoctor_run_open_channel();
  find_audit_flush();
  char exe[4096];
  char cwd[4096];
  const ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[length > 0 ? length : 0] = '\0';
  const char* library_path = getenv("LD_LIBRARY_PATH");
  char buffer[12288];
  struct dldoctor_run_record record;
  dldoctor_run_begin(&record, buffer, sizeof buffer);
  dldoctor_run_text(&record, exe);
  dldoctor_run_text(&record, getcwd(cwd, sizeof cwd) != NULL ? cwd : "");
  dldoctor_run_number(&record, library_path != NULL);
  dldoctor_run_text(&record, library_path);
  dldoctor_run_number(&record, (long long)getuid());
  dldoctor_run_number(&record, (long long)geteuid());
  /* argv[0], for the loader run as a program (ld.so PROGRAM: /proc/self/exe is then the
   * loader, and rtld has shifted argv so that argv[0] is the program). */
  dldoctor_run_text(&record, argc > 0 && argv != NULL && argv[0] != NULL ? argv[0] : "");
  dldoctor_run_send(&record, DLDOCTOR_RUN_START);
  const char* no_follow = getenv(DLDOCTOR_RUN_ENV_NO_FOLLOW);
  if (no_follow != NULL && strcmp(no_follow, "1") == 0) restore_environment();
  errno = saved_errno;
}
