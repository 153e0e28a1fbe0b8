// The job plugin API, 1.0: the host fills a struct config and passes it to plugin_run.
// answer is at offset 4.
#pragma once

struct config {
  int threads;
  int answer;
};

extern "C" int plugin_run(const config* settings);
