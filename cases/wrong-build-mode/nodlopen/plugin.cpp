// Scenario: the library was linked with -z nodlopen (meant only as a dependency of programs).
// The loader will refuse it: "shared object cannot be dlopen()ed" (DF_1_NOOPEN).
extern "C" int dldoctor_case_answer() { return 42; }
