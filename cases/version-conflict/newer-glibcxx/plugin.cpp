// Scenario: plugin.so was linked against a newer libstdc++.so.6 (GCC 13's), which bound its call
// to GLIBCXX_3.4.31; this system's libstdc++.so.6 (GCC 12) ends at GLIBCXX_3.4.30. dlopen fails:
// "/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.31' not found (required by ...)".
#include <thread>

extern "C" int dldoctor_case_answer() { return std::thread::hardware_concurrency() > 0 ? 42 : 0; }
