// Scenario: a C++ plugin keeps per-thread state in a thread_local object with a destructor, built
// twice (-DPLUGIN_BUILD=1, 2); the host calls it from its worker thread.
// The loader counts the plugin as in use while a thread that constructed such an object lives
// (__cxa_thread_atexit_impl): dlclose leaves it mapped, and the reload of its path returns build 1.
#define PLUGIN_EXPORT __attribute__((visibility("default")))

extern "C" {
PLUGIN_EXPORT int plugin_finished_calls = 0;  // the calls of threads that ended
}

namespace {
struct CallLog {
  int calls = 0;
  ~CallLog() { plugin_finished_calls += calls; }  // runs when the thread ends
};
thread_local CallLog call_log;
}  // namespace

extern "C" PLUGIN_EXPORT int dldoctor_case_answer() {
  ++call_log.calls;
  return PLUGIN_BUILD;
}
