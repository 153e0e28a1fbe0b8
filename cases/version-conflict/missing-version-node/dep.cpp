// The library the plugin needs: libdep.so. The version script decides which version node dep_fn
// is in: DEP_2.0 (dep-2.0.map, the release the plugin was built against) or DEP_1.0 (dep-1.0.map).
extern "C" int dep_fn() { return 40; }
