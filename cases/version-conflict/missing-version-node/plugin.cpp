// Scenario: plugin.so was linked against the libdep.so whose dep_fn is in node DEP_2.0, and is
// loaded beside an older libdep.so that defines only DEP_1.0. The version check refuses it:
// "<dir>/libdep.so: version `DEP_2.0' not found (required by ./broken/plugin.so)".
extern "C" int dep_fn();

extern "C" int dldoctor_case_answer() { return dep_fn() + 2; }
