// libdep.so.1, the older release: dep_fn takes one argument. Its SONAME is libdep.so.1; the next
// release changed dep_fn's arguments, and so its SONAME (dep_v2.cpp).
extern "C" int dep_fn(int base) { return base + 1; }
