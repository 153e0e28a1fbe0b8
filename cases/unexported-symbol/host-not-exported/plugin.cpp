// Scenario: the plugin calls dldoctor_host_base, a function of the host program, which was linked
// without -rdynamic: its functions are not in its dynamic symbol table. The loader refuses the
// plugin: "./plugin.so: undefined symbol: dldoctor_host_base".
extern "C" int dldoctor_host_base();

extern "C" int dldoctor_case_answer() { return dldoctor_host_base() + 2; }
