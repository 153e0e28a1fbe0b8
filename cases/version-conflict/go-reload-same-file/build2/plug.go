// Scenario: build 2 of the plugin (the edit: Answer returns 2), renamed over ./p.so while the host
// runs; plugin.Open("./p.so") returns build 1, which it opened at that real path before.
package main

// Answer is what the host looks up: 2 in this build, 1 in build 1.
func Answer() int { return 2 }
