// Scenario: the plugin exports answer as a variable, int answer = 42 (STT_OBJECT, in .data); the
// loader loads it and dlsym finds it, and a host that calls it jumps into data.
extern "C" {
__attribute__((visibility("default"))) int answer = 42;
}
