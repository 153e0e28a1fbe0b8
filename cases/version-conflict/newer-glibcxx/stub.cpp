// A stand-in for the libstdc++.so.6 of GCC 13.1, used only at link time: its version script
// (libstdc++-13.map) defines the nodes GLIBCXX_3.4 ... GLIBCXX_3.4.31, and the one function the
// plugin calls, std::thread::hardware_concurrency, is in the newest, GLIBCXX_3.4.31. (A real GCC
// 13 keeps this function in GLIBCXX_3.4.17, where GCC 4.7 put it; what GCC 13 adds to
// GLIBCXX_3.4.31 is new functions, such as std::string's _M_replace_cold, which GCC 13's <string>
// calls from inline code. Moving an old one lets the same plugin.cpp link against either library.)
#include <thread>

unsigned int std::thread::hardware_concurrency() noexcept { return 1; }
