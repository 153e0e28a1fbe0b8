// The library the plugin needs: libdep.so, built beside the plugin.
extern "C" int dep_value() { return 40; }
