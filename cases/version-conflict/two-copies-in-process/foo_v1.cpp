// libfoo.so.1, the release the host was linked against: foo returns 1. SONAME libfoo.so.1; its
// next release (foo_v2.cpp) changed what foo returns, and so its SONAME.
extern "C" int foo() { return 1; }
