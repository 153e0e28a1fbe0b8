// The dependency's dependency: lib/libdep2.so.
extern "C" int dep2_value() { return 40; }
