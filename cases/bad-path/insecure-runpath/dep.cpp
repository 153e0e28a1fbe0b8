// The library the plugin needs, beside it.
extern "C" int dep_value() { return 40; }
