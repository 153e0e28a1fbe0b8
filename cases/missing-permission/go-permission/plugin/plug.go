// Scenario: a Go plugin installed three ways: mode 0600 (root's only: plugin.Open fails for anyone
// else, "Permission denied"), 0644 (no execute bit: it loads) and 0755 (it loads the same).
package main

// Hello is what the host looks up: an exported (upper-case) function of the plugin's main package.
func Hello() int { return 42 }
