// Scenario: a host calls its plugin from a worker thread, and reloads it: build 2 is renamed over
// the live path, the host closes the plugin and opens the path again; the worker thread lives on.
// Broken: the plugin's thread_local object in the worker has a destructor still to run, so the
// loader does not unload the plugin at dlclose, and the reopen returns build 1. Fixed
// (--end-worker-first): the worker thread ends before dlclose (its destructors run), and a new
// worker calls build 2.
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "reload_host.hpp"

namespace {

// The host's worker thread: runs the calls it is given, one at a time, until stopped.
class Worker {
 public:
  Worker() : thread_([this] { serve(); }) {}
  ~Worker() { stop(); }

  int call(reload::Answer function) {
    std::unique_lock lock(mutex_);
    job_ = function;
    changed_.notify_all();
    changed_.wait(lock, [this] { return result_.has_value(); });
    const int value = *result_;
    result_.reset();
    return value;
  }

  void stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      changed_.notify_all();
    }
    thread_.join();
  }

 private:
  void serve() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [this] { return stopping_ || job_ != nullptr; });
      if (stopping_) return;
      result_ = job_();
      job_ = nullptr;
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  reload::Answer job_ = nullptr;
  std::optional<int> result_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once the members it uses exist
};

}  // namespace

int main(int argc, char** argv) {
  const reload::Arguments arguments = reload::parse(argc, argv);
  const bool end_worker_first = arguments.flags.count("--end-worker-first") > 0;
  reload::run({"cp", arguments.first, arguments.live});
  const std::string live = reload::real_path_of(arguments.live);
  std::optional<Worker> worker(std::in_place);
  void* plugin = reload::open_plugin(live);
  reload::print_answer("loaded, in the worker thread,", live, arguments.symbol,
                       worker->call(reload::answer_of(plugin, arguments.symbol)));

  reload::run({"cp", arguments.next, live + ".new"});
  reload::run({"mv", "-f", live + ".new", live});
  reload::pause_for_diagnosis(arguments);

  if (end_worker_first) {
    worker.reset();
    std::printf("the worker thread ended: plugin_finished_calls = %d\n",
                *static_cast<int*>(dlsym(plugin, "plugin_finished_calls")));
  }
  std::printf("dlclose returned %d\n", dlclose(plugin));
  std::printf("after dlclose: %s %s\n", live.c_str(), reload::mapping_of(live).c_str());
  if (!worker) worker.emplace();
  void* reloaded = reload::open_plugin(live);
  reload::print_answer("reloaded, in the worker thread,", live, arguments.symbol,
                       worker->call(reload::answer_of(reloaded, arguments.symbol)));
  worker.reset();  // before dlclose, so that the thread_local's destructor finds its code
  dlclose(reloaded);
  return 0;
}
