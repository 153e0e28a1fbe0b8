// Scenario: build 1 of a Go plugin that its host reloads; the host opens it as ./p.so.
// A rebuild renamed over ./p.so is never read: plugin.Open returns this build again.
package main

// Answer is what the host looks up: 1 in this build, 2 in the rebuild.
func Answer() int { return 1 }
