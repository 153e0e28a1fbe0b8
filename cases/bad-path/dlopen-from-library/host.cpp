// The program: host PATH SYMBOL MODE, as try_load; its plugin loader is libloader.so.
#include <cstdio>

extern "C" int load_plugin(const char* path, const char* symbol, const char* mode);

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: host PATH SYMBOL now|lazy\n");
    return 64;
  }
  return load_plugin(argv[1], argv[2], argv[3]);
}
