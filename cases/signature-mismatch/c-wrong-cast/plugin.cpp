// Scenario: the plugin exports extern "C" int add(int, int), described by DLDOCTOR_SIGNATURE; a
// host casts it to double (*)(double, double). The loader loads it and dlsym finds add: no error.
#include <dldoctor/plugin.h>

extern "C" __attribute__((visibility("default"))) int add(int a, int b) { return a + b; }
DLDOCTOR_SIGNATURE(int, add, int, int);
