// Scenario: plugin.so has RUNPATH "$ORIGIN:.": the "." is the current directory of whoever starts
// the host. The loader will load it (libdep.so is found through $ORIGIN first), but a libdep.so
// planted in the current directory would be loaded if the real one went missing.
extern "C" int dep_value();

extern "C" int dldoctor_case_answer() { return dep_value() + 2; }
