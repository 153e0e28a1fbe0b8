// Scenario: a Go plugin whose function is named hello, lower-case: Go exports only upper-case
// names, so plugin.Lookup("hello") fails with "symbol hello not found in plugin".
package main

// The comment below is what popular advice says to write: without import "C" it is a comment,
// and with it it is cgo's C export, not a plugin symbol.
//
//export hello
func hello() int { return 42 }
