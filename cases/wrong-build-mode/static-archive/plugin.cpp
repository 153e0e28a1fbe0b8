// Scenario: the plugin was built as a static library (libplugin.a) and given to dlopen.
// The loader will refuse it: "invalid ELF header" (an ar archive starts with !<arch>).
extern "C" int dldoctor_case_answer() { return 42; }
