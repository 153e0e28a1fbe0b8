/* <dldoctor/plugin.h>: what a plugin says about itself, for a host to read before it loads it.
 *
 * A plugin (C or C++) includes this header and says, once, which API it was built for:
 *
 *     #include <dldoctor/plugin.h>
 *     DLDOCTOR_PLUGIN_API("org.example.greeter", 2, 1);   // name, major, minor
 *
 * The macro defines no function and no symbol that anyone calls: it places an ELF note in the
 * plugin's PT_NOTE segment (the section .note.dldoctor), which the loader maps read-only and never
 * reads. `dldoctor check plugin.so --api org.example.greeter=2.0..2` and
 * dldoctor::Library::open_checked read it from the file *before* dlopen, as Qt reads a plugin's
 * metadata without loading it, and refuse a plugin built for another API version, instead of the
 * host calling into code built against structures that have since changed.
 * There is nothing to link: this header is all of it.
 *
 * The note format, stable once published (every field in the plugin's byte order):
 *
 *     Elf_Nhdr { n_namesz = 9, n_descsz, n_type }   "dldoctor\0" padded to 12 bytes, then desc,
 *     4-byte aligned as the gABI's notes are.
 *
 *     n_type DLDOCTOR_NOTE_API (0x4c440001: "DL", 1; a value no other note owner's tools
 *         misname): the API the plugin was built for, at most one per plugin
 *         desc: uint32 format (DLDOCTOR_NOTE_FORMAT, 1), uint32 major, uint32 minor,
 *               char name[] (NUL-terminated; padding NULs may follow)
 *     n_type 0x4c440002 and 0x4c440003 are reserved for signature descriptors (a function's
 *         type as text and the layout of the types it passes) and struct layout fingerprints:
 *         readers skip the types they do not know, so a plugin with newer notes still reads.
 *
 * The version rule a host states (dldoctor's --api NAME=MIN..MAX): MIN and MAX are MAJOR or
 * MAJOR.MINOR, both included; a bound without a minor compares the major only (2..2 accepts 2.0
 * through 2.x; 2.1..2 accepts 2.1 and later 2.x).
 */
#ifndef DLDOCTOR_PLUGIN_H
#define DLDOCTOR_PLUGIN_H

#include <stdint.h>

#define DLDOCTOR_NOTE_OWNER "dldoctor"
#define DLDOCTOR_NOTE_FORMAT 1u
#define DLDOCTOR_NOTE_API 0x4c440001u

/* Allocated (so that the linker puts it in a PT_NOTE segment, readable from a stripped file
 * through its program headers alone), kept by --gc-sections and LTO (used; retain where the
 * compiler has it), 4-byte aligned as a note must be. */
#if defined(__has_attribute)
#if __has_attribute(retain)
#define DLDOCTOR_NOTE_RETAIN_ __attribute__((retain))
#endif
#endif
#ifndef DLDOCTOR_NOTE_RETAIN_
#define DLDOCTOR_NOTE_RETAIN_
#endif
#define DLDOCTOR_NOTE_SECTION_ \
  __attribute__((section(".note.dldoctor"), used, aligned(4))) DLDOCTOR_NOTE_RETAIN_

/* DLDOCTOR_PLUGIN_API(name, major, minor): name is a string literal (a reverse domain name is
 * the custom: "org.example.greeter"), major and minor integer constants. At file scope, once per
 * plugin: a second use in the same file does not compile. */
#define DLDOCTOR_PLUGIN_API(name, major, minor)                                             \
  typedef struct {                                                                          \
    uint32_t format, major_version, minor_version;                                          \
    char api[sizeof(name)];                                                                 \
  } dldoctor_plugin_api_desc_;                                                              \
  DLDOCTOR_NOTE_SECTION_ static const struct {                                              \
    uint32_t namesz, descsz, type;                                                          \
    char owner[12];                                                                         \
    dldoctor_plugin_api_desc_ desc;                                                         \
  } dldoctor_plugin_api_note_ = {sizeof(DLDOCTOR_NOTE_OWNER), sizeof(dldoctor_plugin_api_desc_), \
                                 DLDOCTOR_NOTE_API, DLDOCTOR_NOTE_OWNER,                    \
                                 {DLDOCTOR_NOTE_FORMAT, (major), (minor), name}}

#endif /* DLDOCTOR_PLUGIN_H */
