// explain: each glibc loader message maps to its family, and the object and symbol it names are
// taken out of it.
#include "dldoctor/explain.hpp"

#include <gtest/gtest.h>

namespace dldoctor {
namespace {

Family first_family(std::string_view message) {
  auto explanation = explain(message);
  EXPECT_TRUE(explanation.has_value()) << message;
  return explanation && !explanation->families.empty() ? explanation->families.front()
                                                       : Family::SignatureMismatch;
}

TEST(Explain, EveryWrongBuildModeMessageMapsToItsFamily) {
  for (const char* message : {
           "./p: cannot dynamically load position-independent executable",
           "./p: cannot dynamically load executable",
           "./p.o: only ET_DYN and ET_EXEC can be loaded",
           "./libp.a: invalid ELF header",
           "./empty.so: file too short",
           "./p32.so: wrong ELF class: ELFCLASS32",
           "./p.so: shared object cannot be dlopen()ed",
           "./dir: cannot read file data: Is a directory",
           "./p.so: ELF file data encoding not little-endian",
       })
    EXPECT_EQ(first_family(message), Family::WrongBuildMode) << message;
}

TEST(Explain, PieIsNotMistakenForAPlainExecutable) {
  auto explanation = explain("./p: cannot dynamically load position-independent executable");
  ASSERT_TRUE(explanation);
  EXPECT_EQ(explanation->message_kind, "cannot dynamically load position-independent executable");
}

TEST(Explain, NoSuchFileCanBeAPathAForeignMachineOrAnUnreadableCopy) {
  auto explanation = explain("./p.so: cannot open shared object file: No such file or directory");
  ASSERT_TRUE(explanation);
  ASSERT_EQ(explanation->families.size(), 3u);
  EXPECT_EQ(explanation->families[0], Family::BadPath);
  EXPECT_EQ(explanation->families[1], Family::WrongBuildMode);
  EXPECT_EQ(explanation->families[2], Family::MissingPermission);
  EXPECT_EQ(explanation->object, "./p.so");
  EXPECT_EQ(explanation->next_command, "dldoctor check ./p.so");
}

TEST(Explain, PermissionAndNoexecMessagesAreMissingPermission) {
  EXPECT_EQ(first_family("./p.so: cannot open shared object file: Permission denied"),
            Family::MissingPermission);
  EXPECT_EQ(first_family("./p.so: failed to map segment from shared object"),
            Family::MissingPermission);
}

TEST(Explain, UndefinedSymbolNamesTheSymbol) {
  auto explanation = explain("./p.so: undefined symbol: _Z5helloPKc");
  ASSERT_TRUE(explanation);
  EXPECT_EQ(explanation->families.front(), Family::UnexportedSymbol);
  EXPECT_EQ(explanation->symbol, "_Z5helloPKc");
  EXPECT_EQ(explanation->object, "./p.so");
}

TEST(Explain, LazyBindingDeathIsRecognisedThroughItsProgramPrefix) {
  auto explanation = explain("./host: symbol lookup error: ./p.so: undefined symbol: missing_fn");
  ASSERT_TRUE(explanation);
  EXPECT_EQ(explanation->symbol, "missing_fn");
  EXPECT_EQ(explanation->object, "./p.so");
  EXPECT_NE(explanation->meaning.find("127"), std::string::npos);
}

TEST(Explain, VersionNotFoundPointsAtTheRequester) {
  auto explanation =
      explain("./host: /opt/lib/libdep.so.1: version `DEP_2.0' not found (required by ./p.so)");
  ASSERT_TRUE(explanation);
  EXPECT_EQ(explanation->families.front(), Family::VersionConflict);
  EXPECT_EQ(explanation->symbol, "DEP_2.0");
  EXPECT_EQ(explanation->next_command, "dldoctor check ./p.so");
}

TEST(Explain, LoaderAssertionIsAVersionConflict) {
  EXPECT_EQ(first_family("Inconsistency detected by ld.so: dl-open.c: 931: dl_open_worker: "
                         "Assertion `_dl_debug_update (args->nsid)->r_state == RT_CONSISTENT' "
                         "failed!"),
            Family::VersionConflict);
}

TEST(Explain, ProgramStartPrefixIsStripped) {
  auto explanation = explain(
      "./host: error while loading shared libraries: libdep.so: cannot open shared object file: "
      "No such file or directory");
  ASSERT_TRUE(explanation);
  EXPECT_EQ(explanation->object, "libdep.so");
  EXPECT_FALSE(explanation->next_command) << "a bare name is not a file to check";
}

TEST(Explain, GoPluginMessagesMapToTheirFamiliesWithANextCommand) {
  struct Case {
    const char* message;
    Family family;
    const char* next;
  };
  for (const Case& c : {
           Case{"plugin.Open(\"./broken/p\"): plugin was built with a different version of "
                "package example.com/shared",
                Family::VersionConflict, "dldoctor check ./broken/p.so --host HOST"},
           Case{"plugin was built with a different version of package runtime",
                Family::VersionConflict, "dldoctor check PLUGIN.so --host HOST"},
           Case{"plugin.Open(\"./copy\"): plugin already loaded", Family::VersionConflict,
                "dldoctor check ./copy.so --host HOST"},
           Case{"plugin: symbol hello not found in plugin example.com/plug",
                Family::UnexportedSymbol, "dldoctor check PLUGIN.so --symbol hello"},
           Case{"fatal error: runtime: no plugin module data", Family::WrongBuildMode,
                "dldoctor check PLUGIN.so --host HOST"},
           Case{"plugin.Open(\"./p\"): plugin: not implemented", Family::WrongBuildMode,
                "dldoctor check ./p.so --host HOST"},
           // The panic of a failed assertion, as the case go-type-assertion's host prints it.
           Case{"panic: interface conversion: plugin.Symbol is func(string, int) int, not "
                "func(string) int",
                Family::SignatureMismatch,
                "dldoctor check PLUGIN.so --host HOST --signature 'NAME=func(string) int'"},
       }) {
    const auto explanation = explain(c.message);
    ASSERT_TRUE(explanation) << c.message;
    ASSERT_FALSE(explanation->families.empty());
    EXPECT_EQ(explanation->families.front(), c.family) << c.message;
    EXPECT_EQ(explanation->next_command, c.next) << c.message;
  }
  const auto assertion =
      explain("panic: interface conversion: plugin.Symbol is *int, not func() int");
  ASSERT_TRUE(assertion);
  EXPECT_FALSE(assertion->object && !assertion->object->empty()) << *assertion->object;
  const auto version = explain(
      "plugin.Open(\"./broken/p\"): plugin was built with a different version of package "
      "example.com/shared");
  ASSERT_TRUE(version);
  EXPECT_EQ(version->symbol, "example.com/shared");
  EXPECT_EQ(version->object, "./broken/p");
}

TEST(Explain, GoRealpathFailureIsABadPathOfTheNameAsGiven) {
  const auto explanation = explain("plugin.Open(\"p.so\"): realpath failed");
  ASSERT_TRUE(explanation);
  EXPECT_EQ(explanation->message_kind, "go: realpath failed");
  ASSERT_FALSE(explanation->families.empty());
  EXPECT_EQ(explanation->families.front(), Family::BadPath);
  EXPECT_EQ(explanation->object, "p.so");
  EXPECT_EQ(explanation->next_command, "dldoctor check p.so --host HOST");
  // Go takes no ".so" off a name realpath could not resolve, and adds none.
  const auto stem = explain("plugin.Open(\"./plugins/p\"): realpath failed");
  ASSERT_TRUE(stem);
  EXPECT_EQ(stem->next_command, "dldoctor check ./plugins/p --host HOST");
  EXPECT_FALSE(explain("realpath failed: no plugin.Open around it, and more"));
}

TEST(Explain, GoPreviousFailureExplainsTheFirstError) {
  const auto explanation = explain(
      "plugin.Open(\"./p.so\"): plugin was built with a different version of package "
      "example.com/shared (previous failure)");
  ASSERT_TRUE(explanation);
  EXPECT_EQ(explanation->message_kind, "go: different version of package");
  EXPECT_EQ(explanation->symbol, "example.com/shared");
  EXPECT_EQ(explanation->meaning.rfind("plugin.Open failed on this file", 0), 0u)
      << explanation->meaning;
  EXPECT_EQ(explanation->next_command, "dldoctor check ./p.so --host HOST");
}

TEST(Explain, UnknownTextIsNotExplained) {
  EXPECT_FALSE(explain("segmentation fault (core dumped)"));
  EXPECT_FALSE(explain(""));
}

}  // namespace
}  // namespace dldoctor

namespace dldoctor {
namespace {

// The failures outside the six families' usual messages, as this system prints them.
TEST(Explain, TheSanitizerRuntimeAndPreloadWarningsAreKnown) {
  const auto asan = explain(
      "==6871==ASan runtime does not come first in initial library list; you should either link "
      "runtime to your application or manually preload it with LD_PRELOAD.");
  ASSERT_TRUE(asan.has_value());
  EXPECT_EQ(asan->message_kind, "ASan runtime does not come first");
  EXPECT_FALSE(asan->object.has_value());
  const auto preload = explain(
      "ERROR: ld.so: object '/opt/lib/libhook.so' from LD_PRELOAD cannot be preloaded (cannot "
      "open shared object file): ignored.");
  ASSERT_TRUE(preload.has_value());
  EXPECT_EQ(preload->object, "/opt/lib/libhook.so");
  EXPECT_EQ(preload->next_command, "dldoctor check /opt/lib/libhook.so");
  const auto tls =
      explain("/usr/lib/x86_64-linux-gnu/libtsan.so.2: cannot allocate memory in static TLS block");
  ASSERT_TRUE(tls.has_value());
  EXPECT_EQ(tls->next_command, "dldoctor check /usr/lib/x86_64-linux-gnu/libtsan.so.2");
}

}  // namespace
}  // namespace dldoctor
