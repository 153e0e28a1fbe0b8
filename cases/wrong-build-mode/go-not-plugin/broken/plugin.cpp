// Scenario: a C (here C++ with extern "C") shared library with the function a Go host looks up;
// dlopen loads it, but it is no Go plugin: plugin.Open's runtime finds no module data and dies.
extern "C" int Hello() { return 42; }
