// libbench_gone.so: the dependency bench_missing_dep NEEDs. It is built only so that the plugin
// can link against it; at run time no search path leads here (bench/meson.build), so loading the
// plugin fails the way a plugin shipped without its dependency does.

extern "C" __attribute__((visibility("default"))) int dldoctor_bench_gone() { return 7; }
