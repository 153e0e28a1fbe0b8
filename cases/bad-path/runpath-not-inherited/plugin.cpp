// Scenario: plugin.so has RUNPATH $ORIGIN/lib and needs lib/libdep1.so, which needs
// lib/libdep2.so. RUNPATH serves only plugin.so's own requests, so the loader fails on the
// second level: "libdep2.so: cannot open shared object file: No such file or directory".
extern "C" int dep1_value();

extern "C" int dldoctor_case_answer() { return dep1_value() + 1; }
