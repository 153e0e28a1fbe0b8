// bench_fixture: the tiny plugin the load benchmarks dlopen, a few extern "C" functions and no
// dependency beyond libc, so a load measures the loader's fixed cost and nothing else.

#define BENCH_FIXTURE_EXPORT __attribute__((visibility("default")))

extern "C" {

// The symbol the lookup benchmarks resolve (Library::lookup<int()>).
BENCH_FIXTURE_EXPORT int dldoctor_bench_answer() { return 42; }

BENCH_FIXTURE_EXPORT int dldoctor_bench_add(int a, int b) { return a + b; }

BENCH_FIXTURE_EXPORT const char* dldoctor_bench_name() { return "bench_fixture"; }

}  // extern "C"
