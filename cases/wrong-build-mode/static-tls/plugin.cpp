// Scenario: a plugin with a 4 KiB thread-local buffer. Declared with the initial-exec TLS model
// (as code tuned for speed often is: -DDLDOCTOR_CASE_INITIAL_EXEC here, the broken build) its
// TLS block must fit the static TLS surplus that glibc reserves at start-up (1664 bytes), so
// dlopen refuses it; with the default model of -fPIC code (global-dynamic) it is allocated on
// demand and loads. (-ftls-model=initial-exec alone is not enough: GCC keeps local-dynamic for
// a variable local to the file.)
#ifdef DLDOCTOR_CASE_INITIAL_EXEC
#define TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define TLS_MODEL
#endif

// Exported, so that the compiler keeps it (a file-local one that only this function touches is
// folded away, and with it the TLS block).
extern "C" __thread char dldoctor_case_scratch[4096] TLS_MODEL;
__thread char dldoctor_case_scratch[4096] TLS_MODEL;

extern "C" int dldoctor_case_answer() {
  char* volatile scratch = dldoctor_case_scratch;
  scratch[4095] = 42;
  return scratch[4095];
}
