// Scenario: a Go plugin whose hello carries cgo's //export (with import "C", so cgo acts on it):
// hello is in .dynsym for C callers, yet plugin.Lookup("hello") fails: it finds only Go exports.
package main

import "C"

// hello is exported to C by the line below (the C symbol hello); for Go it stays unexported.
//
//export hello
func hello() int { return 42 }
