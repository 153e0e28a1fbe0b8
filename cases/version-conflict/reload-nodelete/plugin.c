// Scenario: a plugin linked with -Wl,-z,nodelete (DF_1_NODELETE in DT_FLAGS_1, readelf -d: FLAGS_1
// NODELETE), built twice: build 1 returns 1, build 2 returns 2 (-DPLUGIN_BUILD).
// The loader never unloads it: dlclose returns 0 and leaves it mapped, and a dlopen of its path
// returns it, build 1's code. Fixed: the same builds without -z nodelete.
int dldoctor_case_answer(void) { return PLUGIN_BUILD; }
