/* dldoctor run's audit module (LD_AUDIT, rtld-audit(7)): the names the real loader tries, in
 * its order, with the object whose search it is. glibc calls la_objsearch from _dl_map_object
 * (elf/dl-load.c) once with LA_SER_ORIG for each name not already loaded, then from open_verify
 * once for every candidate file it is about to open (LA_SER_RUNPATH for RPATH and RUNPATH
 * directories alike, LA_SER_LIBPATH, LA_SER_CONFIG for the ld.so.cache entry, LA_SER_DEFAULT).
 *
 * Nothing is written while the program runs well: the searches of the current dlopen are kept in
 * a buffer, and only the preload shim, when a dlopen has failed, asks for them, by calling
 * dldoctor_run_audit_flush (found through the environment, record.h: the module runs in the
 * loader's audit namespace, with its own copy of libc, where the shim cannot look it up). */
#define _GNU_SOURCE
#include <link.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "record_writer.h"

/* The searches since the current dlopen began. la_objsearch runs with the loader's lock held
 * (dl_load_lock), so one buffer serves every thread; the shim's flush comes after its dlopen
 * returned, outside that lock, so a spin lock of its own keeps a flush and another thread's
 * search apart (held for a copy or one write, never across a call into the loader). Static: no
 * allocation, and the pages are touched only as far as it fills. */
static char search_buffer[64 * 1024];
static char buffer_busy;

/* Bounded: a child forked while another thread held it inherits it held, with nobody to clear
 * it; after a few thousand yields the buffer is used anyway (at worst one garbled record, which
 * the command drops). Returns whether the lock is held. */
static int lock_buffer(void) {
  for (int tries = 0; tries < 5000; ++tries) {
    if (!__atomic_test_and_set(&buffer_busy, __ATOMIC_ACQUIRE)) return 1;
    sched_yield();
  }
  return 0;
}

static void unlock_buffer(int held) {
  if (held) __atomic_clear(&buffer_busy, __ATOMIC_RELEASE);
}
static struct dldoctor_run_record searches;
static int searches_lost;
/* Between LA_ACT_ADD and LA_ACT_CONSISTENT the loader is adding (or removing) the objects of one
 * dlopen: a search then belongs to the same dlopen, a dependency of the object asked for. */
static int in_activity;

/* The searches so far, as one record; called by the shim right after a dlopen returned NULL,
 * outside the loader's lock: a dlopen of another thread meanwhile may have begun its own
 * searches (the command then sees a first name that is not the failed one, and drops them). */
static void flush(void) {
  const int held = lock_buffer();
  dldoctor_run_number(&searches, searches_lost);
  dldoctor_run_send(&searches, DLDOCTOR_RUN_SEARCH);
  dldoctor_run_begin(&searches, search_buffer, sizeof search_buffer);
  searches_lost = 0;
  unlock_buffer(held);
}

static size_t put_hex(char* text, uint64_t value) {
  for (int shift = 60; shift >= 0; shift -= 4) *text++ = "0123456789abcdef"[(value >> shift) & 0xf];
  return 16;
}

/* Writes "PID:ADDRESS:RANDOM;" over the zeros the command put in DLDOCTOR_RUN_AUDIT, padded
 * with zeros to the length it had (record.h). */
static void publish_flush(void) {
  char* room = getenv(DLDOCTOR_RUN_ENV_AUDIT);
  if (room == NULL) return;
  const size_t length = strlen(room);
  char text[DLDOCTOR_RUN_AUDIT_ROOM];
  size_t n = 0;
  char digits[24];
  size_t d = 0;
  for (unsigned long pid = (unsigned long)getpid(); d == 0 || pid != 0; pid /= 10)
    digits[d++] = (char)('0' + pid % 10);
  while (d > 0) text[n++] = digits[--d];
  text[n++] = ':';
  n += put_hex(text + n, (uint64_t)(uintptr_t)&flush);
  text[n++] = ':';
  n += put_hex(text + n, dldoctor_run_exec_token());
  text[n++] = ';';
  if (n > length) return; /* no room: the shim then finds no module, and records no search */
  memcpy(room, text, n);
  memset(room + n, '0', length - n);
}

DLDOCTOR_RUN_EXPORT unsigned int la_version(unsigned int version) {
  (void)version;
  dldoctor_run_open_channel();
  dldoctor_run_begin(&searches, search_buffer, sizeof search_buffer);
  publish_flush();
  return LAV_CURRENT;
}

/* The cookie is the object's link map (glibc's default, set again here), so that a search can
 * name the object it is for. */
static void keep(unsigned int flag, const char* requester, const char* name);

/* An object mapped by the current dlopen: kept as the file its search found (flag 0), so that
 * the command knows where a name searched with a library's RUNPATH led. */
DLDOCTOR_RUN_EXPORT unsigned int la_objopen(struct link_map* map, Lmid_t lmid, uintptr_t* cookie) {
  (void)lmid;
  *cookie = (uintptr_t)map;
  if (in_activity && map->l_name != NULL && map->l_name[0] != '\0') {
    const int held = lock_buffer();
    keep(0, "", map->l_name);
    unlock_buffer(held);
  }
  return 0; /* no symbol binding to audit: la_symbind would cost every call through the PLT */
}

DLDOCTOR_RUN_EXPORT void la_activity(uintptr_t* cookie, unsigned int flag) {
  (void)cookie;
  in_activity = flag != LA_ACT_CONSISTENT;
}

DLDOCTOR_RUN_EXPORT char* la_objsearch(const char* name, uintptr_t* cookie, unsigned int flag) {
  const struct link_map* loader = (const struct link_map*)*cookie;
  const int held = lock_buffer();
  /* A new name asked for outside an activity starts a new dlopen (or the program's start). */
  if (flag == LA_SER_ORIG && !in_activity) {
    dldoctor_run_begin(&searches, search_buffer, sizeof search_buffer);
    searches_lost = 0;
  }
  keep(flag, loader != NULL && loader->l_name != NULL ? loader->l_name : "", name);
  unlock_buffer(held);
  return (char*)name;
}

/* One entry of the buffer: the flag (0 for an object opened), the requesting object, the name. */
static void keep(unsigned int flag, const char* requester, const char* name) {
  const size_t needed = 3 * sizeof(uint32_t) + 4 + strlen(requester) + strlen(name);
  /* Keep room for the "lost" field at the end. */
  if (searches.used + needed + sizeof(uint32_t) + 4 > searches.capacity) {
    searches_lost = 1;
    return;
  }
  dldoctor_run_number(&searches, flag);
  dldoctor_run_text(&searches, requester);
  dldoctor_run_text(&searches, name);
}
