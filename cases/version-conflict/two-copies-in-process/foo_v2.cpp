// libfoo.so.2, the release the plugin was linked against: foo returns 2. SONAME libfoo.so.2;
// no version script, so foo is unversioned in both releases.
extern "C" int foo() { return 2; }
