// Scenario: the plugin is linked with a version script whose global: list forgot the entry point,
// and whose "local: *;" makes everything else local. dlsym finds nothing:
// "./plugin.so: undefined symbol: dldoctor_case_answer".
extern "C" int dldoctor_case_answer() { return 42; }

extern "C" int dldoctor_plugin_version() { return 1; }
