// The plugin's dependency: lib/libdep1.so, which needs lib/libdep2.so and has no RUNPATH.
extern "C" int dep2_value();

extern "C" int dep1_value() { return dep2_value() + 1; }
