// libdep.so.2, the release plugin.so was built against: dep_fn(base, step) took a second argument
// in this release, an ABI change, so the SONAME went from libdep.so.1 to libdep.so.2.
extern "C" int dep_fn(int base, int step) { return base + step; }
