// Scenario: a host reloads a plugin that runs a thread of its own: build 2 is renamed over the live
// path, the host closes the plugin and opens the path again; the thread waits for the host's
// events. Broken: dlclose while the plugin's thread waits in poll: the loader unmaps its code, and
// the next event wakes the thread into unmapped memory: SIGSEGV. Fixed (--shutdown): the host calls
// the plugin's plugin_stop first, which joins the thread; build 2's thread answers the event.
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "reload_host.hpp"

namespace {

using Start = int (*)(int, int);
using Stop = void (*)();

int events[2];   // the host writes events, the plugin's thread reads them
int answers[2];  // the plugin's thread writes its answers, the host reads them

void* start_plugin(const std::string& path) {
  void* plugin = reload::open_plugin(path);
  auto start = reinterpret_cast<Start>(dlsym(plugin, "plugin_start"));
  if (start == nullptr || start(events[0], answers[1]) != 0) reload::fail("plugin_start failed");
  return plugin;
}

// The plugin thread's answer to one event; none within 10 s is a failure of the case.
int answer() {
  pollfd ready{answers[0], POLLIN, 0};
  int value = 0;
  if (poll(&ready, 1, 10000) != 1 || read(answers[0], &value, sizeof value) != sizeof value)
    reload::fail("the plugin's thread did not answer");
  return value;
}

void send_event() {
  if (write(events[1], "e", 1) != 1) reload::fail("cannot send an event");
}

// Waits until the thread that is not this one is blocked in poll (its /proc/self/task/TID/syscall
// names the call it waits in: poll, or restart_syscall once a signal such as the SIGCHLD of cp
// has interrupted and restarted it), so that dlclose finds it waiting there, every run.
void wait_until_thread_polls() {
  const std::string self = std::to_string(gettid());
  for (int tries = 0; tries < 10000; ++tries) {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      if (task.path().filename() == self) continue;
      std::ifstream syscall_file(task.path() / "syscall");
      long number = -1;
      if (syscall_file >> number &&
          (number == SYS_poll || number == SYS_ppoll || number == SYS_restart_syscall))
        return;
    }
    usleep(1000);
  }
  reload::fail("the plugin's thread never waited in poll");
}

}  // namespace

int main(int argc, char** argv) {
  const reload::Arguments arguments = reload::parse(argc, argv);
  const bool shutdown = arguments.flags.count("--shutdown") > 0;
  if (pipe2(events, O_CLOEXEC) != 0 || pipe2(answers, O_CLOEXEC) != 0) reload::fail("pipe");
  reload::run({"cp", arguments.first, arguments.live});
  const std::string live = reload::real_path_of(arguments.live);
  void* plugin = start_plugin(live);
  send_event();
  std::printf("loaded %s: its thread answered %d\n", live.c_str(), answer());
  std::fflush(stdout);

  reload::run({"cp", arguments.next, live + ".new"});
  reload::run({"mv", "-f", live + ".new", live});
  reload::pause_for_diagnosis(arguments);

  wait_until_thread_polls();
  std::printf("the plugin's thread waits in poll\n");
  if (shutdown) {
    reinterpret_cast<Stop>(dlsym(plugin, "plugin_stop"))();
    std::printf("plugin_stop returned: its thread is joined\n");
  }
  std::printf("dlclose returned %d\n", dlclose(plugin));
  std::printf("after dlclose: %s %s\n", live.c_str(), reload::mapping_of(live).c_str());
  std::printf("sending an event\n");
  std::fflush(stdout);
  send_event();  // the next event comes between the dlclose and the reload
  // A thread nothing stopped is meant to answer it: the host waits for that answer, and no reload
  // maps anything where build 1 was meanwhile. Broken: the thread wakes in unmapped code, and the
  // process dies here.
  if (!shutdown) std::printf("build 1's thread answered %d\n", answer());

  plugin = start_plugin(live);
  std::printf("reloaded %s: its thread answered %d\n", live.c_str(), answer());
  std::fflush(stdout);
  reinterpret_cast<Stop>(dlsym(plugin, "plugin_stop"))();
  dlclose(plugin);
  return 0;
}
