// Scenario: root installed the plugin with mode 0600 (a umask of 077, or a careless chmod), and
// the host runs as another user. The loader's open(O_RDONLY) fails: "Permission denied".
extern "C" int dldoctor_case_answer() { return 42; }
