// Scenario: plugin.so needs dep_fn@DEP_2.0 of libdep.so; the libdep.so beside it was linked
// without its version script, so it defines no version (no .gnu.version_d). The loader accepts
// the unversioned dep_fn and loads it silently; only `ld.so --list` (ldd) warns:
// "libdep.so: no version information available (required by ./broken/plugin.so)".
extern "C" int dep_fn();

extern "C" int dldoctor_case_answer() { return dep_fn() + 2; }
