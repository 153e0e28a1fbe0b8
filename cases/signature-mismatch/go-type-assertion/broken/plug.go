// Scenario: a Go plugin whose Answer grew a parameter; a host that asserts the old type panics.
package main

// Answer takes a base now: func(string, int) int.
func Answer(question string, base int) int { return base + len(question) }
