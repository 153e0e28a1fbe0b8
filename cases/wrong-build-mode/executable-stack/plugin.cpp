// Scenario: an ordinary plugin; built with -Wl,-z,execstack (as an object of hand-written
// assembly without .note.GNU-stack makes the linker do) it asks for an executable stack.
extern "C" int dldoctor_case_answer() { return 42; }
