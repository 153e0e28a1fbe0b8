// Scenario: the plugin calls dldoctor_missing_function, which no loaded object defines, and the
// host opens it with RTLD_LAZY. dlopen succeeds; the first call kills the host with
// "symbol lookup error: ./plugin.so: undefined symbol: dldoctor_missing_function" (exit 127).
extern "C" int dldoctor_missing_function();

extern "C" int dldoctor_case_answer() { return dldoctor_missing_function() + 2; }
