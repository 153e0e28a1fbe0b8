// Scenario: a C++ plugin whose inline function has a static local: GCC makes that static an
// STB_GNU_UNIQUE symbol (readelf --dyn-syms: UNIQUE), one object for the whole process.
// The loader binds the unique symbol and marks the plugin not to be unloaded: dlclose leaves it
// mapped, and a dlopen of its path returns it, build 1's code. Fixed: -fno-gnu-unique (WEAK).
#define PLUGIN_EXPORT __attribute__((visibility("default")))

// How many times the plugin was called: an inline function's static, as in a header-only
// registry or a Meyers singleton.
inline int& calls() {
  static int count = 0;
  return count;
}

extern "C" PLUGIN_EXPORT int dldoctor_case_answer() {
  ++calls();
  return PLUGIN_BUILD;
}
