// Scenario: the host has loaded libfoo.so.1; the plugin needs libfoo.so.2, which the loader
// loads too, beside it. Its call to foo binds to the host's copy, found first: it returns 41.
extern "C" int foo();  // libfoo.so.2's foo, returning 2

extern "C" int dldoctor_case_answer() { return 40 + foo(); }
