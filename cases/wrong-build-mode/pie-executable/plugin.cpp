// Scenario: the plugin was built as a program, and Debian's compilers make programs PIEs.
// The loader will refuse it: "cannot dynamically load position-independent executable".
extern "C" int dldoctor_case_answer() { return 42; }

int main() { return dldoctor_case_answer() == 42 ? 0 : 1; }
