// Library::open, lookup and diagnose from several threads at once: a host loads plugins from a
// thread pool, and the library's own state (the per-Library table of checked lookups, explain's
// compiled patterns, the finding-code table) must hold. Run here under the ordinary build and
// AddressSanitizer; scripts/tsan runs it under ThreadSanitizer (docs/hardening.md).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/explain.hpp"
#include "dldoctor/library.hpp"

#ifndef DLDOCTOR_SIGNATURE_C
#define DLDOCTOR_SIGNATURE_C ""
#endif

namespace dldoctor {
namespace {

constexpr int kThreads = 8;
constexpr int kRounds = 50;

TEST(Concurrency, OpenLookupAndDiagnoseFromManyThreads) {
  const std::string plugin = DLDOCTOR_SIGNATURE_C;
  ASSERT_FALSE(plugin.empty()) << "built without the signature fixture";
  // One Library shared by every thread (its lookup table is what they race on), and one opened
  // per thread and round (the loader's and dldoctor's open paths).
  Result<Library> shared = Library::open(plugin);
  ASSERT_TRUE(shared.ok()) << shared.report().load->message;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        // A checked lookup that matches (the plugin's note says int(int, int)), one that does
        // not, and a miss.
        auto add = shared->lookup<int(int, int)>("add");
        if (!add.ok() || add.value()(t, round) != t + round) ++failures;
        if (shared->lookup<double(double, double)>("add").ok()) ++failures;
        if (shared->lookup<int()>("dldoctor_no_such_symbol").ok()) ++failures;
        Result<Library> own = Library::open(plugin);
        if (!own.ok() || !own->lookup<int(int, int)>("add").ok()) ++failures;
        // A diagnosis that fails, and an explanation, beside them.
        if (round % 10 == t % 10) {
          const Report report = diagnose(LoadRequest{"/nonexistent/libdldoctor-thread.so"});
          if (report.loads || report.findings.empty()) ++failures;
          if (!explain("libfoo.so.1: cannot open shared object file: No such file or directory"))
            ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace dldoctor
