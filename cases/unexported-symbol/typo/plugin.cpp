// Scenario: the plugin exports dldoctor_case_answer; the host asks for dldoctor_case_anwser.
// dlsym finds nothing: "./plugin.so: undefined symbol: dldoctor_case_anwser".
extern "C" int dldoctor_case_answer() { return 42; }
