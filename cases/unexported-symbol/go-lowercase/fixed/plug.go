// Scenario: the same plugin with the function named Hello, upper-case: exported, and found by
// plugin.Lookup("Hello") as example.com/plug.Hello in the plugin's .dynsym.
package main

// The comment below is what popular advice says to write: without import "C" it is a comment,
// and with it it is cgo's C export, not a plugin symbol.
//
//export Hello
func Hello() int { return 42 }
