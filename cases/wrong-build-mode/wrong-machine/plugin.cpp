// Scenario: the plugin was cross-built for aarch64 and copied to an x86-64 machine.
// The loader will say "cannot open shared object file: No such file or directory" for a file
// that exists: open_verify skips a candidate of another machine as if it were absent.
extern "C" int dldoctor_case_answer() { return 42; }
