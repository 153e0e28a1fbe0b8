// The job plugin API, 2.0: timeout_ms was added before answer, so answer moved from offset 4 to
// offset 8 and the struct grew from 8 to 12 bytes. A plugin built against 1.0 reads timeout_ms.
#pragma once

struct config {
  int threads;
  int timeout_ms;  // new in 2.0
  int answer;
};

extern "C" int plugin_run(const config* settings);
