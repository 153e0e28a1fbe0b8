// Scenario: the entry point was declared static, so it never leaves plugin.cpp; only
// dldoctor_plugin_version is exported. dlsym finds nothing:
// "./plugin.so: undefined symbol: dldoctor_case_answer".
#ifdef FIXED
extern "C" int dldoctor_case_answer() { return 42; }
#else
__attribute__((noinline)) static int dldoctor_case_answer() { return 42; }
#endif

extern "C" int dldoctor_plugin_version() { return dldoctor_case_answer() - 41; }
