// Scenario: the host calls dlopen("plugins/plugin.so"), which is right only when it is started
// from its own directory. Started elsewhere, the loader looks relative to the current directory:
// "plugins/plugin.so: cannot open shared object file: No such file or directory".
extern "C" int dldoctor_case_answer() { return 42; }
