// Scenario: the plugin was built as a program (no -shared), a position-dependent one (-no-pie).
// The loader will refuse it: "cannot dynamically load executable" (ET_EXEC).
extern "C" int dldoctor_case_answer() { return 42; }

int main() { return dldoctor_case_answer() == 42 ? 0 : 1; }
