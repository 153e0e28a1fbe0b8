// Scenario: build 1 of a Go plugin (plugin path example.com/plug), which its host opens first.
// A rebuild under another file name keeps that plugin path, and plugin.Open refuses it.
package main

// Answer is what the host looks up: 1 in this build, 2 in the rebuild.
func Answer() int { return 1 }
