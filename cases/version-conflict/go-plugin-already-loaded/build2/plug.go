// Scenario: build 2 of the plugin (Answer returns 2), copied to ./p2.so: a new file, but the same
// plugin path as build 1's (example.com/plug), so plugin.Open fails "plugin already loaded".
package main

// Answer is what the host looks up: 2 in this build, 1 in build 1.
func Answer() int { return 2 }
