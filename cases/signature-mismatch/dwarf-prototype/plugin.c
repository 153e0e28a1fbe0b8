/* Scenario: a C plugin exports int add(int, int), with no note, built with -g: its DWARF holds
 * the prototype. A host casts add to double (*)(double, double); the loader loads it, no error. */
__attribute__((visibility("default"))) int add(int a, int b) { return a + b; }
