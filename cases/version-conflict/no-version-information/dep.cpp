// The library the plugin needs: libdep.so. dep_fn calls getpid, so the file needs GLIBC_2.2.5 of
// libc.so.6 and has a .gnu.version; what the version script adds is .gnu.version_d (DEP_2.0).
#include <unistd.h>

extern "C" int dep_fn() { return getpid() > 0 ? 40 : 0; }
