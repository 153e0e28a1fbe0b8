// Scenario: the advice "a shared library needs the execute bit" put to the test: this plugin has
// mode 0644, no x for anyone. The loader opens it for reading and maps it: it loads.
extern "C" int dldoctor_case_answer() { return 42; }
