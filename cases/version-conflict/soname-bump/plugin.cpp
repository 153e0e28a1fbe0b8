// Scenario: plugin.so was linked against libdep.so.2 (DT_NEEDED libdep.so.2); beside it, in its
// RUNPATH directory, there is only libdep.so.1. dlopen fails on the name it needs:
// "libdep.so.2: cannot open shared object file: No such file or directory".
extern "C" int dep_fn(int base, int step);  // libdep.so.2's dep_fn

extern "C" int dldoctor_case_answer() { return dep_fn(40, 2); }
