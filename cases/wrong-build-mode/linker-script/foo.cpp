// Scenario: the host opens libfoo.so, the development name that `-lfoo` uses, which here (as for
// libc.so) is a GNU ld script. The loader will refuse it: "invalid ELF header".
extern "C" int dldoctor_case_answer() { return 42; }
