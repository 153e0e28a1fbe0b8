// The library that defines what the plugin calls; the broken plugin was not linked against it.
extern "C" int dldoctor_missing_function() { return 40; }
