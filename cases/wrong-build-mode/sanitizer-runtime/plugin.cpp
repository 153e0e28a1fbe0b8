// Scenario: a plugin built with -fsanitize=address, so it needs libasan.so.8; a host that did not
// start with the ASan runtime cannot load it: the runtime must be first in the library list.
extern "C" int dldoctor_case_answer() {
  int* answer = new int(42);
  const int value = *answer;
  delete answer;
  return value;
}
