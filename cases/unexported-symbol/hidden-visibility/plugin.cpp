// Scenario: the plugin is compiled with -fvisibility=hidden (a good default) and the entry point
// was never marked for export. The loader's dlsym finds nothing:
// "./plugin.so: undefined symbol: dldoctor_case_answer".
extern "C" int dldoctor_case_answer() { return 42; }
