// Scenario: the plugin is readable, but the library it needs, beside it, has mode 0600. The
// loader names the library, not the plugin, and says "No such file or directory": it is there.
extern "C" int permdep_answer();
extern "C" int dldoctor_case_answer() { return permdep_answer(); }
