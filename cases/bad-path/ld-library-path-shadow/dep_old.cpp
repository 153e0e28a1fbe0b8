// libdep.so as it was: old/libdep.so, without dep_new_feature.
extern "C" int dep_value() { return 40; }
