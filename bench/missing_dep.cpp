// bench_missing_dep: a plugin whose DT_NEEDED names libbench_gone.so, which is on no search path,
// so dlopen fails with "libbench_gone.so: cannot open shared object file". The failure the
// explanation benchmarks (BM_FailedOpen in bench_open.cpp) time and explain.
#include <cstdlib>

extern "C" int dldoctor_bench_gone();  // defined in libbench_gone.so (bench/gone/)

// Calling into libbench_gone.so keeps its DT_NEEDED entry under --as-needed; getenv keeps
// libc.so.6's, as in any real plugin, so the modelled tree is more than the one missing name.
extern "C" __attribute__((visibility("default"))) int dldoctor_bench_missing_dep() {
  return dldoctor_bench_gone() + (std::getenv("DLDOCTOR_BENCH") != nullptr ? 1 : 0);
}
