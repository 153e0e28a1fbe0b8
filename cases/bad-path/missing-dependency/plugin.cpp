// Scenario: plugin.so needs libdep.so, which sits beside it, but plugin.so has no RUNPATH.
// The loader will name the dependency, not the plugin:
// "libdep.so: cannot open shared object file: No such file or directory".
extern "C" int dep_value();

extern "C" int dldoctor_case_answer() { return dep_value() + 2; }
