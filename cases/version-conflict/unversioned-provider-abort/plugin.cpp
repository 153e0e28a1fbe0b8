// Scenario: plugin.so needs dep_fn@DEP_2.0 of libdep.so; the libdep.so beside it has no version
// information at all (no .gnu.version). dlopen passes the version check; binding dep_fn (at the
// first call, with RTLD_LAZY) kills the host: "Inconsistency detected by ld.so: dl-lookup.c: 107:
// check_match: Assertion `version->filename == NULL || ...' failed!" (exit 127).
extern "C" int dep_fn();

extern "C" int dldoctor_case_answer() { return dep_fn() + 2; }
