// Scenario: a Go plugin installed in plugins/, a directory on LD_LIBRARY_PATH: plugin.Open("p.so")
// from the case's directory fails in realpath (no search); plugin.Open("./plugins/p.so") loads.
package main

// Hello is what the host looks up: an exported (upper-case) function of the plugin's main package.
func Hello() int { return 42 }
