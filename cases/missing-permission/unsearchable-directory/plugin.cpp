// Scenario: the plugin is readable by everyone (0644), but the directory it is in has mode 0744:
// others may list the names in it, not search it. The loader's open fails: "Permission denied".
extern "C" int dldoctor_case_answer() { return 42; }
