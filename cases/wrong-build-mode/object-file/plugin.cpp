// Scenario: the build stopped after compiling (-c) and the host was given the object file.
// The loader will refuse it: "only ET_DYN and ET_EXEC can be loaded" (it is ET_REL).
extern "C" int dldoctor_case_answer() { return 42; }
