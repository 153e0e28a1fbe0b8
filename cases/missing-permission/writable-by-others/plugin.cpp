// Scenario: the plugin (mode 0666), or the directory it is in (mode 0777), can be written by any
// user. It loads; but whoever rewrites or replaces it chooses the code the host runs.
extern "C" int dldoctor_case_answer() { return 42; }
