// Scenario: a plugin that starts a thread (pthread_create) to wait for the host's events and answer
// them with its build number; plugin_stop stops and joins it. Built twice (-DPLUGIN_BUILD=1, 2).
// The loader unmaps the plugin at dlclose whether or not its thread runs: a thread still waiting
// in poll returns into unmapped code at the next event, and the process dies of SIGSEGV.
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

static pthread_t watcher;
static int events = -1;   // the host's events, one byte each
static int answers = -1;  // where the thread writes its answer, an int
static int stop_pipe[2];  // plugin_stop's byte ends the thread
static sem_t started;

static void* watch(void* unused) {
  (void)unused;
  sem_post(&started);
  for (;;) {
    struct pollfd waiting[2] = {{events, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
    if (poll(waiting, 2, -1) < 0) continue;  // returns here, into the plugin's code
    if (waiting[1].revents != 0) return NULL;
    char event;
    if (read(events, &event, 1) != 1) return NULL;
    const int answer = PLUGIN_BUILD;
    if (write(answers, &answer, sizeof answer) != sizeof answer) return NULL;
  }
}

// Starts the thread; returns once it runs. 0 on success.
int plugin_start(int events_fd, int answers_fd) {
  events = events_fd;
  answers = answers_fd;
  if (pipe(stop_pipe) != 0 || sem_init(&started, 0, 0) != 0) return -1;
  if (pthread_create(&watcher, NULL, watch, NULL) != 0) return -1;
  while (sem_wait(&started) != 0) {
  }
  return 0;
}

// The shutdown function a host must call before dlclose: stops and joins the thread.
void plugin_stop(void) {
  if (write(stop_pipe[1], "q", 1) != 1) return;
  pthread_join(watcher, NULL);
  close(stop_pipe[0]);
  close(stop_pipe[1]);
  sem_destroy(&started);
}
