// Scenario: the plugin was built for i686 (32-bit) and the host is a 64-bit x86-64 process.
// The loader will refuse it: "wrong ELF class: ELFCLASS32".
extern "C" int dldoctor_case_answer() { return 42; }
