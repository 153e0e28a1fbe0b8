// The library the plugin needs: libdep.so, linked with -nostdlib. dep_fn calls nothing, so the
// file needs no version of any library: without a version script it has no .gnu.version at all.
extern "C" int dep_fn() { return 40; }
