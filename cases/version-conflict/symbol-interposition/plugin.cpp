// Scenario: the plugin defines log_init and calls it; the host, linked -rdynamic, defines a
// log_init too. The loader binds the plugin's own call to the host's: it loads, and returns 41.
#define PLUGIN_EXPORT __attribute__((visibility("default")))

extern "C" int log_init() { return 2; }

extern "C" PLUGIN_EXPORT int dldoctor_case_answer() { return 40 + log_init(); }
