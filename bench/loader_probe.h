/* loader_probe.h: what the loader benchmarks need besides the loader, shared by the glibc host
 * (bench_loaders.cpp, C++) and the musl driver (musl_driver.c, C): the facts a benchmark checks
 * about its plugin before timing it (dynamic symbols, hash tables, relocations, PT_INTERP), the
 * floor (the system calls any loader must make to map the file), and the per-load counters
 * (system calls, page faults). Header-only and C, so that musl-gcc builds it with no glibc
 * header. Reads ELF with <elf.h> over a private mapping of the file: the suite's ELF view
 * (lib/src/elf) is C++ over libelf, which a musl program cannot link. */
#ifndef DLDOCTOR_BENCH_LOADER_PROBE_H
#define DLDOCTOR_BENCH_LOADER_PROBE_H

#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a plugin file says of itself, from its section and program headers. */
struct probe_elf_facts {
  int ok; /* 0: not a readable 64-bit ELF file (error says why) */
  char error[160];
  unsigned long dynsym;              /* entries of .dynsym, the null entry included */
  unsigned long defined_with_prefix; /* defined STT_FUNC entries of .dynsym named PREFIX... */
  int has_hash;                      /* DT_HASH (SysV) */
  int has_gnu_hash;                  /* DT_GNU_HASH */
  int symbolic;                      /* DT_SYMBOLIC, or DF_SYMBOLIC in DT_FLAGS */
  unsigned long needed;              /* DT_NEEDED entries */
  unsigned long relocations;         /* DT_RELASZ / DT_RELAENT */
  unsigned long plt_relocations;     /* DT_PLTRELSZ / sizeof(Elf64_Rela) */
  unsigned long load_segments;       /* PT_LOAD entries */
  char interp[128];                  /* PT_INTERP, "" when none */
};

static inline int probe_fail(struct probe_elf_facts* facts, const char* path, const char* why) {
  facts->ok = 0;
  snprintf(facts->error, sizeof facts->error, "%s: %s", path, why);
  return 0;
}

/* Fills facts from path; prefix names the functions counted in defined_with_prefix ("" counts
 * none). Returns facts->ok. Every offset is checked against the file's size: a truncated file
 * gives an error, not a crash. */
static inline int probe_read_elf(const char* path, const char* prefix,
                                 struct probe_elf_facts* facts) {
  memset(facts, 0, sizeof *facts);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return probe_fail(facts, path, "cannot open");
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
    close(fd);
    return probe_fail(facts, path, "shorter than an ELF header");
  }
  const size_t size = (size_t)st.st_size;
  const unsigned char* base = (const unsigned char*)mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (base == MAP_FAILED) return probe_fail(facts, path, "cannot map");
  const Elf64_Ehdr* ehdr = (const Elf64_Ehdr*)base;
  if (memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0 || ehdr->e_ident[EI_CLASS] != ELFCLASS64) {
    munmap((void*)base, size);
    return probe_fail(facts, path, "not a 64-bit ELF file");
  }
  if (ehdr->e_phoff > size || ehdr->e_phnum > (size - ehdr->e_phoff) / sizeof(Elf64_Phdr) ||
      ehdr->e_shoff > size || ehdr->e_shnum > (size - ehdr->e_shoff) / sizeof(Elf64_Shdr)) {
    munmap((void*)base, size);
    return probe_fail(facts, path, "header tables past the end of the file");
  }
  const Elf64_Phdr* phdrs = (const Elf64_Phdr*)(base + ehdr->e_phoff);
  for (unsigned i = 0; i < ehdr->e_phnum; ++i) {
    const Elf64_Phdr* ph = &phdrs[i];
    if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset) continue;
    if (ph->p_type == PT_LOAD) ++facts->load_segments;
    if (ph->p_type == PT_INTERP) {
      size_t n = ph->p_filesz < sizeof facts->interp ? ph->p_filesz : sizeof facts->interp - 1;
      memcpy(facts->interp, base + ph->p_offset, n);
      facts->interp[sizeof facts->interp - 1] = '\0';
    }
    if (ph->p_type == PT_DYNAMIC) {
      const Elf64_Dyn* dyn = (const Elf64_Dyn*)(base + ph->p_offset);
      const size_t count = ph->p_filesz / sizeof(Elf64_Dyn);
      unsigned long relasz = 0, relaent = sizeof(Elf64_Rela);
      for (size_t d = 0; d < count && dyn[d].d_tag != DT_NULL; ++d) {
        switch (dyn[d].d_tag) {
          case DT_HASH: facts->has_hash = 1; break;
          case DT_GNU_HASH: facts->has_gnu_hash = 1; break;
          case DT_SYMBOLIC: facts->symbolic = 1; break;
          case DT_FLAGS:
            if (dyn[d].d_un.d_val & DF_SYMBOLIC) facts->symbolic = 1;
            break;
          case DT_NEEDED: ++facts->needed; break;
          case DT_RELASZ: relasz = dyn[d].d_un.d_val; break;
          case DT_RELAENT: relaent = dyn[d].d_un.d_val ? dyn[d].d_un.d_val : relaent; break;
          case DT_PLTRELSZ: facts->plt_relocations = dyn[d].d_un.d_val / sizeof(Elf64_Rela); break;
          default: break;
        }
      }
      facts->relocations = relasz / relaent;
    }
  }
  const Elf64_Shdr* shdrs = (const Elf64_Shdr*)(base + ehdr->e_shoff);
  const size_t prefix_length = strlen(prefix);
  for (unsigned i = 0; i < ehdr->e_shnum; ++i) {
    const Elf64_Shdr* sh = &shdrs[i];
    if (sh->sh_type != SHT_DYNSYM || sh->sh_entsize != sizeof(Elf64_Sym)) continue;
    if (sh->sh_offset > size || sh->sh_size > size - sh->sh_offset || sh->sh_link >= ehdr->e_shnum)
      break;
    const Elf64_Shdr* strtab = &shdrs[sh->sh_link];
    if (strtab->sh_offset > size || strtab->sh_size > size - strtab->sh_offset) break;
    const char* names = (const char*)(base + strtab->sh_offset);
    const Elf64_Sym* syms = (const Elf64_Sym*)(base + sh->sh_offset);
    facts->dynsym = sh->sh_size / sizeof(Elf64_Sym);
    for (unsigned long s = 0; s < facts->dynsym; ++s) {
      if (syms[s].st_shndx == SHN_UNDEF || ELF64_ST_TYPE(syms[s].st_info) != STT_FUNC) continue;
      if (syms[s].st_name >= strtab->sh_size || prefix_length == 0) continue;
      const char* name = names + syms[s].st_name;
      if (strnlen(name, strtab->sh_size - syms[s].st_name) >= prefix_length &&
          strncmp(name, prefix, prefix_length) == 0)
        ++facts->defined_with_prefix;
    }
  }
  munmap((void*)base, size);
  facts->ok = 1;
  return 1;
}

/* The floor: what any loader must do to bring the file into memory, and nothing a loader does
 * beyond it (no relocation, no symbol lookup, no page touched). open, read of the ELF and
 * program headers, fstat (glibc's and musl's loaders both fstat, for the device and inode that
 * tell an already-loaded file), one mapping reserving the whole span then each PT_LOAD mapped
 * over it with its own protection (as both loaders map segments), the span unmapped, close.
 * Returns 0, or -1 at the first failing call. */
static inline int probe_floor_map(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  /* 832 bytes: what glibc's loader reads first, enough for the headers of a small library. */
  union {
    Elf64_Ehdr ehdr;
    unsigned char bytes[832];
  } header;
  ssize_t got = pread(fd, header.bytes, sizeof header.bytes, 0);
  struct stat st;
  if (got < (ssize_t)sizeof(Elf64_Ehdr) || fstat(fd, &st) != 0) {
    close(fd);
    return -1;
  }
  Elf64_Phdr phdrs[16];
  const size_t phnum = header.ehdr.e_phnum < 16 ? header.ehdr.e_phnum : 16;
  const size_t phsize = phnum * sizeof(Elf64_Phdr);
  if (header.ehdr.e_phoff + phsize <= (size_t)got) {
    memcpy(phdrs, header.bytes + header.ehdr.e_phoff, phsize);
  } else if (pread(fd, phdrs, phsize, (off_t)header.ehdr.e_phoff) != (ssize_t)phsize) {
    close(fd);
    return -1;
  }
  const uintptr_t page = 4096;
  uintptr_t low = UINTPTR_MAX, high = 0;
  for (size_t i = 0; i < phnum; ++i) {
    if (phdrs[i].p_type != PT_LOAD) continue;
    if (phdrs[i].p_vaddr < low) low = phdrs[i].p_vaddr & ~(page - 1);
    if (phdrs[i].p_vaddr + phdrs[i].p_memsz > high) high = phdrs[i].p_vaddr + phdrs[i].p_memsz;
  }
  if (low >= high) {
    close(fd);
    return -1;
  }
  const size_t span = (high - low + page - 1) & ~(page - 1);
  unsigned char* start = (unsigned char*)mmap(NULL, span, PROT_NONE, MAP_PRIVATE, fd, 0);
  int status = start == MAP_FAILED ? -1 : 0;
  for (size_t i = 0; status == 0 && i < phnum; ++i) {
    const Elf64_Phdr* ph = &phdrs[i];
    if (ph->p_type != PT_LOAD) continue;
    const uintptr_t offset = ph->p_offset & ~(page - 1);
    const uintptr_t vaddr = ph->p_vaddr & ~(page - 1);
    const size_t length = ph->p_filesz + (ph->p_vaddr - vaddr);
    const int prot = ((ph->p_flags & PF_R) ? PROT_READ : 0) |
                     ((ph->p_flags & PF_W) ? PROT_WRITE : 0) |
                     ((ph->p_flags & PF_X) ? PROT_EXEC : 0);
    if (mmap(start + (vaddr - low), length, prot, MAP_PRIVATE | MAP_FIXED, fd, (off_t)offset) ==
        MAP_FAILED)
      status = -1;
  }
  if (start != MAP_FAILED) munmap(start, span);
  close(fd);
  return status;
}

/* Per-load counters. System calls: a perf_event_open counter of the raw_syscalls:sys_enter
 * tracepoint on this thread (software counters have no system-call event); -1 when the kernel
 * refuses it (perf_event_paranoid, a container's seccomp) or tracefs is not mounted. Page
 * faults: getrusage's minor and major faults of this process. */
/* perf_event_open's ABI, its first version (PERF_ATTR_SIZE_VER0, 64 bytes: the kernel accepts
 * any published size), declared here because musl-gcc's include path has no <linux/...>
 * headers. */
struct probe_perf_attr {
  uint32_t type;
  uint32_t size;
  uint64_t config;
  uint64_t sample_period;
  uint64_t sample_type;
  uint64_t read_format;
  uint64_t flags; /* bit 0: disabled */
  uint32_t wakeup_events;
  uint32_t bp_type;
  uint64_t config1;
};
enum {
  PROBE_PERF_TYPE_TRACEPOINT = 2,
  PROBE_PERF_IOC_ENABLE = 0x2400,  /* _IO('$', 0) */
  PROBE_PERF_IOC_DISABLE = 0x2401, /* _IO('$', 1) */
  PROBE_PERF_IOC_RESET = 0x2403,   /* _IO('$', 3) */
};

struct probe_counters {
  int syscall_fd; /* -1: system calls are not counted */
};

static inline long probe_tracepoint_id(void) {
  const char* paths[] = {"/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
                         "/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id"};
  for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; ++i) {
    FILE* f = fopen(paths[i], "r");
    if (f == NULL) continue;
    long id = -1;
    if (fscanf(f, "%ld", &id) != 1) id = -1;
    fclose(f);
    if (id >= 0) return id;
  }
  return -1;
}

static inline void probe_counters_open(struct probe_counters* counters) {
  counters->syscall_fd = -1;
  const long id = probe_tracepoint_id();
  if (id < 0) return;
  struct probe_perf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PROBE_PERF_TYPE_TRACEPOINT;
  attr.config = (uint64_t)id;
  attr.flags = 1; /* disabled until probe_begin */
  counters->syscall_fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static inline void probe_counters_close(struct probe_counters* counters) {
  if (counters->syscall_fd >= 0) close(counters->syscall_fd);
  counters->syscall_fd = -1;
}

/* A counted span: system calls (or -1) and page faults between begin and end. */
struct probe_span {
  long long syscalls;
  long long faults;
};

static inline long long probe_faults_now(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (long long)usage.ru_minflt + (long long)usage.ru_majflt;
}

static inline void probe_begin(const struct probe_counters* counters, struct probe_span* span) {
  if (counters->syscall_fd >= 0) {
    ioctl(counters->syscall_fd, PROBE_PERF_IOC_RESET, 0);
    ioctl(counters->syscall_fd, PROBE_PERF_IOC_ENABLE, 0);
  }
  span->faults = probe_faults_now();
}

static inline void probe_end(const struct probe_counters* counters, struct probe_span* span) {
  /* getrusage first and the counter stopped after it: both the span's own calls (this getrusage
   * and the disabling ioctl) are counted, and probe_calibrate subtracts them. */
  const long long faults = probe_faults_now();
  span->syscalls = -1;
  if (counters->syscall_fd >= 0) {
    ioctl(counters->syscall_fd, PROBE_PERF_IOC_DISABLE, 0);
    uint64_t value = 0;
    if (read(counters->syscall_fd, &value, sizeof value) == (ssize_t)sizeof value)
      span->syscalls = (long long)value;
  }
  span->faults = faults - span->faults;
}

/* The system calls an empty span counts (its own getrusage and ioctls). */
static inline long long probe_calibrate(const struct probe_counters* counters) {
  struct probe_span span;
  probe_begin(counters, &span);
  probe_end(counters, &span);
  return span.syscalls;
}

#ifdef __cplusplus
}
#endif

#endif
