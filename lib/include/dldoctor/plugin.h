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
 *     n_type DLDOCTOR_NOTE_SIGNATURE (0x4c440002): a function's type, one note per function
 *         desc: uint32 format (1), uint32 count (parameters as written; "void" is one, of
 *               size 0), uint32 flags (0), then 2 * (1 + count) uint32: the size and alignment
 *               of the return type (0, 0 for void) and of each parameter, in order (a reference
 *               counts as the pointer it is passed as), then char symbol[] and char text[],
 *               each NUL-terminated: the name and the type as written, "int(int, int)"
 *     n_type DLDOCTOR_NOTE_STRUCT (0x4c440003): the layout of a structure the API passes
 *         desc: uint32 format (1), uint32 size, uint32 alignment, uint32 count, then
 *               2 * count uint32: each field's offset and size, in order, then char type[]
 *               ("struct greeting") and the field names, each NUL-terminated
 *     Readers skip the types they do not know, so a plugin with newer notes still reads.
 *
 * Two more declarations, for the signature check (dldoctor check --signature, --host, and
 * Library::lookup<T>), checked by the compiler where they are written, so they cannot lie:
 *
 *     int add(int a, int b) { return a + b; }
 *     DLDOCTOR_SIGNATURE(int, add, int, int);      // return type, name, parameter types
 *     DLDOCTOR_SIGNATURE(void, reset, void);       // no parameters: void, as in C
 *     DLDOCTOR_STRUCT(struct greeting, api_major, flags, answer);   // type, its fields
 *
 * DLDOCTOR_SIGNATURE does not compile unless name is a function of that type (for an extern "C"
 * function: the name a host gives dlsym); a parameter type with a comma of its own (a function
 * pointer, a template) needs a typedef; a variadic function cannot be described. DLDOCTOR_STRUCT
 * records the size, the alignment and each named field's offset and size (no bit-fields): a
 * host and a plugin that both describe a structure are compared field by field. Up to 16
 * parameters and 32 fields. Requires C11 or C++11, and GCC or Clang.
 *
 * The version rule a host states (dldoctor's --api NAME=MIN..MAX): MIN and MAX are MAJOR or
 * MAJOR.MINOR, both included; a bound without a minor compares the major only (2..2 accepts 2.0
 * through 2.x; 2.1..2 accepts 2.1 and later 2.x).
 */
#ifndef DLDOCTOR_PLUGIN_H
#define DLDOCTOR_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define DLDOCTOR_NOTE_OWNER "dldoctor"
#define DLDOCTOR_NOTE_FORMAT 1u
#define DLDOCTOR_NOTE_API 0x4c440001u
#define DLDOCTOR_NOTE_SIGNATURE 0x4c440002u
#define DLDOCTOR_NOTE_STRUCT 0x4c440003u

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


/* ---- Signatures and structure layouts ---- */

#define DLDOCTOR_CAT2_(a, b) a##b
#define DLDOCTOR_CAT_(a, b) DLDOCTOR_CAT2_(a, b)

/* The number of arguments, 1 to 32. */
#define DLDOCTOR_NTH_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, \
                      _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, \
                      n, ...)                                                                 \
  n
#define DLDOCTOR_COUNT_(...)                                                                     \
  DLDOCTOR_NTH_(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, \
                15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)

/* m(a, x) for each argument x, in order. */
#define DLDOCTOR_EACH_(m, a, ...) \
  DLDOCTOR_CAT_(DLDOCTOR_EACH_, DLDOCTOR_COUNT_(__VA_ARGS__))(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_1(m, a, x) m(a, x)
#define DLDOCTOR_EACH_2(m, a, x, ...) m(a, x) DLDOCTOR_EACH_1(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_3(m, a, x, ...) m(a, x) DLDOCTOR_EACH_2(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_4(m, a, x, ...) m(a, x) DLDOCTOR_EACH_3(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_5(m, a, x, ...) m(a, x) DLDOCTOR_EACH_4(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_6(m, a, x, ...) m(a, x) DLDOCTOR_EACH_5(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_7(m, a, x, ...) m(a, x) DLDOCTOR_EACH_6(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_8(m, a, x, ...) m(a, x) DLDOCTOR_EACH_7(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_9(m, a, x, ...) m(a, x) DLDOCTOR_EACH_8(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_10(m, a, x, ...) m(a, x) DLDOCTOR_EACH_9(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_11(m, a, x, ...) m(a, x) DLDOCTOR_EACH_10(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_12(m, a, x, ...) m(a, x) DLDOCTOR_EACH_11(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_13(m, a, x, ...) m(a, x) DLDOCTOR_EACH_12(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_14(m, a, x, ...) m(a, x) DLDOCTOR_EACH_13(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_15(m, a, x, ...) m(a, x) DLDOCTOR_EACH_14(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_16(m, a, x, ...) m(a, x) DLDOCTOR_EACH_15(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_17(m, a, x, ...) m(a, x) DLDOCTOR_EACH_16(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_18(m, a, x, ...) m(a, x) DLDOCTOR_EACH_17(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_19(m, a, x, ...) m(a, x) DLDOCTOR_EACH_18(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_20(m, a, x, ...) m(a, x) DLDOCTOR_EACH_19(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_21(m, a, x, ...) m(a, x) DLDOCTOR_EACH_20(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_22(m, a, x, ...) m(a, x) DLDOCTOR_EACH_21(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_23(m, a, x, ...) m(a, x) DLDOCTOR_EACH_22(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_24(m, a, x, ...) m(a, x) DLDOCTOR_EACH_23(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_25(m, a, x, ...) m(a, x) DLDOCTOR_EACH_24(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_26(m, a, x, ...) m(a, x) DLDOCTOR_EACH_25(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_27(m, a, x, ...) m(a, x) DLDOCTOR_EACH_26(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_28(m, a, x, ...) m(a, x) DLDOCTOR_EACH_27(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_29(m, a, x, ...) m(a, x) DLDOCTOR_EACH_28(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_30(m, a, x, ...) m(a, x) DLDOCTOR_EACH_29(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_31(m, a, x, ...) m(a, x) DLDOCTOR_EACH_30(m, a, __VA_ARGS__)
#define DLDOCTOR_EACH_32(m, a, x, ...) m(a, x) DLDOCTOR_EACH_31(m, a, __VA_ARGS__)

/* The size and alignment a type is passed with: 0 for void (a return type, or "(void)"), the
 * pointer's for a C++ reference. */
#ifdef __cplusplus
extern "C++" {
template <class T>
struct dldoctor_layout_ {
  static constexpr uint32_t size = sizeof(T), align = alignof(T);
};
template <class T>
struct dldoctor_layout_<T&> {
  static constexpr uint32_t size = sizeof(T*), align = alignof(T*);
};
template <class T>
struct dldoctor_layout_<T&&> {
  static constexpr uint32_t size = sizeof(T*), align = alignof(T*);
};
template <>
struct dldoctor_layout_<void> {
  static constexpr uint32_t size = 0, align = 0;
};
}
#define DLDOCTOR_SIZE_(T) dldoctor_layout_<T>::size
#define DLDOCTOR_ALIGN_(T) dldoctor_layout_<T>::align
/* Compiles only when name, as the code around it sees it, converts to a pointer to this type
 * (for an overloaded name, selects the overload). */
#define DLDOCTOR_SIGNATURE_CHECK_(id, ret, name, ...) \
  [[maybe_unused]] static ret (*const DLDOCTOR_CAT_(id, _check))(__VA_ARGS__) = &name
#else
#define DLDOCTOR_VOID_(T) __builtin_types_compatible_p(T, void)
#define DLDOCTOR_SIZE_(T) (__extension__ __builtin_choose_expr(DLDOCTOR_VOID_(T), 0u, sizeof(T)))
#define DLDOCTOR_ALIGN_(T) \
  (__extension__ __builtin_choose_expr(DLDOCTOR_VOID_(T), 0u, __alignof__(T)))
#define DLDOCTOR_SIGNATURE_CHECK_(id, ret, name, ...)                                   \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&name), ret(*)(__VA_ARGS__)), \
                 "DLDOCTOR_SIGNATURE: " #name " is not " #ret "(" #__VA_ARGS__ ")")
#endif

#define DLDOCTOR_LAYOUT_OF_(unused, T) , DLDOCTOR_SIZE_(T), DLDOCTOR_ALIGN_(T)

#define DLDOCTOR_SIGNATURE(ret, name, ...) \
  DLDOCTOR_SIGNATURE_(DLDOCTOR_CAT_(dldoctor_signature_, name), ret, name, __VA_ARGS__)
#define DLDOCTOR_SIGNATURE_(id, ret, name, ...)                                               \
  DLDOCTOR_SIGNATURE_CHECK_(id, ret, name, __VA_ARGS__);                                      \
  typedef struct {                                                                            \
    uint32_t format, count, flags;                                                            \
    uint32_t layout[2 * (1 + DLDOCTOR_COUNT_(__VA_ARGS__))];                                  \
    char symbol[sizeof(#name)];                                                               \
    char text[sizeof(#ret "(" #__VA_ARGS__ ")")];                                             \
  } DLDOCTOR_CAT_(id, _desc);                                                                 \
  DLDOCTOR_NOTE_SECTION_ static const struct {                                                \
    uint32_t namesz, descsz, type;                                                            \
    char owner[12];                                                                           \
    DLDOCTOR_CAT_(id, _desc) desc;                                                            \
  } DLDOCTOR_CAT_(id, _note) = {                                                              \
      sizeof(DLDOCTOR_NOTE_OWNER),                                                            \
      sizeof(DLDOCTOR_CAT_(id, _desc)),                                                       \
      DLDOCTOR_NOTE_SIGNATURE,                                                                \
      DLDOCTOR_NOTE_OWNER,                                                                    \
      {DLDOCTOR_NOTE_FORMAT,                                                                  \
       DLDOCTOR_COUNT_(__VA_ARGS__),                                                          \
       0,                                                                                     \
       {DLDOCTOR_SIZE_(ret), DLDOCTOR_ALIGN_(ret) DLDOCTOR_EACH_(DLDOCTOR_LAYOUT_OF_, ~, __VA_ARGS__)}, \
       #name,                                                                                 \
       #ret "(" #__VA_ARGS__ ")"}}

/* A field: its offset and size, then (in the names) its name. */
#define DLDOCTOR_FIELD_OF_(type, field) offsetof(type, field), sizeof(((type*)0)->field),
#define DLDOCTOR_FIELD_NAME_(unused, field) #field "\0"

#define DLDOCTOR_STRUCT(struct_type, ...) \
  DLDOCTOR_STRUCT_(DLDOCTOR_CAT_(dldoctor_struct_, __COUNTER__), struct_type, __VA_ARGS__)
#define DLDOCTOR_STRUCT_(id, struct_type, ...)                                                       \
  typedef struct_type DLDOCTOR_CAT_(id, _type);                                                      \
  typedef struct {                                                                            \
    uint32_t format, size, align, count;                                                      \
    uint32_t fields[2 * DLDOCTOR_COUNT_(__VA_ARGS__)];                                        \
    char type_name[sizeof(#struct_type)];                                                            \
    char names[sizeof(DLDOCTOR_EACH_(DLDOCTOR_FIELD_NAME_, ~, __VA_ARGS__))];                    \
  } DLDOCTOR_CAT_(id, _desc);                                                                 \
  DLDOCTOR_NOTE_SECTION_ static const struct {                                                \
    uint32_t namesz, descsz, type;                                                            \
    char owner[12];                                                                           \
    DLDOCTOR_CAT_(id, _desc) desc;                                                            \
  } DLDOCTOR_CAT_(id, _note) = {                                                              \
      sizeof(DLDOCTOR_NOTE_OWNER),                                                            \
      sizeof(DLDOCTOR_CAT_(id, _desc)),                                                       \
      DLDOCTOR_NOTE_STRUCT,                                                                   \
      DLDOCTOR_NOTE_OWNER,                                                                    \
      {DLDOCTOR_NOTE_FORMAT,                                                                  \
       sizeof(struct_type),                                                                          \
       __alignof__(struct_type),                                                                     \
       DLDOCTOR_COUNT_(__VA_ARGS__),                                                          \
       {DLDOCTOR_EACH_(DLDOCTOR_FIELD_OF_, DLDOCTOR_CAT_(id, _type), __VA_ARGS__)},                                     \
       #struct_type,                                                                                 \
       DLDOCTOR_EACH_(DLDOCTOR_FIELD_NAME_, ~, __VA_ARGS__)}}

#endif /* DLDOCTOR_PLUGIN_H */
