// libdep.so as the plugin was built against: new/libdep.so, with dep_new_feature.
extern "C" int dep_value() { return 40; }
extern "C" int dep_new_feature() { return 2; }
