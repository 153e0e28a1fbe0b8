// Scenario: the host calls dlopen("plugin.so") and plugin.so sits in the current directory.
// The loader will search RUNPATH, LD_LIBRARY_PATH, ld.so.cache and the system directories, never
// the current directory: "plugin.so: cannot open shared object file: No such file or directory".
extern "C" int dldoctor_case_answer() { return 42; }
