// Scenario: libplugin.so is a symbolic link to libplugin.so.1, which an upgrade replaced with
// libplugin.so.2. The loader will say "./libplugin.so: cannot open shared object file: No such
// file or directory" for a name that `ls` shows.
extern "C" int dldoctor_case_answer() { return 42; }
