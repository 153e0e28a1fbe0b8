// Scenario: the plugin defines dldoctor_case_answer in C++ without extern "C", so it is exported
// as _Z20dldoctor_case_answerv. dlsym(handle, "dldoctor_case_answer") finds nothing:
// "./plugin.so: undefined symbol: dldoctor_case_answer".
#ifdef FIXED
#define PLUGIN_LINKAGE extern "C"
#else
#define PLUGIN_LINKAGE
#endif

PLUGIN_LINKAGE int dldoctor_case_answer() { return 42; }
