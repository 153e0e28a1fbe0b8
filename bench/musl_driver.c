/* musl_driver: musl's dynamic loader on the generated plugins built with musl-gcc
 * (bench/loaders/meson.build), timed the way bench_loaders times glibc's: the same benchmark
 * names with "musl" for "glibc", each benchmark's precondition checked before it is timed, the
 * benchmarks of a run in a random order, CPU and wall time per iteration, and the per-load
 * system calls and page faults (loader_probe.h). One process is one repetition:
 * bench/musl_bench.py runs it as many times as Google Benchmark repeats, interleaving the
 * groups, and merges the JSON.
 *
 * musl's dlclose does nothing (musl never unloads a library), so a fresh load cannot be a
 * dlopen + dlclose of one file as with glibc: each iteration of a Load benchmark dlopens another
 * copy of the plugin (copies made before timing, distinct inodes, so that musl cannot take one
 * for another), and the copies stay mapped until the process exits. For the same reason the
 * crowd is loaded once per process (--crowd N), and chains are not measured (a fresh chain per
 * iteration would need a whole chain of copies whose NEEDED names differ).
 *
 * Usage: musl_driver --plugins DIR --group load|lookup|crowd [--crowd N] [--iterations K]
 *                    [--min-time SECONDS] [--large] --out FILE.json
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loader_probe.h"

/* With --large (scripts/bench's full run, which builds them): the 100,000-function plugins. */
static const int symbol_counts[] = {10, 100, 1000, 10000, 100000};
static unsigned symbol_count_number = 4;
static const char* const variants[] = {"gnu", "sysv", "both", "symbolic"};
enum { kCountedLoads = 8, kCrowdTargetSymbols = 100, kMaxRows = 256 };

struct row {
  char name[96];
  double real_ns, cpu_ns; /* per iteration */
  long iterations;
  double syscalls, faults; /* per load; syscalls < 0: not counted */
  int counted;
  char error[256]; /* "": the precondition held */
};

static struct row rows[kMaxRows];
static int row_count;
static const char* plugins_dir;
static char scratch_dir[64];
static int iterations_base = 40;
static double min_time = 0.05;

static double now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct row* new_row(const char* name) {
  if (row_count == kMaxRows) {
    fprintf(stderr, "musl_driver: more than %d benchmarks\n", kMaxRows);
    exit(2);
  }
  struct row* r = &rows[row_count++];
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  return r;
}

static void fail(struct row* r, const char* why, const char* detail) {
  snprintf(r->error, sizeof r->error, "%s%s%s", why, detail ? ": " : "", detail ? detail : "");
}

static void plugin_path(char* out, size_t size, const char* variant, int count) {
  snprintf(out, size, "%s/libmusl_sym_%s_%d.so", plugins_dir, variant, count);
}

/* Copies src to dst byte for byte (a new inode). Returns 0 on success. */
static int copy_file(const char* src, const char* dst) {
  FILE* in = fopen(src, "rb");
  if (in == NULL) return -1;
  FILE* out = fopen(dst, "wb");
  if (out == NULL) {
    fclose(in);
    return -1;
  }
  char buffer[1 << 16];
  size_t n;
  int status = 0;
  while ((n = fread(buffer, 1, sizeof buffer, in)) > 0)
    if (fwrite(buffer, 1, n, out) != n) status = -1;
  fclose(in);
  if (fclose(out) != 0) status = -1;
  return status;
}

/* The per-load counters over kCountedLoads calls of load(arg, i). */
static void count_loads(struct row* r, void (*load)(void*, int), void* arg, int first) {
  struct probe_counters counters;
  probe_counters_open(&counters);
  const long long empty = probe_calibrate(&counters);
  struct probe_span span;
  probe_begin(&counters, &span);
  for (int i = 0; i < kCountedLoads; ++i) load(arg, first + i);
  probe_end(&counters, &span);
  probe_counters_close(&counters);
  r->counted = 1;
  r->syscalls =
      span.syscalls >= 0 && empty >= 0 ? (double)(span.syscalls - empty) / kCountedLoads : -1;
  r->faults = (double)span.faults / kCountedLoads;
}

/* Times body(arg, i) for i in [0, iterations). */
static void time_fixed(struct row* r, void (*body)(void*, int), void* arg, long iterations) {
  const double wall = now_ns(CLOCK_MONOTONIC), cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  for (long i = 0; i < iterations; ++i) body(arg, (int)i);
  r->real_ns = (now_ns(CLOCK_MONOTONIC) - wall) / (double)iterations;
  r->cpu_ns = (now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu) / (double)iterations;
  r->iterations = iterations;
}

/* Times body in batches until min_time has passed (for what can be repeated on one file). */
static void time_for(struct row* r, void (*body)(void*, int), void* arg) {
  long iterations = 0;
  const double wall = now_ns(CLOCK_MONOTONIC), cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  do {
    for (int i = 0; i < 64; ++i) body(arg, i);
    iterations += 64;
  } while (now_ns(CLOCK_MONOTONIC) - wall < min_time * 1e9);
  r->real_ns = (now_ns(CLOCK_MONOTONIC) - wall) / (double)iterations;
  r->cpu_ns = (now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu) / (double)iterations;
  r->iterations = iterations;
}

/* ---- Load/musl/MODE/VARIANT/N: dlopen (+ the no-op dlclose) of a copy never loaded. ---- */

struct fresh_load {
  char (*copies)[160];
  int flags;
};

static void load_copy(void* arg, int i) {
  struct fresh_load* load = arg;
  void* handle = dlopen(load->copies[i], load->flags);
  if (handle != NULL) dlclose(handle);
}

/* NULL when the plugin is what the name says (the same checks as bench_loaders.cpp). */
static const char* plugin_problem(const char* path, const char* variant, int count, char* why,
                                  size_t size) {
  struct probe_elf_facts facts;
  char prefix[32];
  snprintf(prefix, sizeof prefix, "sym%d_fn_", count);
  if (!probe_read_elf(path, prefix, &facts)) return snprintf(why, size, "%s", facts.error), why;
  const int gnu = strcmp(variant, "sysv") != 0;
  const int sysv = strcmp(variant, "sysv") == 0 || strcmp(variant, "both") == 0;
  const int symbolic = strcmp(variant, "symbolic") == 0;
  if (facts.defined_with_prefix != (unsigned long)count)
    return snprintf(why, size, "%s: %lu exported %s* functions, not %d", path,
                    facts.defined_with_prefix, prefix, count),
           why;
  if (facts.has_gnu_hash != gnu || facts.has_hash != sysv)
    return snprintf(why, size, "%s: DT_GNU_HASH %d, DT_HASH %d: not the %s variant", path,
                    facts.has_gnu_hash, facts.has_hash, variant),
           why;
  if (facts.symbolic != symbolic) return snprintf(why, size, "%s: DF_SYMBOLIC wrong", path), why;
  if (facts.relocations < (unsigned long)count)
    return snprintf(why, size, "%s: %lu data relocations", path, facts.relocations), why;
  if (!symbolic && facts.plt_relocations < (unsigned long)(count - 1))
    return snprintf(why, size, "%s: %lu jump slots", path, facts.plt_relocations), why;
  return NULL;
}

/* NULL when a load of path runs the whole call chain of its count functions. */
static const char* call_problem(void* handle, int count, char* why, size_t size) {
  char name[32];
  snprintf(name, sizeof name, "sym%d_fn_0", count);
  /* ISO C has no conversion from void* to a function pointer; POSIX guarantees the
   * representation, so copy it. */
  void* address = dlsym(handle, name);
  int (*first)(int) = NULL;
  memcpy(&first, &address, sizeof first);
  if (first == NULL) return snprintf(why, size, "dlsym(%s): %s", name, dlerror()), why;
  const int got = first(count - 1);
  if (got != 2 * (count - 1))
    return snprintf(why, size, "the call chain returned %d, not %d", got, 2 * (count - 1)), why;
  return NULL;
}

static int iterations_for(int count) {
  int k = count <= 100    ? iterations_base
          : count <= 1000 ? iterations_base / 4
                          : iterations_base / 16;
  return k < 2 ? 2 : k;
}

static void bench_load(const char* mode, int flags, const char* variant, int count) {
  char name[96], path[160], why[256];
  snprintf(name, sizeof name, "Load/musl/%s/%s/%d", mode, variant, count);
  struct row* r = new_row(name);
  plugin_path(path, sizeof path, variant, count);
  if (plugin_problem(path, variant, count, why, sizeof why)) {
    fail(r, why, NULL);
    return;
  }
  /* One copy per timed iteration, kCountedLoads more for the counters, one for the check. */
  const int timed = iterations_for(count), total = timed + kCountedLoads + 1;
  struct fresh_load load = {calloc((size_t)total, sizeof *load.copies), flags | RTLD_LOCAL};
  if (load.copies == NULL) {
    fail(r, "out of memory", NULL);
    return;
  }
  for (int i = 0; i < total; ++i) {
    snprintf(load.copies[i], sizeof load.copies[i], "%s/%s_%s_%d_%d.so", scratch_dir, mode, variant,
             count, i);
    if (copy_file(path, load.copies[i]) != 0) {
      free(load.copies);
      fail(r, "copy", path);
      return;
    }
  }
  void* check = dlopen(load.copies[total - 1], RTLD_NOW | RTLD_LOCAL);
  if (check == NULL) {
    free(load.copies);
    fail(r, "dlopen", dlerror());
    return;
  }
  if (call_problem(check, count, why, sizeof why)) {
    free(load.copies);
    fail(r, why, NULL);
    return;
  }
  time_fixed(r, load_copy, &load, timed);
  count_loads(r, load_copy, &load, timed);
  for (int i = 0; i < total; ++i) unlink(load.copies[i]);
  free(load.copies);
}

/* ---- Floor-musl/N: the floor in this process, for the ratio inside one run. ---- */

static void floor_once(void* arg, int i) {
  (void)i;
  probe_floor_map(arg);
}

static void bench_floor(int count) {
  char name[96], path[160];
  snprintf(name, sizeof name, "Floor-musl/%d", count);
  struct row* r = new_row(name);
  plugin_path(path, sizeof path, "gnu", count);
  if (probe_floor_map(path) != 0) {
    fail(r, "the floor could not map", path);
    return;
  }
  time_for(r, floor_once, path);
  count_loads(r, floor_once, path, 0);
}

/* ---- LoadLoaded/musl/10: dlopen of a path already loaded. ---- */

static void open_loaded(void* arg, int i) {
  (void)i;
  void* handle = dlopen(arg, RTLD_NOW | RTLD_LOCAL);
  if (handle != NULL) dlclose(handle);
}

static void bench_loaded(void) {
  char path[160];
  struct row* r = new_row("LoadLoaded/musl/10");
  plugin_path(path, sizeof path, "gnu", 10);
  void* held = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (held == NULL) {
    fail(r, "dlopen", dlerror());
    return;
  }
  if (dlopen(path, RTLD_NOW | RTLD_LOCAL) != held) {
    fail(r, "a second dlopen gave another handle", NULL);
    return;
  }
  time_for(r, open_loaded, path);
  count_loads(r, open_loaded, path, 0);
}

/* ---- Fail/musl/WHAT: a failing dlopen and dlerror, with musl's message for it. ---- */

static void open_failing(void* arg, int i) {
  (void)i;
  if (dlopen(arg, RTLD_NOW | RTLD_LOCAL) == NULL) dlerror();
}

static void bench_fail(const char* what, const char* path, const char* expected) {
  char name[96];
  snprintf(name, sizeof name, "Fail/musl/%s", what);
  struct row* r = new_row(name);
  if (dlopen(path, RTLD_NOW | RTLD_LOCAL) != NULL) {
    fail(r, "loaded", path);
    return;
  }
  const char* message = dlerror();
  if (message == NULL || strstr(message, expected) == NULL) {
    fail(r, "dlerror() does not say the expected", message ? message : "(none)");
    return;
  }
  time_for(r, open_failing, (void*)path);
  count_loads(r, open_failing, (void*)path, 0);
}

/* ---- Dlsym/musl/{handle,default}/{hit,miss}/N ---- */

struct lookup {
  void* scope;
  char name[48];
};

static void look_up(void* arg, int i) {
  (void)i;
  struct lookup* l = arg;
  void* volatile address = dlsym(l->scope, l->name);
  (void)address;
}

static void bench_dlsym(int by_handle, int hit, int count) {
  char name[96], path[160];
  snprintf(name, sizeof name, "Dlsym/musl/%s/%s/%d", by_handle ? "handle" : "default",
           hit ? "hit" : "miss", count);
  struct row* r = new_row(name);
  plugin_path(path, sizeof path, "gnu", count);
  void* handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (handle == NULL) {
    fail(r, "dlopen", dlerror());
    return;
  }
  struct lookup l = {by_handle ? handle : RTLD_DEFAULT, ""};
  if (hit)
    snprintf(l.name, sizeof l.name, "sym%d_fn_%d", count, count / 2);
  else
    snprintf(l.name, sizeof l.name, "sym%d_fn_absent", count);
  char table_name[32];
  snprintf(table_name, sizeof table_name, "sym%d_table", count);
  void* const* table = dlsym(handle, table_name);
  void* expected = hit && table != NULL ? table[count / 2] : NULL;
  if (dlsym(l.scope, l.name) != expected || (hit && expected == NULL)) {
    fail(r, "dlsym did not give the table's entry", l.name);
    return;
  }
  time_for(r, look_up, &l);
}

/* ---- Crowd/musl/{open,dlsym-default-hit,dlsym-default-miss}/N, N objects loaded first. ---- */

static void bench_crowd(int n) {
  char name[96], path[160], why[256], member[160];
  /* The crowd: n copies of the small object, RTLD_GLOBAL. */
  snprintf(member, sizeof member, "%s/libmusl_crowd.so", plugins_dir);
  struct row* open_row;
  snprintf(name, sizeof name, "Crowd/musl/open/%d", n);
  open_row = new_row(name);
  snprintf(name, sizeof name, "Crowd/musl/dlsym-default-hit/%d", n);
  struct row* hit_row = new_row(name);
  snprintf(name, sizeof name, "Crowd/musl/dlsym-default-miss/%d", n);
  struct row* miss_row = new_row(name);
  for (int i = 0; i < n; ++i) {
    char copy[160];
    snprintf(copy, sizeof copy, "%s/crowd_%d.so", scratch_dir, i);
    if (copy_file(member, copy) != 0) {
      fail(open_row, "copy", member);
      return;
    }
    void* handle = dlopen(copy, RTLD_NOW | RTLD_GLOBAL);
    unlink(copy);
    if (handle == NULL) {
      fail(open_row, "the crowd did not load", dlerror());
      return;
    }
  }
  /* One more plugin, fresh copies each iteration (as Load). */
  plugin_path(path, sizeof path, "gnu", kCrowdTargetSymbols);
  const int timed = iterations_base, total = timed + kCountedLoads + 1;
  struct fresh_load load = {calloc((size_t)total, sizeof *load.copies), RTLD_NOW | RTLD_LOCAL};
  if (load.copies == NULL) {
    fail(open_row, "out of memory", NULL);
    return;
  }
  for (int i = 0; i < total; ++i) {
    snprintf(load.copies[i], sizeof load.copies[i], "%s/target_%d.so", scratch_dir, i);
    if (copy_file(path, load.copies[i]) != 0) {
      free(load.copies);
      fail(open_row, "copy", path);
      return;
    }
  }
  /* The last copy is loaded RTLD_GLOBAL after the crowd: the lookups' target. */
  void* target = dlopen(load.copies[total - 1], RTLD_NOW | RTLD_GLOBAL);
  if (target == NULL) {
    free(load.copies);
    fail(open_row, "dlopen", dlerror());
    return;
  }
  if (call_problem(target, kCrowdTargetSymbols, why, sizeof why)) {
    free(load.copies);
    fail(open_row, why, NULL);
    return;
  }
  time_fixed(open_row, load_copy, &load, timed);
  count_loads(open_row, load_copy, &load, timed);
  for (int i = 0; i < total; ++i) unlink(load.copies[i]);
  free(load.copies);

  struct lookup hit = {RTLD_DEFAULT, ""}, miss = {RTLD_DEFAULT, "bench_absent_name"};
  snprintf(hit.name, sizeof hit.name, "sym%d_fn_%d", kCrowdTargetSymbols, kCrowdTargetSymbols / 2);
  void* expected = dlsym(target, hit.name);
  if (expected == NULL || dlsym(RTLD_DEFAULT, hit.name) != expected)
    fail(hit_row, "dlsym(RTLD_DEFAULT) is not the plugin's", hit.name);
  else
    time_for(hit_row, look_up, &hit);
  if (dlsym(RTLD_DEFAULT, miss.name) != NULL)
    fail(miss_row, "dlsym(RTLD_DEFAULT) found", miss.name);
  else
    time_for(miss_row, look_up, &miss);
}

/* ---- The order of a run, and the output. ---- */

struct job {
  int kind; /* 0 load, 1 floor, 2 loaded, 3 fail, 4 dlsym */
  int a, b, c;
};

static void run_job(const struct job* job) {
  static const char* const modes[] = {"now", "lazy"};
  static const int mode_flags[] = {RTLD_NOW, RTLD_LAZY};
  char path[160], gone[200];
  switch (job->kind) {
    case 0: bench_load(modes[job->a], mode_flags[job->a], variants[job->b], job->c); break;
    case 1: bench_floor(job->c); break;
    case 2: bench_loaded(); break;
    case 3:
      if (job->a == 0) {
        bench_fail("enoent", "/nonexistent/dldoctor-bench/libabsent.so",
                   "/nonexistent/dldoctor-bench/libabsent.so: No such file or directory");
      } else if (job->a == 1) {
        bench_fail("bare-name", "libdldoctor_bench_absent.so",
                   "libdldoctor_bench_absent.so: No such file or directory");
      } else {
        snprintf(path, sizeof path, "%s/libmusl_missing_dep.so", plugins_dir);
        snprintf(gone, sizeof gone, "libmusl_gone.so: No such file or directory");
        bench_fail("missing-dependency", path, gone);
      }
      break;
    case 4: bench_dlsym(job->a, job->b, job->c); break;
    default: break;
  }
}

static void shuffle(struct job* jobs, int n) {
  srand((unsigned)(getpid() ^ (unsigned)now_ns(CLOCK_MONOTONIC)));
  for (int i = n - 1; i > 0; --i) {
    const int j = rand() % (i + 1);
    struct job t = jobs[i];
    jobs[i] = jobs[j];
    jobs[j] = t;
  }
}

/* Where this process's loader is: PT_INTERP of /proc/self/exe, and whether musl's libc (which
 * is musl's loader) is mapped. The JSON carries both; check_quick.py requires musl. */
static int musl_mapped(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) return 0;
  char line[512];
  int found = 0;
  while (fgets(line, sizeof line, maps) != NULL)
    if (strstr(line, "ld-musl") != NULL || strstr(line, "linux-musl/libc.so") != NULL) found = 1;
  fclose(maps);
  return found;
}

static void json_string(FILE* out, const char* s) {
  fputc('"', out);
  for (; *s; ++s) {
    if (*s == '"' || *s == '\\')
      fprintf(out, "\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      fprintf(out, "\\u%04x", *s);
    else
      fputc(*s, out);
  }
  fputc('"', out);
}

static int write_json(const char* file, const char* group) {
  FILE* out = fopen(file, "w");
  if (out == NULL) return -1;
  struct probe_elf_facts self;
  probe_read_elf("/proc/self/exe", "", &self);
  fprintf(out, "{\"context\": {\"loader\": \"musl\", \"group\": ");
  json_string(out, group);
  fprintf(out, ", \"interp\": ");
  json_string(out, self.ok ? self.interp : "");
  fprintf(out, ", \"musl_mapped\": %s},\n \"benchmarks\": [", musl_mapped() ? "true" : "false");
  for (int i = 0; i < row_count; ++i) {
    const struct row* r = &rows[i];
    fprintf(out, "%s\n  {\"name\": ", i ? "," : "");
    json_string(out, r->name);
    fprintf(out, ", \"run_name\": ");
    json_string(out, r->name);
    fprintf(out,
            ", \"run_type\": \"iteration\", \"iterations\": %ld, \"real_time\": %.3f, "
            "\"cpu_time\": %.3f, \"time_unit\": \"ns\"",
            r->iterations, r->real_ns, r->cpu_ns);
    if (r->counted) {
      if (r->syscalls >= 0) fprintf(out, ", \"syscalls\": %.3f", r->syscalls);
      fprintf(out, ", \"faults\": %.3f", r->faults);
    }
    if (r->error[0]) {
      fprintf(out, ", \"error_occurred\": true, \"error_message\": ");
      json_string(out, r->error);
    }
    fputc('}', out);
  }
  fprintf(out, "\n]}\n");
  return fclose(out);
}

int main(int argc, char** argv) {
  const char* group = NULL;
  const char* out = NULL;
  int crowd = -1;
  int usage = 0;
  for (int i = 1; i < argc && !usage; ++i) {
    const char* value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--large") == 0) {
      symbol_count_number = sizeof symbol_counts / sizeof symbol_counts[0];
      continue;
    }
    if (value == NULL) {
      usage = 1;
    } else if (strcmp(argv[i], "--plugins") == 0) {
      plugins_dir = value;
    } else if (strcmp(argv[i], "--group") == 0) {
      group = value;
    } else if (strcmp(argv[i], "--crowd") == 0) {
      crowd = atoi(value);
    } else if (strcmp(argv[i], "--iterations") == 0) {
      iterations_base = atoi(value);
    } else if (strcmp(argv[i], "--min-time") == 0) {
      min_time = atof(value);
    } else if (strcmp(argv[i], "--out") == 0) {
      out = value;
    } else {
      usage = 1;
    }
    ++i;
  }
  if (usage || plugins_dir == NULL || group == NULL || out == NULL ||
      (strcmp(group, "crowd") == 0 && crowd < 0)) {
    fprintf(stderr,
            "usage: %s --plugins DIR --group load|lookup|crowd [--crowd N] [--iterations K] "
            "[--min-time SECONDS] [--large] --out FILE.json\n",
            argv[0]);
    return 2;
  }
  snprintf(scratch_dir, sizeof scratch_dir, "/tmp/dldoctor-bench-musl-XXXXXX");
  if (mkdtemp(scratch_dir) == NULL) {
    perror("musl_driver: mkdtemp");
    return 2;
  }
  struct job jobs[160];
  int n = 0;
  if (strcmp(group, "load") == 0) {
    for (unsigned s = 0; s < symbol_count_number; ++s) {
      for (int v = 0; v < 4; ++v)
        for (int m = 0; m < 2; ++m) jobs[n++] = (struct job){0, m, v, symbol_counts[s]};
      jobs[n++] = (struct job){1, 0, 0, symbol_counts[s]};
    }
    jobs[n++] = (struct job){2, 0, 0, 0};
    for (int f = 0; f < 3; ++f) jobs[n++] = (struct job){3, f, 0, 0};
  } else if (strcmp(group, "lookup") == 0) {
    for (unsigned s = 0; s < symbol_count_number; ++s)
      for (int h = 1; h >= 0; --h)
        for (int k = 1; k >= 0; --k) jobs[n++] = (struct job){4, h, k, symbol_counts[s]};
  }
  shuffle(jobs, n);
  for (int i = 0; i < n; ++i) run_job(&jobs[i]);
  if (strcmp(group, "crowd") == 0) bench_crowd(crowd);
  rmdir(scratch_dir);
  if (write_json(out, group) != 0) {
    fprintf(stderr, "musl_driver: cannot write %s: %s\n", out, strerror(errno));
    return 2;
  }
  return 0;
}
